"""PTO, capacity and pause: set by people, audited, and honoured by routing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from routing import Window
from storage import Database, Store, UnknownPerson, Views
from storage.tables import audit
from tests.storage.conftest import T0, offered

WEEK = Window(T0 - timedelta(hours=1), T0 + timedelta(days=7))


async def rep_audit(db: Database, rep_id: str) -> list[tuple[str | None, str, str, str]]:
    async with db.read() as conn:
        rows = await conn.execute(select(audit).where(audit.c.rep_id == rep_id).order_by(audit.c.id))
        return [(r.from_state, r.to_state, r.actor_id, r.reason) for r in rows]


async def test_a_rep_on_pto_is_skipped_until_it_is_cleared(store: Store, views: Views, db: Database) -> None:
    pto_id = (await store.set_pto("ana", WEEK, by="ana", now=T0)).pto_id
    assert (await offered(store))[2] == "ben"
    runtime = await views.rep_runtime("ana", T0)
    assert [(p.id, p.window, p.set_by, p.cleared_at) for p in runtime.pto] == [(pto_id, WEEK, "ana", None)]

    assert (await store.clear_pto("ana", by="maria", now=T0)).cleared == 1
    assert (await store.clear_pto("ana", by="maria", now=T0)).cleared == 0
    assert (await offered(store))[2] == "ana"
    assert (await views.rep_runtime("ana", T0)).pto[0].cleared_by == "maria"
    assert [row[:3] for row in await rep_audit(db, "ana")] == [(None, "pto", "ana"), ("pto", "available", "maria")]


async def test_capacity_override_caps_open_offers(store: Store, views: Views, db: Database) -> None:
    await store.set_capacity("ana", 1, by="maria", now=T0)
    reps = [(await offered(store))[2] for _ in range(4)]
    assert reps == ["ana", "ben", "cy", "ben"]  # ana is full after one
    await store.set_capacity("ana", None, by="maria", now=T0)
    runtime = await views.rep_runtime("ana", T0)
    assert (runtime.capacity_override, runtime.capacity_set_by, runtime.capacity_set_at) == (None, "maria", T0)
    assert [row[:2] for row in await rep_audit(db, "ana")] == [
        ("capacity 20 (config)", "capacity 1"),
        ("capacity 1", "capacity 20 (config)"),
    ]
    with pytest.raises(ValueError):
        await store.set_capacity("ana", -1, by="maria", now=T0)


async def test_a_paused_rep_gets_nothing_until_resumed(store: Store, views: Views) -> None:
    await store.set_paused("ana", True, by="ana", now=T0)
    assert (await offered(store))[2] == "ben"
    assert (await views.rep_runtime("ana", T0)).paused
    await store.set_paused("ana", False, by="ana", now=T0)
    assert not (await views.rep_runtime("ana", T0)).paused


async def test_settings_name_known_people_only(store: Store) -> None:
    with pytest.raises(UnknownPerson):
        await store.set_paused("ghost", True, by="maria", now=T0)
    with pytest.raises(UnknownPerson):
        await store.set_pto("ana", WEEK, by="ghost", now=T0)
