"""The routing state snapshot: one statement, and what each field counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from routing import Window
from storage import Database, Store
from tests.storage.conftest import SLA, T0, offered


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements run on `db` inside the block (transaction control left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_the_state_is_read_in_one_statement_whatever_the_history(store: Store, db: Database) -> None:
    with statements(db) as empty:
        await store.load_routing_state(T0)
    for _ in range(6):
        await offered(store)
    await store.set_pto("cy", Window(T0, T0 + SLA), by="cy", now=T0)
    await store.set_capacity("ana", 3, by="maria", now=T0)
    with statements(db) as busy:
        state = await store.load_routing_state(T0)
    assert len(empty) == len(busy) == 1
    assert (state.rep("ana").open_load, state.rep("ana").capacity_override) == (2, 3)
    assert state.rep("cy").pto == (Window(T0, T0 + SLA),) and state.pool("sales").turn == 6


async def test_open_load_counts_open_and_recently_claimed_offers(store: Store) -> None:
    _, first, _ = await offered(store)  # ana
    await offered(store)  # ben
    _, third, _ = await offered(store)  # cy
    _, fourth, _ = await offered(store)  # ana again
    await store.claim(first, by="ana", now=T0)
    await store.claim(third, by="cy", now=T0)
    await store.reassign(fourth, by="ana", reason="busy", now=T0)  # ended: no longer on ana's plate

    state = await store.load_routing_state(T0 + timedelta(days=1))
    assert (state.rep("ana").open_load, state.rep("ben").open_load, state.rep("cy").open_load) == (1, 2, 1)
    week_later = await store.load_routing_state(T0 + timedelta(days=8))
    assert (week_later.rep("ana").open_load, week_later.rep("cy").open_load) == (0, 0)
    assert week_later.rep("ben").open_load == 2  # still open: they stay until they end


async def test_assigned_today_starts_at_the_reps_local_midnight(store: Store) -> None:
    # 09:00 UTC on Monday is 18:00 in Tokyo, 14:59 UTC is 23:59 there, and 15:30 UTC is 00:30 on Tuesday.
    await offered(store, country="JP")
    state = await store.load_routing_state(T0 + timedelta(hours=5, minutes=59))
    assert state.rep("kai").assigned_today == 1 and state.rep("kai").last_assigned_at == T0
    next_day = await store.load_routing_state(T0 + timedelta(hours=6, minutes=30))
    assert next_day.rep("kai").assigned_today == 0 and next_day.rep("kai").last_assigned_at == T0


async def test_pto_capacity_and_pause_are_in_the_state(store: Store) -> None:
    past = Window(T0 - timedelta(days=9), T0 - timedelta(days=2))
    current = Window(T0 - timedelta(hours=1), T0 + timedelta(days=2))
    future = Window(T0 + timedelta(days=5), T0 + timedelta(days=6))
    for window in (future, past, current):
        await store.set_pto("ana", window, by="ana", now=T0)
    await store.set_capacity("ben", 2, by="maria", now=T0)
    await store.set_paused("cy", True, by="cy", now=T0)

    state = await store.load_routing_state(T0)
    assert state.rep("ana").pto == (current, future)
    assert (state.rep("ben").capacity_override, state.rep("ben").paused) == (2, False)
    assert (state.rep("cy").capacity_override, state.rep("cy").paused) == (None, True)
    assert await store.load_routing_state(T0, tried=frozenset({"ben"})) != state


async def test_the_first_rotation_registers_every_member_of_the_pool(store: Store) -> None:
    assert "sales" not in (await store.load_routing_state(T0)).pools
    await offered(store)
    pool = (await store.load_routing_state(T0)).pool("sales")
    assert pool.turn == 1 and set(pool.members) == {"ana", "ben", "cy"}
    assert (pool.members["ana"].last_turn, pool.members["ana"].assigned) == (1, 1)
    assert (pool.members["ben"].last_turn, pool.members["ben"].assigned) == (0, 0)
