"""One lead per person: a new lead whose email matches a lead of the same person still open, or claimed
within the dedupe window and not closed by an outcome, is attached to that lead (a `lead_repeats` row)
instead of routed again, and whoever holds the lead hears it in their offer DM thread.

The match reads the `(email_key, received_at)` index: one person's leads, never a scan. A retried
webhook of the same (source, external_id) attaches once (the table is unique on it, like `leads`).
Two submissions of one person racing on PostgreSQL may both be routed; SQLite's one writer cannot race.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, exists, not_, or_, select

from routing import Lead
from storage import messages
from storage.codec import lead_to_json
from storage.events import LeadReturned
from storage.model import CLOSING_OUTCOMES, SYSTEM, LeadState
from storage.rows import AnyRow
from storage.tables import UtcDateTime, lead_repeats, leads, offers
from storage.writes import insert_new, queue, write_audit

_UNCLAIMED = [LeadState.RECEIVED.value, LeadState.ASSIGNED.value, LeadState.ESCALATED.value, LeadState.QUEUED.value]
_SINCE = bindparam("since", type_=UtcDateTime)
# The person's latest lead still open (received within the window) or claimed within it, not closed.
_OPEN_LEAD_OF = (
    select(leads.c.id)
    .where(
        leads.c.email_key == bindparam("key"),
        or_(leads.c.outcome.is_(None), not_(leads.c.outcome.in_(sorted(CLOSING_OUTCOMES)))),
        or_(
            and_(leads.c.state.in_(_UNCLAIMED), leads.c.received_at >= _SINCE),
            and_(leads.c.state == LeadState.CLAIMED.value, leads.c.claimed_at >= _SINCE),
        ),
    )
    .order_by(leads.c.received_at.desc())
    .limit(1)
)


class Earlier(NamedTuple):
    """What is stored already about a submission (`earlier`)."""

    attached_to: int | None  # the lead an earlier delivery of this (source, external_id) was attached to
    stored: bool  # this (source, external_id) is a lead stored before
    open_lead: AnyRow | None  # the person's lead to attach a new one to (see the module docstring)


def earlier(
    conn: Connection, source: str, external_id: str | None, email_key: str, now: datetime, window: timedelta
) -> Earlier:
    """What is stored already about this submission, read in one statement (intake pays it on every
    lead); the person's open lead's row takes a second one, only when there is such a lead."""
    params = {"source": source, "external_id": external_id, "key": email_key, "since": now - window}
    attached_to, stored, open_id = conn.execute(_EARLIER, params).one()
    open_lead = conn.execute(_LEAD, {"lead_id": open_id}).one() if open_id is not None else None
    return Earlier(attached_to=attached_to, stored=bool(stored), open_lead=open_lead)


# A NULL external_id matches nothing: such a lead is never a retry.
_SOURCE = bindparam("source", type_=leads.c.source.type)
_EXTERNAL_ID = bindparam("external_id", type_=leads.c.external_id.type)
_EARLIER = select(
    select(lead_repeats.c.lead_id)
    .where(lead_repeats.c.source == _SOURCE, lead_repeats.c.external_id == _EXTERNAL_ID)
    .scalar_subquery(),
    exists().where(leads.c.source == _SOURCE, leads.c.external_id == _EXTERNAL_ID),
    _OPEN_LEAD_OF.scalar_subquery(),
)
_LEAD = select(leads.c.id, leads.c.state, leads.c.offer_id, leads.c.claimed_by).where(
    leads.c.id == bindparam("lead_id")
)


def attach(
    conn: Connection,
    match: AnyRow,
    lead: Lead,
    *,
    source: str,
    external_id: str | None,
    payload: Mapping[str, Any],
    known_reps: frozenset[str],
    now: datetime,
) -> LeadReturned | None:
    """Attach the new lead to `match`: kept as a repeat, audited on the lead, and the rep holding it
    (the open offer's rep, or the owner) told in their offer DM thread. None when a concurrent delivery
    of the same (source, external_id) attached it first."""
    values = {
        "lead_id": match.id,
        "source": source,
        "external_id": external_id,
        "payload": dict(payload),
        "contact": lead_to_json(lead),
        "received_at": now,
    }
    repeat_id = insert_new(conn, lead_repeats, ("source", "external_id"), values)
    if repeat_id is None:
        return None
    facts = came_back(lead, source)
    write_audit(
        conn,
        at=now,
        actor=SYSTEM,
        lead_id=match.id,
        from_state=match.state,
        to_state=match.state,
        reason=f"came back: {facts['what']}",
        detail={"repeat_id": repeat_id, "source": source, "external_id": external_id},
    )
    holder = _holder(conn, match)
    rows = []
    if holder is not None and holder in known_reps and match.offer_id is not None:
        rows.append(
            messages.lead_returned(
                lead_id=match.id, offer_id=match.offer_id, rep_id=holder, repeat_id=repeat_id, facts=facts
            )
        )
    queued = queue(conn, rows, now)
    return LeadReturned(at=now, queued=queued, lead_id=match.id, repeat_id=repeat_id, source=source, rep_id=holder)


def came_back(lead: Lead, source: str) -> dict[str, Any]:
    """How the person came back, as facts for the note: the form they filled (an extra `form` or
    `form_name` field), else their intent, else a new submission; and where from."""
    form = lead.extra.get("form") or lead.extra.get("form_name")
    if form:
        what = f"filled the {form} form"
    elif lead.intent:
        what = f"asked for {lead.intent}"
    else:
        what = "sent a new submission"
    return {"what": what, "source": source}


def _holder(conn: Connection, match: AnyRow) -> str | None:
    """Who holds the lead: its owner, else the rep of its open offer, else nobody."""
    if match.claimed_by is not None:
        return str(match.claimed_by)
    if match.offer_id is None:
        return None
    rep: str | None = conn.execute(select(offers.c.rep_id).where(offers.c.id == match.offer_id)).scalar_one_or_none()
    return rep
