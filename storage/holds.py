"""Leads held off hours (`off_hours: hold`): waiting, unassigned, for the first shift.

A held lead stays `received` (nobody has it; managers see it on their Home and in the team channel)
with a row in `held_leads` whose `release_at` is when the first rep starts. The deadline lives in the
database, like an SLA's: the timers' sweep and wake-up release due holds
(`TimerTransitions.release_held_due`), claiming them with one statement (``SKIP LOCKED`` on
PostgreSQL), so a late, repeated or concurrent call never releases a lead twice and a restart loses no
hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.sql import Select

from routing import Decision, RoutingConfig
from storage import batches, messages
from storage.codec import reasons_to_json
from storage.events import LeadHeld
from storage.model import Actor, AssignResult, LeadState
from storage.tables import held_leads
from storage.writes import LeadRow, move_lead, queue, write_audit

HELD = "held"  # the audit trail's word for the hold; the lead's state stays `received`


def hold_lead(
    conn: Connection,
    config: RoutingConfig,
    lead: LeadRow,
    decision: Decision,
    now: datetime,
    *,
    team_id: str,
    actor: Actor,
    audit_from: str,
) -> AssignResult:
    """Persist a HELD decision: the lead stays `received`, for `team_id`, until `decision.starts_at`;
    an audit row keeps the trace, and the team channel hears that it waits."""
    if decision.starts_at is None:
        raise ValueError("a held decision names when the lead is released")
    move_lead(
        conn,
        lead.id,
        state=lead.state,
        offer_id=lead.offer_id,
        values={"team_id": team_id, "facts": dict(decision.facts)},
    )
    conn.execute(
        insert(held_leads).values(lead_id=lead.id, team_id=team_id, held_at=now, release_at=decision.starts_at)
    )
    audit_id = write_audit(
        conn,
        at=now,
        actor=actor,
        lead_id=lead.id,
        from_state=audit_from,
        to_state=HELD,
        reason=decision.summary,
        detail={"reasons": reasons_to_json(decision.reasons), "release_at": decision.starts_at.isoformat()},
    )
    note = messages.thread_note(
        config, team_id=team_id, lead_id=lead.id, audit_id=audit_id, event=HELD, until=decision.starts_at.isoformat()
    )
    queue(conn, note, now)
    held = LeadHeld(at=now, queued=bool(note), lead_id=lead.id, team_id=team_id, release_at=decision.starts_at)
    return AssignResult(lead_id=lead.id, state=LeadState.RECEIVED, decision=decision, offer=None, events=(held,))


def take_due(conn: Connection, now: datetime, limit: int) -> Sequence[int]:
    """Delete up to `limit` holds due at `now` and return their lead ids, the earliest held first.

    Rows nobody else has locked (``SKIP LOCKED`` on PostgreSQL): a concurrent call takes other rows, a
    repeated one none (`storage.batches.pick`)."""
    columns = held_leads.c
    taken = batches.take(
        conn,
        columns.lead_id,
        columns.release_at,
        columns.release_at <= now,
        limit=limit,
        returning=(columns.lead_id, columns.held_at),
    )
    return [row.lead_id for row in sorted(taken, key=lambda r: (r.held_at, r.lead_id))]


def next_release() -> Select[tuple[datetime | None]]:
    """The earliest release deadline, for the timers' wake-up."""
    return select(func.min(held_leads.c.release_at))
