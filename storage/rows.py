"""Rows to domain objects: the one place that knows both the tables and `storage.model`.

A column whose name is a field of the domain object is copied as is; the few that need converting
(enums, the JSON forms of the lead and the reasons, the actor) are named per object.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Row

from storage.codec import lead_from_json, reasons_from_json
from storage.model import (
    Actor,
    ActorKind,
    AuditEntry,
    DeadLetter,
    EndReason,
    LeadRecord,
    LeadState,
    Offer,
    OfferState,
    OutboxItem,
    OutcomeState,
)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
_T = TypeVar("_T")


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}  # per domain class, read once: rows are mapped often


def _build(cls: type[_T], row: AnyRow, **converted: Any) -> _T:
    """`cls` from the row's columns of the same names, with `converted` fields given instead."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    m = row._mapping
    return cls(**{name: m[name] for name in names if name not in converted}, **converted)


def lead_record(row: AnyRow) -> LeadRecord:
    m = row._mapping
    outcome = m.get("outcome")
    return _build(
        LeadRecord,
        row,
        lead=lead_from_json(m["contact"]),
        state=LeadState(m["state"]),
        outcome=OutcomeState(outcome) if outcome else None,
        outcome_at=m.get("outcome_at"),
    )


def offer(row: AnyRow) -> Offer:
    m = row._mapping
    return _build(
        Offer,
        row,
        fallback=bool(m["fallback"]),
        reasons=reasons_from_json(m["reasons"]),
        end_reason=EndReason(m["end_reason"]) if m["end_reason"] else None,
        state=OfferState(m["state"]),
    )


def audit_entry(row: AnyRow) -> AuditEntry:
    m = row._mapping
    return _build(AuditEntry, row, actor=Actor(kind=ActorKind(m["actor_kind"]), id=m["actor_id"]))


def outbox_item(row: AnyRow) -> OutboxItem:
    return _build(OutboxItem, row)


def dead_letter(row: AnyRow) -> DeadLetter:
    return _build(DeadLetter, row)
