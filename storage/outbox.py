"""The sender's side of the outbox: lease rows to deliver, then record how delivery went.

A row is *pending* until it is sent or failed. `lease_due` leases pending rows that are due: their
`next_attempt_at` moves a lease ahead, so two senders (replicas) never hold the same row, and a sender
that dies mid-delivery gets its rows redelivered once the lease runs out (Slack posts carry the row's
dedup key in their metadata, so a redelivery after a lost acknowledgement is detectable). Delivery is
in order per address (of one transport): a row is handed out only when no older row for the same
address is pending, so a
DM's update never overtakes the DM and a channel thread reads in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Exists,
    FromClause,
    bindparam,
    case,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate, UpdateBase

from storage import messages
from storage.db import Database
from storage.errors import OutboxItemNotFound
from storage.model import DeadLetter, OutboxItem, OutboxKind, Transport
from storage.rows import dead_letter, outbox_item
from storage.tables import leads, offers, outbox

_PENDING = (outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
_REPLAY = ":replay:"  # in the dedup key of a row `Outbox.replay` copied
# Posts to the team channel whose first delivery starts the lead's thread there.
_CHANNEL_POSTS = (OutboxKind.LEAD_THREAD_NOTE.value, OutboxKind.ESCALATION.value)


class Outbox:
    """Outbox delivery bookkeeping on one `Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def lease_due(
        self,
        now: datetime,
        *,
        limit: int = 50,
        lease: timedelta = timedelta(seconds=30),
        transports: Sequence[str] | None = None,
    ) -> list[OutboxItem]:
        """Lease up to `limit` deliverable rows, oldest first, with the Slack refs they need; only rows
        of `transports`, if given (the others are held).

        Deliverable: pending, due (`next_attempt_at <= now`), and the oldest pending row of its address,
        so at most one row per address is out at a time. Each returned row's attempt count goes up by one
        and its next attempt moves to `now + lease`.
        """

        def work(conn: Connection, _locks: frozenset[str]) -> list[OutboxItem]:
            row = outbox.alias("row")
            only = () if transports is None else (row.c.transport.in_(transports),)
            pick = (
                select(row.c.id)
                .where(
                    row.c.sent_at.is_(None),
                    row.c.failed_at.is_(None),
                    row.c.next_attempt_at <= now,
                    *only,
                    ~_waits(row),
                )
                .order_by(row.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=row)
            )
            # The pick is a statement of its own: inside the UPDATE, PostgreSQL may run it more than once
            # (each run skipping the rows already leased), and lease more than `limit` rows.
            due = conn.execute(pick).scalars().all()
            if not due:
                return []
            return _lease(conn, _leasing(outbox.c.id.in_(due)), until=now + lease)

        return await self.db.transact(work)

    async def lease_backlog(
        self,
        address: str,
        *,
        transport: Transport = Transport.SLACK,
        kinds: Sequence[str],
        at_least: int,
        now: datetime,
        lease: timedelta = timedelta(seconds=30),
    ) -> list[OutboxItem]:
        """Lease every pending row of `kinds` for `address`, due or not, oldest first, if there are at
        least `at_least` of them (else lease none and return []): what a digest replaces. Rows another
        sender holds (PostgreSQL) are skipped."""

        def work(conn: Connection, _locks: frozenset[str]) -> list[OutboxItem]:
            waiting = conn.execute(
                select(func.count()).where(*_at(transport, address), outbox.c.kind.in_(kinds), *_PENDING)
            ).scalar_one()
            if waiting < at_least:
                return []
            pick = (
                select(outbox.c.id)
                .where(*_at(transport, address), outbox.c.kind.in_(kinds), *_PENDING)
                .order_by(outbox.c.id)
                .with_for_update(skip_locked=True)
            )
            return _lease(conn, _leasing(outbox.c.id.in_(pick.scalar_subquery())), until=now + lease)

        return await self.db.transact(work)

    async def mark_digested(self, item_ids: Sequence[int], *, channel: str, ts: str, now: datetime) -> None:
        """Record rows as delivered by one digest message `ts` in `channel`; each lead without a thread
        yet gets the digest's thread. One transaction."""

        def work(conn: Connection, _locks: frozenset[str]) -> None:
            lead_ids = (
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(item_ids), outbox.c.sent_at.is_(None))
                    .values(sent_at=now, result_channel=channel, result_ts=ts)
                    .returning(outbox.c.lead_id)
                )
                .scalars()
                .all()
            )
            wanting = [lead_id for lead_id in lead_ids if lead_id is not None]
            if wanting:
                conn.execute(
                    update(leads)
                    .where(leads.c.id.in_(wanting), leads.c.thread_ts.is_(None))
                    .values(thread_channel=channel, thread_ts=ts)
                )

        await self.db.transact(work)

    async def mark_sent(self, item_id: int, *, channel: str, ts: str, now: datetime) -> bool:
        """Record delivery as message `ts` in `channel`. Idempotent. Returns whether a later row for the
        same address is pending: it may be handed out now.

        An `offer_dm` also stores the DM's channel and ts on its offer (for later updates); the first
        channel post about a lead (a note or an escalation addressed to the channel) starts the
        lead's thread. Raises OutboxItemNotFound.
        """

        def work(conn: Connection, _locks: frozenset[str]) -> bool:
            message = {"channel": channel, "ts": ts}
            sent = conn.execute(_MARK_SENT, {"item_id": item_id, "now": now, **message}).one_or_none()
            if sent is None:
                _must_exist(conn, item_id)
                return False
            if sent.kind == OutboxKind.OFFER_DM and sent.offer_id is not None:
                conn.execute(_OFFER_DM_AT, {"offer_id": sent.offer_id, **message})
            elif sent.kind in _CHANNEL_POSTS and sent.address == channel and sent.lead_id is not None:
                conn.execute(_THREAD_STARTS_AT, {"lead_id": sent.lead_id, **message})
            return _more_for(conn, sent.transport, sent.address)

        return await self.db.transact(work)

    async def mark_retry(self, item_id: int, *, error: str, at: datetime) -> None:
        """Try the row again at `at` (the sender's backoff or Slack's Retry-After); keeps `error`.

        Does nothing to a row already sent. Raises OutboxItemNotFound.
        """
        await self._finish(item_id, next_attempt_at=at, last_error=error)

    async def release(self, item_id: int, *, at: datetime, error: str | None = None) -> None:
        """Hand a leased row back untried (the sender is holding delivery): due at `at`, and the lease
        not counted as an attempt, so its next attempt is its first again; `error`, if given, says why
        it waits. Does nothing to a row already sent. Raises OutboxItemNotFound."""
        why = {} if error is None else {"last_error": error}
        await self._finish(item_id, next_attempt_at=at, attempts=outbox.c.attempts - 1, **why)

    async def resume(self, waiting: Mapping[int, datetime], *, now: datetime) -> int:
        """Make due at `now` each row of `waiting` (row id: the retry time its sender set) that still
        waits for exactly that time: after an outage the backlog goes out at once rather than each row
        waiting out its own backoff. A row leased, sent or rescheduled since is left alone, so nothing
        is handed out twice. Returns how many rows were made due. One transaction."""

        def work(conn: Connection, _locks: frozenset[str]) -> int:
            if not waiting:
                return 0
            stmt = (
                update(outbox)
                .where(outbox.c.id == bindparam("row"), outbox.c.next_attempt_at == bindparam("waits_until"), *_PENDING)
                .values(next_attempt_at=now)
                .returning(outbox.c.id)
            )
            return sum(len(conn.execute(stmt, {"row": row, "waits_until": at}).all()) for row, at in waiting.items())

        return await self.db.transact(work)

    async def mark_failed(self, item_id: int, *, error: str, now: datetime) -> bool:
        """Give up on the row (a permanent error): it is no longer pending and no longer blocks its
        address. Does nothing to a row already sent. Returns whether a later row for the same address is
        pending. Raises OutboxItemNotFound."""
        return await self._finish(item_id, failed_at=now, last_error=error)

    async def _finish(self, item_id: int, **values: object) -> bool:
        def work(conn: Connection, _locks: frozenset[str]) -> bool:
            stmt = (
                update(outbox)
                .where(outbox.c.id == item_id, outbox.c.sent_at.is_(None))
                .values(**values)
                .returning(outbox.c.transport, outbox.c.address)
            )
            finished = conn.execute(stmt).one_or_none()
            if finished is None:
                _must_exist(conn, item_id)
                return False
            return _more_for(conn, finished.transport, finished.address)

        return await self.db.transact(work)

    async def dead_letters(self) -> list[DeadLetter]:
        """Every row given up on (a permanent error, or a recipient gone), oldest first, with its error."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(outbox).where(outbox.c.failed_at.is_not(None), outbox.c.sent_at.is_(None)).order_by(outbox.c.id)
            )
            return [dead_letter(row) for row in rows]

    async def retry_dead(self, item_ids: Sequence[int] | None, *, now: datetime) -> list[int]:
        """Make dead-lettered rows pending again, due at `now` with their attempts reset: `item_ids`, or
        every one (None). A row sent or pending meanwhile is left alone, so a row is resent at most once
        however often this runs. Returns the ids made pending, oldest first. One transaction."""

        def work(conn: Connection, _locks: frozenset[str]) -> list[int]:
            chosen = () if item_ids is None else (outbox.c.id.in_(item_ids),)
            revived = conn.execute(
                update(outbox)
                .where(outbox.c.failed_at.is_not(None), outbox.c.sent_at.is_(None), *chosen)
                .values(failed_at=None, next_attempt_at=now, attempts=0)
                .returning(outbox.c.id)
            )
            return sorted(revived.scalars())

        return await self.db.transact(work)

    async def replay(
        self,
        *,
        transport: Transport,
        since: datetime,
        addresses: Sequence[str],
        kinds: Sequence[str] | None,
        tag: str,
        now: datetime,
    ) -> int:
        """Queue a copy, due at `now`, of every row of `transport` to `addresses` (of `kinds`, if given)
        queued at or after `since`, sent or not, oldest first. Copies are never copied again; each gets
        its original's dedup key plus ``:replay:{tag}``, so one replay (one `tag`) queues each row once
        however often it runs. Returns how many it queued. One transaction."""

        def work(conn: Connection, _locks: frozenset[str]) -> int:
            if not addresses:
                return 0
            only = () if kinds is None else (outbox.c.kind.in_(kinds),)
            originals = conn.execute(
                select(
                    outbox.c.kind,
                    outbox.c.transport,
                    outbox.c.address,
                    outbox.c.payload,
                    outbox.c.dedup_key,
                    outbox.c.lead_id,
                    outbox.c.offer_id,
                )
                .where(
                    outbox.c.transport == transport.value,
                    outbox.c.address.in_(addresses),
                    outbox.c.created_at >= since,
                    ~outbox.c.dedup_key.contains(_REPLAY),
                    *only,
                )
                .order_by(outbox.c.id)
            ).all()
            if not originals:
                return 0
            dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
            copies = [
                {
                    **row._asdict(),
                    "dedup_key": f"{row.dedup_key}{_REPLAY}{tag}",
                    "created_at": now,
                    "next_attempt_at": now,
                }
                for row in originals
            ]
            added = conn.execute(
                dialect_insert(outbox).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(outbox.c.id),
                copies,
            )
            return len(added.all())

        return await self.db.transact(work)

    async def waiting_by_error(self) -> list[tuple[str, str, int]]:
        """Pending rows that met an error, counted per (transport, last error), most first: what holds
        the backlog back, as `leadrelay outbox` shows it."""
        async with self.db.read() as conn:
            count = func.count().label("rows")
            rows = await conn.execute(
                select(outbox.c.transport, outbox.c.last_error, count)
                .where(*_PENDING, outbox.c.last_error.is_not(None))
                .group_by(outbox.c.transport, outbox.c.last_error)
                .order_by(count.desc(), outbox.c.last_error)
            )
            return [(row.transport, row.last_error, row.rows) for row in rows]

    async def queue_once(self, message: Mapping[str, Any], *, now: datetime) -> bool:
        """Add one outbox row (a `storage.messages` row), due now, unless a row with its dedup key exists
        already, queued by this process, another replica or before a restart. Returns whether this call
        added it: of any number of callers racing with one key, exactly one gets True."""

        def work(conn: Connection, _locks: frozenset[str]) -> bool:
            values = {**message, "created_at": now, "next_attempt_at": now}
            dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
            added = conn.execute(
                dialect_insert(outbox)
                .values(values)
                .on_conflict_do_nothing(index_elements=["dedup_key"])
                .returning(outbox.c.id)
            ).first()
            return added is not None

        return await self.db.transact(work)

    async def has(self, dedup_key: str) -> bool:
        """Whether a row with `dedup_key` was ever queued (sent, failed or pending)."""
        async with self.db.read() as conn:
            return (await conn.execute(select(exists().where(outbox.c.dedup_key == dedup_key)))).scalar_one()

    async def latest(self, kind: str, key_prefix: str) -> tuple[str, Mapping[str, Any]] | None:
        """The dedup key and payload of the newest row of `kind` (about no lead) whose key starts with
        `key_prefix`; None if there is none. Reads the (lead_id, kind) index: such rows are few."""
        async with self.db.read() as conn:
            found = (
                await conn.execute(
                    select(outbox.c.dedup_key, outbox.c.payload)
                    .where(outbox.c.lead_id.is_(None), outbox.c.kind == kind, outbox.c.dedup_key.startswith(key_prefix))
                    .order_by(outbox.c.id.desc())
                    .limit(1)
                )
            ).first()
        return None if found is None else (str(found.dedup_key), dict(found.payload))

    async def oldest_unsent_age(self, now: datetime) -> timedelta | None:
        """How long the oldest pending row has waited (None: nothing pending). The first thing to alert on."""
        async with self.db.read() as conn:
            oldest = (await conn.execute(select(func.min(outbox.c.created_at)).where(*_PENDING))).scalar_one()
        return None if oldest is None else now - oldest

    async def backlog(self) -> int:
        """How many rows are pending."""
        async with self.db.read() as conn:
            return int((await conn.execute(select(func.count()).where(*_PENDING))).scalar_one())


def leasing_row(row: Mapping[str, Any], *, now: datetime, lease: timedelta) -> tuple[UpdateBase, dict[str, Any]]:
    """The statement (for a `Batch`) that adds outbox row `row` (as `messages.row` builds it) leased to
    the caller, who delivers it right after commit: the row's first attempt, exactly as `lease_due`
    would count it. Unless an older row for the same address is still pending: then the row is queued
    as `queue` would, and the sender delivers it in turn, after that one. See `leased_item`."""
    return _QUEUE_LEASED, {**row, "now": now, "until": now + lease}


def leased_item(row: Mapping[str, Any], written: tuple[Any, ...] | None, *, now: datetime) -> OutboxItem | None:
    """The item `leasing_row` leased, from what its statement returned; None if it was only queued.

    For a new offer's DM: the item has no DM or thread refs, which a new offer and a DM do not have.
    """
    assert written is not None  # an INSERT … SELECT of one row returns it
    row_id, attempts = written
    if not attempts:
        return None
    return OutboxItem(
        id=row_id,
        **row,
        attempts=attempts,
        created_at=now,
        dm_channel=None,
        dm_ts=None,
        thread_channel=None,
        thread_ts=None,
    )


def _waits(row: FromClause) -> Exists:
    """`row` (an alias of outbox) waits its turn: an older row for the same address is still pending."""
    earlier = outbox.alias("earlier")
    return exists().where(
        earlier.c.transport == row.c.transport,
        earlier.c.address == row.c.address,
        earlier.c.id < row.c.id,
        earlier.c.sent_at.is_(None),
        earlier.c.failed_at.is_(None),
    )


def _leasing(*where: ColumnElement[bool]) -> ReturningUpdate[Any]:
    """The UPDATE that leases the pending rows `where` picks until `:until`, one more attempt each."""
    return (
        update(outbox)
        .where(*where, *_PENDING)
        .values(next_attempt_at=bindparam("until"), attempts=outbox.c.attempts + 1)
        .returning(outbox.c.id)
    )


def _lease(conn: Connection, leasing: ReturningUpdate[Any], **params: object) -> list[OutboxItem]:
    """Run a `_leasing` statement; the rows it leased, as items."""
    return _items(conn, list(conn.execute(leasing, params).scalars()))


def _at(transport: str | BindParameter[str], address: str | BindParameter[str]) -> tuple[ColumnElement[bool], ...]:
    """The rows for `address` of `transport` (values, or parameters of a statement built once)."""
    return (outbox.c.transport == transport, outbox.c.address == address)


def _queue_leased() -> ReturningInsert[Any]:
    """INSERT … SELECT of one row that is leased until `:until` (one attempt made) unless an older row
    for its address is pending (then due `:now`, no attempt yet, as `queue` writes it)."""
    params = {name: bindparam(name, type_=outbox.c[name].type) for name in messages.ROW_COLUMNS}
    now, until = (bindparam(name, type_=outbox.c.created_at.type) for name in ("now", "until"))
    waits = exists().where(*_at(params["transport"], params["address"]), *_PENDING)
    values = select(*params.values(), now, case((waits, now), else_=until), case((waits, 0), else_=1))
    columns = [*messages.ROW_COLUMNS, "created_at", "next_attempt_at", "attempts"]
    return insert(outbox).from_select(columns, values).returning(outbox.c.id, outbox.c.attempts)


# Built once, as the statements below: intake runs it on every lead, the sender the others on every
# message, and building one costs about as much as running it.
_QUEUE_LEASED = _queue_leased()
_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("item_id"), outbox.c.sent_at.is_(None))
    .values(sent_at=bindparam("now"), result_channel=bindparam("channel"), result_ts=bindparam("ts"))
    .returning(outbox.c.kind, outbox.c.transport, outbox.c.address, outbox.c.lead_id, outbox.c.offer_id)
)
_OFFER_DM_AT = (
    update(offers)
    .where(offers.c.id == bindparam("offer_id"))
    .values(dm_channel=bindparam("channel"), dm_ts=bindparam("ts"))
)
_THREAD_STARTS_AT = (
    update(leads)
    .where(leads.c.id == bindparam("lead_id"), leads.c.thread_ts.is_(None))
    .values(thread_channel=bindparam("channel"), thread_ts=bindparam("ts"))
)
_MORE_FOR = select(exists().where(*_at(bindparam("transport"), bindparam("address")), *_PENDING))


def _more_for(conn: Connection, transport: str, address: str) -> bool:
    """Whether `address` has a row pending (read from the partial index of pending rows per address)."""
    return conn.execute(_MORE_FOR, {"transport": transport, "address": address}).scalar_one()


def _items(conn: Connection, ids: Sequence[int]) -> list[OutboxItem]:
    """The rows `ids` as items, with the DM and thread refs the sender needs, oldest first."""
    if not ids:
        return []
    items = (
        select(outbox, offers.c.dm_channel, offers.c.dm_ts, leads.c.thread_channel, leads.c.thread_ts)
        .outerjoin(offers, offers.c.id == outbox.c.offer_id)
        .outerjoin(leads, leads.c.id == outbox.c.lead_id)
        .where(outbox.c.id.in_(ids))
        .order_by(outbox.c.id)
    )
    return [outbox_item(r) for r in conn.execute(items)]


def _must_exist(conn: Connection, item_id: int) -> None:
    if conn.execute(select(outbox.c.id).where(outbox.c.id == item_id)).first() is None:
        raise OutboxItemNotFound(item_id)
