"""JSON forms of the routing values storage keeps: the validated lead and the decision's reasons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from routing import Lead, Reason

_LEAD_FIELDS = tuple(f.name for f in fields(Lead) if f.name not in ("created_at", "extra"))


def lead_to_json(lead: Lead) -> dict[str, Any]:
    """The lead's set fields; `created_at` as ISO 8601, `extra` as an object."""
    data: dict[str, Any] = {name: value for name in _LEAD_FIELDS if (value := getattr(lead, name)) is not None}
    if lead.created_at is not None:
        data["created_at"] = lead.created_at.isoformat()
    if lead.extra:
        data["extra"] = dict(lead.extra)
    return data


def lead_from_json(data: Mapping[str, Any]) -> Lead:
    """The inverse of `lead_to_json`."""
    created = data.get("created_at")
    return Lead(
        **{name: data[name] for name in _LEAD_FIELDS if name in data},
        created_at=datetime.fromisoformat(created) if created else None,
        extra=dict(data.get("extra", {})),
    )


def reasons_to_json(reasons: Iterable[Reason]) -> list[dict[str, str | None]]:
    return [{"code": r.code, "text": r.text, "rep": r.rep} for r in reasons]


def reasons_from_json(data: Iterable[Mapping[str, Any]]) -> tuple[Reason, ...]:
    return tuple(Reason(item["code"], item["text"], item.get("rep")) for item in data)
