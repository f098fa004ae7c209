"""Statements every transition shares: audit rows, outbox rows, lead reads, conditional lead moves.

The statements are built once, with bound parameters, so a transition pays only for executing them
(building a statement and its cache key costs about as much as SQLite running it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, NotRequired, TypedDict, Unpack

from sqlalchemy import Connection, Insert, Select, Table, Update, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable

from storage import load, messages
from storage.batch import Batch
from storage.db import Conflict
from storage.errors import AlreadyClaimed, LeadNotFound, WrongState
from storage.model import Actor, LeadState, OutboxKind
from storage.rows import AnyRow
from storage.tables import audit, leads, offers, outbox

UpsertInsert = Callable[[Table], Any]

# What routing a lead needs to know about it.
ROUTE_COLUMNS = (
    leads.c.id,
    leads.c.state,
    leads.c.offer_id,
    leads.c.contact,
    leads.c.attempts,
    leads.c.assigned_at,
    leads.c.team_id,
    leads.c.sla,
    leads.c.claimed_by,
    leads.c.claimed_at,
)
ALL_LEAD_COLUMNS = tuple(column.name for column in leads.c)


class NewLead(NamedTuple):
    """A lead this transaction has just inserted, with the `ROUTE_COLUMNS` a read-back would return
    (the columns' defaults), so intake routes it without that round trip."""

    id: int
    contact: Mapping[str, Any]
    state: str = LeadState.RECEIVED.value
    offer_id: int | None = None
    attempts: int = 0
    assigned_at: datetime | None = None
    team_id: str | None = None
    sla: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None


# A lead as routing takes it: read (`read_lead`) or just written (`NewLead`).
LeadRow = AnyRow | NewLead
_past = offers.alias("past")
_EXPIRIES = (
    select(func.count())
    .select_from(_past)
    .where(_past.c.lead_id == leads.c.id, _past.c.end_reason == "expired")
    .scalar_subquery()
    .label("expiries")
)
LEAD_UNLOCKED = select(*ROUTE_COLUMNS).where(leads.c.id == bindparam("lead_id"))
LEAD_FOR_ROUTING = LEAD_UNLOCKED.with_for_update()
LEAD_FOR_EXPIRY = LEAD_UNLOCKED.add_columns(_EXPIRIES).with_for_update()  # `expiries`: offers that expired


def insert_row(table: Table, names: Sequence[str]) -> Insert:
    """INSERT of one row of `table` with a named bind parameter per column in `names`: a statement a
    `Batch` can run together with others."""
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})


# One audit row (`audit_row`), one outbox row (`stamped`): run at once, or in a `Batch`.
AUDIT_ROW = insert_row(audit, tuple(column.name for column in audit.c if column.name != "id"))
OUTBOX_ROW = insert_row(outbox, (*messages.ROW_COLUMNS, "created_at", "next_attempt_at"))
_END_OFFER = (
    update(offers)
    .where(offers.c.id == bindparam("offer"), offers.c.state == "open")
    .values(state="ended", end_reason=bindparam("reason"), ended_at=bindparam("at"))
    .returning(offers.c.lead_id, offers.c.rep_id, offers.c.due_at)
)


def upsert_insert(dialect: str) -> UpsertInsert:
    """The dialect's INSERT construct, which has `on_conflict_do_nothing` / `on_conflict_do_update`."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_new(conn: Connection, table: Table, unique: tuple[str, ...], values: Mapping[str, Any]) -> int | None:
    """INSERT `values` into `table` unless a row with the same `unique` columns is there already; returns
    the new row's id, or None for a repeat (nothing written)."""
    return conn.execute(_insert_new(conn.dialect.name, table, unique), values).scalar_one_or_none()


@functools.cache
def _insert_new(dialect: str, table: Table, unique: tuple[str, ...]) -> Executable:
    stmt: Executable = (
        upsert_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=[table.c[name] for name in unique])
        .returning(table.c.id)
    )
    return stmt


class AuditFields(TypedDict):
    """An audit row's fields: `to_state` at `at` by `actor`, because of `reason`; the rest as it applies."""

    at: datetime
    actor: Actor
    to_state: str
    reason: str
    from_state: NotRequired[str | None]
    lead_id: NotRequired[int | None]
    offer_id: NotRequired[int | None]
    rep_id: NotRequired[str | None]
    detail: NotRequired[Mapping[str, Any] | None]


def write_audit(conn: Connection, **fields: Unpack[AuditFields]) -> int:
    """Append one audit row; returns its id (channel posts key on it). The id costs nothing extra:
    SQLAlchemy reads it from the driver (SQLite's lastrowid, PostgreSQL's implicit RETURNING)."""
    key = conn.execute(AUDIT_ROW, audit_row(**fields)).inserted_primary_key
    assert key is not None  # a single-row INSERT always reports its key
    return int(key[0])


def audit_row(**fields: Unpack[AuditFields]) -> dict[str, Any]:
    """One audit row's values, for `AUDIT_ROW`."""
    actor, detail = fields["actor"], fields.get("detail")
    return {
        "lead_id": fields.get("lead_id"),
        "offer_id": fields.get("offer_id"),
        "rep_id": fields.get("rep_id"),
        "actor_kind": actor.kind.value,
        "actor_id": actor.id,
        "at": fields["at"],
        "from_state": fields.get("from_state"),
        "to_state": fields["to_state"],
        "reason": fields["reason"],
        "detail": dict(detail) if detail is not None else None,
    }


def resolve_escalation_posts(conn: Connection, lead_id: int, audit_id: int, now: datetime) -> bool:
    """The lead has an owner: queue a rewrite of every escalation post already sent about it, so the
    channel shows who took it and when instead of buttons. Posts not sent yet render resolved anyway.
    Returns whether it queued any."""
    posts = conn.execute(
        select(outbox.c.id, outbox.c.result_channel, outbox.c.result_ts).where(
            outbox.c.lead_id == lead_id,
            outbox.c.kind == OutboxKind.ESCALATION.value,
            outbox.c.sent_at.is_not(None),
            outbox.c.result_ts.is_not(None),
        )
    ).all()
    rows = [
        messages.row(
            OutboxKind.ESCALATION_RESOLVED,
            post.result_channel,
            {"lead_id": lead_id, "channel": post.result_channel, "ts": post.result_ts},
            f"outbox:{post.id}:resolved:{audit_id}",
            lead_id,
            None,
        )
        for post in posts
        if post.result_channel
    ]
    return queue(conn, rows, now)


def stamped(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """An outbox row (`messages.row`) as `queue` writes it: created and due at `now`."""
    return {**row, "created_at": now, "next_attempt_at": now}


def queue(conn: Connection, rows: Sequence[Mapping[str, Any]], now: datetime) -> bool:
    """Add outbox rows, due at once, in this order (the order the sender delivers them per address).
    Returns whether there were any (what an event's `queued` says)."""
    if not rows:
        return False
    due = [stamped(row, now) for row in rows]
    conn.execute(OUTBOX_ROW, due if len(due) > 1 else due[0])  # one row: no executemany
    return True


def read_lead(conn: Connection, lead_id: int, query: Select[Any] = LEAD_FOR_ROUTING) -> AnyRow:
    """The lead's `ROUTE_COLUMNS` (`query` may add some), its row locked until commit when `query`
    says FOR UPDATE (PostgreSQL; on SQLite the writer holds the whole file). Raises LeadNotFound."""
    row = conn.execute(query, {"lead_id": lead_id}).one_or_none()
    if row is None:
        raise LeadNotFound(lead_id)
    return row


def move_lead(
    conn: Connection,
    lead_id: int,
    *,
    state: str,
    offer_id: int | None,
    values: Mapping[str, Any],
    returning: Sequence[str] = (),
) -> AnyRow | None:
    """Set `values` (plain values, by column name) on the lead if it is still `state` with current
    offer `offer_id`.

    The condition is the optimistic check of every lead transition: raises Conflict (the transaction
    runs again and sees what changed) when another writer moved the lead first. Returns the
    `returning` columns, or None when none were asked for.
    """
    stmt = _move_statement(tuple(values), tuple(returning))
    result = conn.execute(stmt, _move_params(lead_id, state, offer_id, values))
    row = result.one_or_none() if returning else None
    if (row is None) if returning else result.rowcount != 1:
        raise _moved_on(lead_id, state)
    return row


def batch_move_lead(
    writes: Batch, lead_id: int, *, state: str, offer_id: int | None, values: Mapping[str, Any]
) -> None:
    """`move_lead` in a `Batch`: its Conflict is raised when the batch runs."""
    stmt = _move_statement(tuple(values), ("id",))
    writes.add(stmt, _move_params(lead_id, state, offer_id, values), or_raise=_moved_on(lead_id, state))


def _moved_on(lead_id: int, state: str) -> Conflict:
    return Conflict(f"lead {lead_id} moved on from {state}")


def _move_params(lead_id: int, state: str, offer_id: int | None, values: Mapping[str, Any]) -> dict[str, Any]:
    params = {"where_lead": lead_id, "where_state": state, "where_offer": offer_id}
    params.update({f"new_{name}": value for name, value in values.items()})
    return params


@functools.cache
def _move_statement(names: tuple[str, ...], returning: tuple[str, ...]) -> Update:
    stmt = (
        update(leads)
        .where(
            leads.c.id == bindparam("where_lead"),
            leads.c.state == bindparam("where_state"),
            leads.c.offer_id.is_not_distinct_from(bindparam("where_offer")),
        )
        .values({name: bindparam(f"new_{name}", type_=leads.c[name].type) for name in names})
    )
    return stmt.returning(*(leads.c[name] for name in returning)) if returning else stmt


def end_offer(conn: Connection, offer_id: int, *, reason: str, now: datetime) -> AnyRow | None:
    """End the offer with `reason` if it is still open; returns its (lead_id, rep_id, due_at), else None."""
    ended = conn.execute(_END_OFFER, {"offer": offer_id, "reason": reason, "at": now}).one_or_none()
    if ended is not None:
        load.closed(conn, [ended.rep_id])
    return ended


def check_state(lead: AnyRow, allowed: frozenset[LeadState], action: str) -> None:
    """Refuse `action` on a lead not in an `allowed` state: AlreadyClaimed (by whom, when) for a
    claimed lead, WrongState otherwise."""
    if lead.state == LeadState.CLAIMED:
        raise AlreadyClaimed(lead.id, lead.claimed_by, lead.claimed_at)
    if lead.state not in allowed:
        raise WrongState(lead.id, lead.state, action)


def current_lead(conn: Connection, lead_id: int, allowed: frozenset[LeadState], action: str) -> AnyRow:
    """The lead's routing columns, read without a lock, if `action` may start from its state (see
    `check_state`): offers are locked before leads (see `storage.handoff`), and the conditional
    `move_lead` that follows catches any change in between. Raises LeadNotFound."""
    row = read_lead(conn, lead_id, LEAD_UNLOCKED)
    check_state(row, allowed, action)
    return row
