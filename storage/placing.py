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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, select
from sqlalchemy.sql.dml import UpdateBase

from routing import Decision, Lead, Outcome, RotationUpdate, RoutingState
from storage import load, messages
from storage.batch import Batch
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
from storage.outbox import leased_item, leasing_row
from storage.scope import Scope
from storage.tables import offers, pool_members, pools
from storage.writes import (
    AUDIT_ROW,
    OUTBOX_ROW,
    LeadRow,
    audit_row,
    batch_move_lead,
    insert_row,
    move_lead,
    queue,
    stamped,
    upsert_insert,
    write_audit,
)

_NOTHING: Mapping[str, int] = {}


def route(
    scope: Scope,
    conn: Connection,
    locks: frozenset[str],
    lead: LeadRow,
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
    hand_over: timedelta | None = None,
) -> AssignResult:
    """Decide for `lead` (columns `ROUTE_COLUMNS`, still in the state it was read or written in) and persist.

    `state` is the routing state to decide on, `tried` included; by default it is read here, less the
    open load `leaving` (offers the caller ended and records after routing: `storage.load.less_load`).
    With `hand_over` (a lease), a new offer's DM is leased to the caller (`AssignResult.leased`).
    """
    contact = lead_from_json(lead.contact)

    def decide(on: RoutingState | None) -> Decision:  # on `state` as given, or as read now
        if on is None:
            on = load.less_load(scope.state.load(conn, now, lead_id=lead.id, exclude=exclude), leaving)
        return _decide(scope, contact, on, now, prefer_rep, exclude, actor)

    locked: frozenset[str] = frozenset()  # pools this call locked before it read them
    offer_id = None
    if state is None:
        offer_id = _reserve_offer_id(conn)  # before any lock: one write fewer while the pool is held
        locked = scope.lock_pools(conn, locks | _likely_contended(scope, contact, now))
    decision = decide(state)
    pool = decision.rotation.pool if decision.rotation is not None else None
    if state is None and pool is not None and pool not in locked and scope.contended(pool):
        # Other writers are taking this pool's turns: lock it, read again and decide on what is now
        # settled, rather than lose the race at `_rotate` and roll the whole transaction back.
        locked |= scope.lock_pools(conn, frozenset({pool}))
        decision = decide(None)
    writes = Batch(conn)
    if decision.rotation is not None:
        try:
            _rotate(conn, writes, decision.rotation, locked=decision.rotation.pool in locked)
        except Conflict:
            scope.lost_race(decision.rotation.pool)
            raise
    if decision.outcome is Outcome.ASSIGNED:
        return _offer(scope, writes, lead, decision, now, actor, audit_from, extra, hand_over, offer_id)
    writes.run()  # the rotation of a decision that makes no offer yet (a hold)
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


def _likely_contended(scope: Scope, lead: Lead, now: datetime) -> frozenset[str]:
    """The pool `lead` will most likely take a turn of, if it is contended: `route` locks it before it
    reads the state, instead of reading, deciding, and then locking and reading again. The engine's
    decision on an empty state names the pool that the rules lead to (who can take it, which needs the
    state, decides the rest). A wrong guess costs only a needless lock: `route` still locks the pool
    it actually decides on."""
    if not scope.any_contended():
        return frozenset()
    rotation = scope.engine.route(lead, RoutingState(), now).rotation
    return frozenset({rotation.pool}) if rotation is not None and scope.contended(rotation.pool) else frozenset()


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


def _rotate(conn: Connection, writes: Batch, rotation: RotationUpdate, *, locked: bool) -> None:
    """Apply the rotation update: the pool takes turn `rotation.turn` only if it is still one before;
    its members' counts go in `writes`. The turn goes in `writes` too if this transaction has `locked`
    the pool already; otherwise it runs at once, so the pool row is locked before any rep's counters
    (the lock order, `storage.load`).

    Raises Conflict (lock: the pool), at once or when `writes` run, when another writer advanced the
    pool since this one read it.
    """
    turn, member = _rotation_statements(conn.dialect.name)
    params = {"pool_id": rotation.pool, "turn": rotation.turn}
    lost = Conflict(f"pool {rotation.pool} moved past turn {rotation.turn - 1}", lock=rotation.pool)
    if locked:
        writes.add(turn, params, or_raise=lost)
    elif conn.execute(turn, params).first() is None:
        raise lost
    for rep_id, credit in rotation.credits.items():
        if rep_id != rotation.rep:
            passed = {"last_turn": 0, "assigned": 0, "credit": credit}
            writes.add(member, {"pool_id": rotation.pool, "rep_id": rep_id, **passed})
    served = {"last_turn": rotation.turn, "assigned": 1, "credit": rotation.credits.get(rotation.rep, 0.0)}
    writes.add(member, {"pool_id": rotation.pool, "rep_id": rotation.rep, **served})


def _offer(
    scope: Scope,
    writes: Batch,
    lead: LeadRow,
    decision: Decision,
    now: datetime,
    actor: Actor,
    audit_from: str,
    extra: Sequence[Message],
    hand_over: timedelta | None,
    offer_id: int | None,
) -> AssignResult:
    """Persist an ASSIGNED decision in one batch with `writes`: the offer (with `offer_id` if one was
    reserved, else inserted first for its id), the rep's load, the lead's move, the audit row and the
    DM (leased to the caller with `hand_over`)."""
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
    if offer_id is None:
        offer_id = writes.conn.execute(_INSERT_OFFER, values).scalar_one()
    else:
        writes.add(_OFFER_ROW, {"id": offer_id, **values})
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
    load.offered(writes, decision.rep, now, load.day_start(now, scope.rep(decision.rep).tz))
    team_id = scope.team_of(decision.pool, decision.rep)
    batch_move_lead(
        writes,
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
    writes.add(
        AUDIT_ROW,
        audit_row(
            at=now,
            actor=actor,
            lead_id=lead.id,
            offer_id=made.id,
            from_state=audit_from,
            to_state=LeadState.ASSIGNED.value,
            reason=made.summary,
        ),
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
    if hand_over is None:
        leasing = None
        writes.add(OUTBOX_ROW, stamped(dm, now))
    else:
        leasing = writes.add(*leasing_row(dm, now=now, lease=hand_over))
    written = writes.run()
    callers = [
        messages.row(m.kind, m.address, dict(m.payload), m.dedup_key, lead.id, made.id, transport=m.transport)
        for m in extra
    ]
    queue(writes.conn, callers, now)  # after the DM: a batch's rows get ids in no set order
    leased = None if leasing is None else leased_item(dm, written[leasing].first, now=now)
    assigned = LeadAssigned(
        at=now,
        queued=leased is None or bool(extra),  # the sender has something to do
        handed_over=leased is not None,
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
    return AssignResult(
        lead_id=lead.id, state=LeadState.ASSIGNED, decision=decision, offer=made, leased=leased, events=(assigned,)
    )


def _reserve_offer_id(conn: Connection) -> int | None:
    """On PostgreSQL, an id for the offer this routing may make, from the offers' sequence, so that
    the offer's INSERT need not come first for its id and can join the other writes (`Batch`). None on
    SQLite, where it costs nothing to insert first. Ids reserved for no offer are skipped, as ids of
    rolled-back inserts are."""
    if conn.dialect.name != "postgresql":
        return None
    return int(conn.execute(_NEXT_OFFER_ID).scalar_one())


_INSERT_OFFER = insert(offers).returning(offers.c.id)
# A new offer with a reserved id: every column `_offer` writes (the rest start empty).
_OFFER_ROW = insert_row(
    offers,
    (
        *("id", "lead_id", "rep_id", "attempt", "turn", "rule", "pool", "strategy", "fallback", "sla"),
        *("summary", "reasons", "offered_by", "assigned_at", "due_at", "remind_at", "state"),
    ),
)
_NEXT_OFFER_ID = select(func.nextval(func.pg_get_serial_sequence(offers.name, offers.c.id.name)))


@functools.cache
def _rotation_statements(dialect: str) -> tuple[UpdateBase, UpdateBase]:
    """The pool-turn upsert (returns a row only if the turn moved from `turn - 1`) and the member
    upsert of one member (last turn, assignments and credit add up), for `dialect`, built once, with
    named parameters (they run in a `Batch`)."""
    make = upsert_insert(dialect)
    insert_pool = make(pools).values(pool_id=bindparam("pool_id"), turn=bindparam("turn", type_=pools.c.turn.type))
    turn: UpdateBase = insert_pool.on_conflict_do_update(
        index_elements=[pools.c.pool_id],
        set_={"turn": insert_pool.excluded.turn},
        where=pools.c.turn == insert_pool.excluded.turn - 1,
    ).returning(pools.c.pool_id)
    names = ("pool_id", "rep_id", "last_turn", "assigned", "credit")
    member = make(pool_members).values({name: bindparam(name, type_=pool_members.c[name].type) for name in names})
    new = member.excluded
    upsert: UpdateBase = member.on_conflict_do_update(
        index_elements=[pool_members.c.pool_id, pool_members.c.rep_id],
        set_={
            "last_turn": case(
                (new.last_turn > pool_members.c.last_turn, new.last_turn), else_=pool_members.c.last_turn
            ),
            "assigned": pool_members.c.assigned + new.assigned,
            "credit": pool_members.c.credit + new.credit,
        },
    )
    return turn, upsert
