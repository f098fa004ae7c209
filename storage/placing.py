"""Routing a lead inside a transaction and persisting the decision: `route`, the step shared by
assignment, reassignment and expiry.

`route` reads the routing state (one statement), asks the engine, advances the pool cursor with a
conditional upsert (the `Conflict` that makes a lost race retry with the pool locked first), and
writes the offer, the lead's move, the audit row and the DM, or parks the lead in nurture, the
manager queue or (off hours, `off_hours: hold`) a hold until the first shift (`storage.holds`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Executable, case, insert

from routing import Decision, Lead, Outcome, RotationUpdate, RoutingState
from storage import load, messages
from storage.codec import lead_from_json, reasons_to_json
from storage.db import Conflict
from storage.errors import StorageError
from storage.events import Events, LeadAssigned, LeadNurtured
from storage.handoff import escalate
from storage.holds import hold_lead
from storage.model import (
    Actor,
    AssignResult,
    LeadState,
    Message,
    Offer,
    OfferState,
)
from storage.rows import AnyRow
from storage.scope import Scope
from storage.tables import offers, pool_members, pools
from storage.writes import move_lead, queue, upsert_insert, write_audit

_NOTHING: Mapping[str, int] = {}


def route(
    scope: Scope,
    conn: Connection,
    locks: frozenset[str],
    lead: AnyRow,
    now: datetime,
    *,
    actor: Actor,
    audit_from: str,
    exclude: frozenset[str] = frozenset(),
    prefer_rep: str | None = None,
    queued_state: LeadState = LeadState.QUEUED,
    extra: Sequence[Message] = (),
    state: RoutingState | None = None,
    leaving: Mapping[str, int] = _NOTHING,
) -> AssignResult:
    """Decide for `lead` (columns `ROUTE_COLUMNS`, still in the state it was read in) and persist.

    `state` is the routing state to decide on, `tried` included; by default it is read here, less the
    open load `leaving` (offers the caller ended and records after routing: `storage.load.less_load`).
    """
    contact = lead_from_json(lead.contact)
    read_here = state is None
    if state is None:
        scope.lock_pools(conn, locks)
        state = load.less_load(scope.state.load(conn, now, lead_id=lead.id, exclude=exclude), leaving)
    decision = _decide(scope, contact, state, now, prefer_rep, exclude, actor)
    pool = decision.rotation.pool if decision.rotation is not None else None
    if read_here and pool is not None and pool not in locks and scope.contended(pool):
        # Other writers are taking this pool's turns: lock it, read again and decide on what is now
        # settled, rather than lose the race at `_rotate` and roll the whole transaction back.
        scope.lock_pools(conn, frozenset({pool}))
        state = load.less_load(scope.state.load(conn, now, lead_id=lead.id, exclude=exclude), leaving)
        decision = _decide(scope, contact, state, now, prefer_rep, exclude, actor)
    if decision.rotation is not None:
        try:
            _rotate(conn, decision.rotation)
        except Conflict:
            scope.lost_race(decision.rotation.pool)
            raise
    if decision.outcome is Outcome.ASSIGNED:
        return _offer(scope, conn, lead, decision, now, actor, audit_from, extra)
    if decision.outcome is Outcome.HELD:
        team_id = scope.team_of(decision.pool, None)
        return hold_lead(conn, scope.config, lead, decision, now, team_id=team_id, actor=actor, audit_from=audit_from)
    common = {"facts": dict(decision.facts), "sla": decision.sla}
    detail = {"reasons": reasons_to_json(decision.reasons)}
    if decision.outcome is Outcome.NURTURE:
        move_lead(
            conn,
            lead.id,
            state=lead.state,
            offer_id=lead.offer_id,
            values={**common, "state": LeadState.NURTURE.value, "offer_id": None, "next_ping_at": None},
        )
        write_audit(
            conn,
            at=now,
            actor=actor,
            lead_id=lead.id,
            from_state=audit_from,
            to_state=LeadState.NURTURE.value,
            reason=decision.summary,
            detail=detail,
        )
        events: Events = (LeadNurtured(at=now, queued=False, lead_id=lead.id, by=actor.id),)
    else:
        _moved, escalated = escalate(
            scope,
            conn,
            lead,
            now,
            actor=actor,
            to_state=queued_state,
            team_id=scope.team_of(decision.pool, None),
            sla=decision.sla,
            audit_from=audit_from,
            reason=decision.summary,
            values=common,
            detail=detail,
        )
        events = (escalated,)
    state_after = LeadState.NURTURE if decision.outcome is Outcome.NURTURE else queued_state
    return AssignResult(lead_id=lead.id, state=state_after, decision=decision, offer=None, events=events)


def _decide(
    scope: Scope,
    lead: Lead,
    state: RoutingState,
    now: datetime,
    prefer_rep: str | None,
    exclude: frozenset[str],
    actor: Actor,
) -> Decision:
    if prefer_rep is None:
        return scope.engine.route(lead, state, now)
    scope.rep(prefer_rep)  # UnknownPerson, not KeyError
    return scope.engine.route_to(lead, prefer_rep, state, now, chosen_by=actor.id, exclude=exclude)


def _rotate(conn: Connection, rotation: RotationUpdate) -> None:
    """Apply the rotation update: the pool takes turn `rotation.turn` only if it is still one before.

    Raises Conflict (lock: the pool) when another writer advanced the pool since this one read it.
    """
    turn, members = _rotation_statements(conn.dialect.name)
    if conn.execute(turn, {"pool_id": rotation.pool, "turn": rotation.turn}).first() is None:
        raise Conflict(f"pool {rotation.pool} moved past turn {rotation.turn - 1}", lock=rotation.pool)
    rows = [
        {"pool_id": rotation.pool, "rep_id": rep_id, "last_turn": 0, "assigned": 0, "credit": credit}
        for rep_id, credit in rotation.credits.items()
        if rep_id != rotation.rep
    ]
    rows.append(
        {
            "pool_id": rotation.pool,
            "rep_id": rotation.rep,
            "last_turn": rotation.turn,
            "assigned": 1,
            "credit": rotation.credits.get(rotation.rep, 0.0),
        }
    )
    conn.execute(members, rows if len(rows) > 1 else rows[0])  # several rows: executemany


def _offer(
    scope: Scope,
    conn: Connection,
    lead: AnyRow,
    decision: Decision,
    now: datetime,
    actor: Actor,
    audit_from: str,
    extra: Sequence[Message],
) -> AssignResult:
    """Persist an ASSIGNED decision: the offer, the lead's move, the audit row and the DM."""
    if decision.rep is None or decision.due_at is None:
        raise StorageError("the engine assigned a lead without a rep or a due time")
    fields: dict[str, Any] = {
        "lead_id": lead.id,
        "rep_id": decision.rep,
        "attempt": lead.attempts + 1,
        "turn": decision.rotation.turn if decision.rotation else None,
        "rule": decision.rule,
        "pool": decision.pool,
        "strategy": decision.strategy,
        "fallback": decision.fallback,
        "sla": decision.sla,
        "summary": decision.summary,
        "offered_by": actor.id,
        "assigned_at": now,
        "due_at": decision.due_at,
        "remind_at": decision.remind_at,
    }
    values = {**fields, "reasons": reasons_to_json(decision.reasons), "state": OfferState.OPEN.value}
    offer_id = conn.execute(_INSERT_OFFER, values).scalar_one()
    load.offered(conn, decision.rep, now, load.day_start(now, scope.rep(decision.rep).tz))
    made = Offer(
        id=offer_id,
        **fields,
        reasons=decision.reasons,
        state=OfferState.OPEN,
        reminded_at=None,
        claimed_at=None,
        claimed_by=None,
        ended_at=None,
        end_reason=None,
        dm_channel=None,
        dm_ts=None,
    )
    team_id = scope.team_of(decision.pool, decision.rep)
    move_lead(
        conn,
        lead.id,
        state=lead.state,
        offer_id=lead.offer_id,
        values={
            "state": LeadState.ASSIGNED.value,
            "offer_id": made.id,
            "team_id": team_id,
            "sla": decision.sla,
            "facts": dict(decision.facts),
            "attempts": lead.attempts + 1,  # the lead is locked (or we are the only writer)
            "assigned_at": lead.assigned_at or now,  # the first assignment: speed to lead
            "claimed_at": None,
            "claimed_by": None,
            "next_ping_at": None,
        },
    )
    write_audit(
        conn,
        at=now,
        actor=actor,
        lead_id=lead.id,
        offer_id=made.id,
        from_state=audit_from,
        to_state=LeadState.ASSIGNED.value,
        reason=made.summary,
    )
    dm = messages.offer_dm(
        lead_id=lead.id,
        offer_id=made.id,
        rep_id=made.rep_id,
        attempt=made.attempt,
        summary=made.summary,
        due_at=made.due_at,
        offered_by=made.offered_by,
    )
    callers = [
        messages.row(m.kind, m.address, dict(m.payload), m.dedup_key, lead.id, made.id, transport=m.transport)
        for m in extra
    ]
    queue(conn, [dm, *callers], now)
    assigned = LeadAssigned(
        at=now,
        queued=True,
        lead_id=lead.id,
        offer_id=made.id,
        rep_id=made.rep_id,
        team_id=team_id,
        attempt=made.attempt,
        due_at=made.due_at,
        remind_at=made.remind_at,
        by=made.offered_by,
        fallback=made.fallback,
    )
    return AssignResult(lead_id=lead.id, state=LeadState.ASSIGNED, decision=decision, offer=made, events=(assigned,))


_INSERT_OFFER = insert(offers).returning(offers.c.id)


@functools.cache
def _rotation_statements(dialect: str) -> tuple[Executable, Executable]:
    """The pool-turn upsert (returns a row only if the turn moved from `turn - 1`) and the member
    upsert (last turn, assignments and credit add up), for `dialect`, built once."""
    make = upsert_insert(dialect)
    insert_pool = make(pools)
    turn = insert_pool.on_conflict_do_update(
        index_elements=[pools.c.pool_id],
        set_={"turn": insert_pool.excluded.turn},
        where=pools.c.turn == insert_pool.excluded.turn - 1,
    ).returning(pools.c.pool_id)
    member = make(pool_members)
    new = member.excluded
    member = member.on_conflict_do_update(
        index_elements=[pool_members.c.pool_id, pool_members.c.rep_id],
        set_={
            "last_turn": case(
                (new.last_turn > pool_members.c.last_turn, new.last_turn), else_=pool_members.c.last_turn
            ),
            "assigned": pool_members.c.assigned + new.assigned,
            "credit": pool_members.c.credit + new.credit,
        },
    )
    return turn, member
