"""`Batch`: independent writes, one statement on PostgreSQL, one by one on SQLite, the same results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, bindparam, event, insert, select, update

from routing import Engine as RoutingEngine
from storage import Database, Store
from storage.batch import Batch, Written
from storage.db import Conflict
from storage.tables import pools
from storage.writes import LEAD_UNLOCKED, NewLead, read_lead
from tests.storage.conftest import CONFIG, T0, lead

_TURN = insert(pools).values(pool_id=bindparam("pool"), turn=bindparam("turn")).returning(pools.c.pool_id)
_MOVE = (
    update(pools)
    .where(pools.c.pool_id == bindparam("pool"), pools.c.turn == bindparam("turn"))
    .values(turn=pools.c.turn + 1)
    .returning(pools.c.turn)
)
_BUMP_ALL = update(pools).values(turn=pools.c.turn + 100)  # no RETURNING, no named parameters


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (on every engine: SQLite writes on an engine of
    their own, see `storage.db`)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def _turns(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return dict((await conn.execute(select(pools.c.pool_id, pools.c.turn))).all())


async def test_statements_with_the_same_parameter_names_each_get_their_own_values(db: Database) -> None:
    def work(conn: Connection, _locks: frozenset[str]) -> list[Written]:
        writes = Batch(conn)
        writes.add(_TURN, {"pool": "a", "turn": 1})
        writes.add(_TURN, {"pool": "b", "turn": 7})
        return writes.run()

    with statements() as sent:
        written = await db.transact(work)
    assert written == [Written(1, ("a",)), Written(1, ("b",))]
    assert await _turns(db) == {"a": 1, "b": 7}
    inserts = [s for s in sent if "pools" in s]
    assert len(inserts) == (1 if db.dialect == "postgresql" else 2)  # PostgreSQL: one round trip


async def test_a_statement_that_returns_nothing_reports_no_row_and_others_report_none(db: Database) -> None:
    def seed(conn: Connection, _locks: frozenset[str]) -> None:
        conn.execute(insert(pools), [{"pool_id": "a", "turn": 3}, {"pool_id": "b", "turn": 5}])

    await db.transact(seed)

    def work(conn: Connection, _locks: frozenset[str]) -> list[Written]:
        writes = Batch(conn)
        writes.add(_MOVE, {"pool": "a", "turn": 3})  # matches: moves to 4
        writes.add(_MOVE, {"pool": "b", "turn": 4})  # b is at 5: no row
        return writes.run()

    assert await db.transact(work) == [Written(1, (4,)), Written(0, None)]
    assert await _turns(db) == {"a": 4, "b": 5}

    def bump(conn: Connection, _locks: frozenset[str]) -> list[Written]:
        writes = Batch(conn)
        writes.add(_BUMP_ALL, {})
        return writes.run()

    assert await db.transact(bump) == [Written(0, None)]
    assert await _turns(db) == {"a": 104, "b": 105}  # the literal 100 kept its value


@pytest.mark.parametrize("conflict", [False, True], ids=["refusal", "conflict"])
async def test_or_raise_raises_after_the_batch_and_the_transaction_rolls_back(db: Database, conflict: bool) -> None:
    tries = 0

    def work(conn: Connection, _locks: frozenset[str]) -> None:
        nonlocal tries
        tries += 1
        writes = Batch(conn)
        writes.add(_TURN, {"pool": f"try{tries}", "turn": 1})
        if tries == 1:  # "zz" does not exist: the move returns no row
            error = Conflict("moved on") if conflict else ValueError("zz is not there")
            writes.add(_MOVE, {"pool": "zz", "turn": 0}, or_raise=error)
        writes.run()

    if conflict:
        await db.transact(work)  # a Conflict runs the transaction again, as ever
        assert (tries, await _turns(db)) == (2, {"try2": 1})
    else:
        with pytest.raises(ValueError, match="zz is not there"):
            await db.transact(work)
        assert (tries, await _turns(db)) == (1, {})  # the insert run in the same batch was rolled back


async def test_a_new_lead_is_routed_from_exactly_what_reading_it_back_would_give(db: Database) -> None:
    store = Store(db, RoutingEngine(CONFIG))
    received = await store.receive(lead(), source="web", external_id="x", payload={}, now=T0)

    def read(conn: Connection, _locks: frozenset[str]) -> dict[str, Any]:
        return dict(read_lead(conn, received.lead_id, LEAD_UNLOCKED)._mapping)

    stored = await db.transact(read)
    assert NewLead(id=received.lead_id, contact=stored["contact"])._asdict() == stored


async def test_intake_on_a_contended_pool_reads_the_state_once_after_locking_it(db: Database) -> None:
    store = Store(db, RoutingEngine(CONFIG))
    await store.intake(lead(source="bulk"), source="bulk", external_id="first", payload={}, now=T0)  # the pool row
    store.scope.lost_race("bulk")  # SQLite has one writer: nothing is ever contended there, nor locked
    with statements() as sent:
        await store.intake(lead(source="bulk"), source="bulk", external_id="second", payload={}, now=T0)
    locks = [i for i, s in enumerate(sent) if "FOR UPDATE" in s and "pools" in s]
    reads = [i for i, s in enumerate(sent) if "rep_load" in s and s.lstrip().startswith("SELECT")]
    assert len(reads) == 1
    if db.dialect == "postgresql":
        assert len(locks) == 1 and locks[0] < reads[0]
    else:
        assert locks == []
