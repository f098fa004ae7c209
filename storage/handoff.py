"""In-transaction steps that hand a lead on, shared by the repositories: end its open offer
(`withdraw_offer`), or put it in the managers' hands (`escalate`).

Lock order on PostgreSQL, which every transition follows so that none can deadlock another: offer
rows, then lead rows, then pool rows. A transition that starts from a lead reads it without a lock,
locks its offer, then moves the lead with a conditional update (`storage.writes.move_lead`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from storage import messages
from storage.db import Conflict
from storage.events import LeadEscalated
from storage.model import Actor, EndReason, LeadState
from storage.rows import AnyRow
from storage.scope import Scope
from storage.writes import ALL_LEAD_COLUMNS, LeadRow, end_offer, move_lead, queue, write_audit

IN_MANAGERS_HANDS = (LeadState.ESCALATED.value, LeadState.QUEUED.value)


def escalate(
    scope: Scope,
    conn: Connection,
    lead: LeadRow,
    now: datetime,
    *,
    actor: Actor,
    to_state: LeadState,
    team_id: str | None,
    sla: str | None,
    audit_from: str,
    reason: str,
    values: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    offer_id: int | None = None,
) -> tuple[AnyRow, LeadEscalated]:
    """Put the lead in the managers' hands (`escalated` or `queued`) and ping the first manager.

    `lead` needs id, state and offer_id as read; `values` are more lead columns to set; `offer_id` is
    the offer the audit row is about. Returns the lead's row after the move (all columns) and the event.
    """
    pingable = bool(messages.escalation_address(scope.config, team_id, 0))
    next_ping_at = now + scope.ping_every(team_id, sla) if pingable else None
    moved = move_lead(
        conn,
        lead.id,
        state=lead.state,
        offer_id=lead.offer_id,
        values={
            **(values or {}),
            "state": to_state.value,
            "offer_id": None,
            "team_id": team_id,
            "sla": sla,
            "escalation_level": 0,
            "pings": 1,
            "next_ping_at": next_ping_at,
        },
        returning=ALL_LEAD_COLUMNS,
    )
    audit_id = write_audit(
        conn,
        at=now,
        actor=actor,
        lead_id=lead.id,
        offer_id=offer_id,
        from_state=audit_from,
        to_state=to_state.value,
        reason=reason,
        detail=detail,
    )
    rows = messages.escalation(
        scope.config, team_id=team_id, lead_id=lead.id, audit_id=audit_id, level=0, ping=1, reason=reason
    )
    escalated = LeadEscalated(
        at=now,
        queued=queue(conn, rows, now),
        lead_id=lead.id,
        state=to_state.value,
        team_id=team_id,
        manager=messages.escalation_manager(scope.config, team_id, 0),
        level=0,
        ping=1,
        next_ping_at=next_ping_at,
        by=actor.id,
    )
    assert moved is not None  # asked for columns, so move_lead returned the row
    return moved, escalated


def withdraw_offer(conn: Connection, lead: AnyRow, end: EndReason, actor: Actor, now: datetime) -> AnyRow | None:
    """End the lead's open offer, if it has one, and queue the update of its DM.

    Returns the ended offer's (lead_id, rep_id, due_at), None if there was none. Raises Conflict when
    the offer closed since the lead was read.
    """
    if lead.offer_id is None:
        return None
    ended = end_offer(conn, lead.offer_id, reason=end.value, now=now)
    if ended is None:
        raise Conflict(f"offer {lead.offer_id} closed meanwhile")
    dm = messages.offer_update(
        lead_id=lead.id, offer_id=lead.offer_id, rep_id=ended.rep_id, status=end.value, by=actor.id, at=now
    )
    queue(conn, [dm], now)
    return ended
