"""Rows to domain objects: the one place that knows both the tables and `storage.model`."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import Row

from storage.codec import lead_from_json, reasons_from_json
from storage.model import (
    Actor,
    ActorKind,
    AuditEntry,
    EndReason,
    LeadRecord,
    LeadState,
    Offer,
    OfferState,
    OutboxItem,
)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def lead_record(row: AnyRow) -> LeadRecord:
    m = row._mapping
    return LeadRecord(
        id=m["id"],
        source=m["source"],
        external_id=m["external_id"],
        lead=lead_from_json(m["contact"]),
        payload=m["payload"],
        facts=m["facts"],
        state=LeadState(m["state"]),
        offer_id=m["offer_id"],
        team_id=m["team_id"],
        sla=m["sla"],
        received_at=m["received_at"],
        assigned_at=m["assigned_at"],
        claimed_at=m["claimed_at"],
        claimed_by=m["claimed_by"],
        attempts=m["attempts"],
        escalation_level=m["escalation_level"],
        pings=m["pings"],
        next_ping_at=m["next_ping_at"],
        thread_channel=m["thread_channel"],
        thread_ts=m["thread_ts"],
    )


def offer(row: AnyRow) -> Offer:
    m = row._mapping
    return Offer(
        id=m["id"],
        lead_id=m["lead_id"],
        rep_id=m["rep_id"],
        attempt=m["attempt"],
        turn=m["turn"],
        rule=m["rule"],
        pool=m["pool"],
        strategy=m["strategy"],
        fallback=bool(m["fallback"]),
        sla=m["sla"],
        summary=m["summary"],
        reasons=reasons_from_json(m["reasons"]),
        offered_by=m["offered_by"],
        assigned_at=m["assigned_at"],
        due_at=m["due_at"],
        remind_at=m["remind_at"],
        reminded_at=m["reminded_at"],
        claimed_at=m["claimed_at"],
        claimed_by=m["claimed_by"],
        ended_at=m["ended_at"],
        end_reason=EndReason(m["end_reason"]) if m["end_reason"] else None,
        state=OfferState(m["state"]),
        dm_channel=m["dm_channel"],
        dm_ts=m["dm_ts"],
    )


def audit_entry(row: AnyRow) -> AuditEntry:
    m = row._mapping
    return AuditEntry(
        id=m["id"],
        lead_id=m["lead_id"],
        offer_id=m["offer_id"],
        rep_id=m["rep_id"],
        actor=Actor(kind=ActorKind(m["actor_kind"]), id=m["actor_id"]),
        at=m["at"],
        from_state=m["from_state"],
        to_state=m["to_state"],
        reason=m["reason"],
        detail=m["detail"],
    )


def outbox_item(row: AnyRow) -> OutboxItem:
    m = row._mapping
    return OutboxItem(
        id=m["id"],
        kind=m["kind"],
        lead_id=m["lead_id"],
        offer_id=m["offer_id"],
        target=m["target"],
        payload=m["payload"],
        dedup_key=m["dedup_key"],
        attempts=m["attempts"],
        created_at=m["created_at"],
        dm_channel=m["dm_channel"],
        dm_ts=m["dm_ts"],
        thread_channel=m["thread_channel"],
        thread_ts=m["thread_ts"],
    )
