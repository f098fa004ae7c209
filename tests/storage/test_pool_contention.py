"""Round robin under contention: several workers, separate connection pools, one pool of reps."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from routing import Engine
from storage import Database, Store, connect
from storage.tables import offers
from tests.storage.conftest import BULK, CONFIG, T0, lead

WORKERS = 4


async def _worker(url: str, lead_ids: list[int]) -> None:
    db = await connect(url)
    try:
        store = Store(db, Engine(CONFIG))
        for lead_id in lead_ids:
            await store.assign(lead_id, now=T0)
    finally:
        await db.close()


async def _run(db_url: str, db: Database, leads: int) -> tuple[Counter[str], list[int]]:
    store = Store(db, Engine(CONFIG))
    lead_ids = [
        (await store.receive(lead(source="bulk"), source="bulk", external_id=str(i), payload={}, now=T0)).lead_id
        for i in range(leads)
    ]
    await asyncio.gather(*(_worker(db_url, lead_ids[w::WORKERS]) for w in range(WORKERS)))
    async with db.read() as conn:
        rows = (await conn.execute(select(offers.c.rep_id, offers.c.turn))).all()
    return Counter(rep for rep, _ in rows), sorted(turn for _, turn in rows)


async def test_concurrent_workers_share_a_round_robin_pool_exactly(db_url: str, db: Database) -> None:
    leads = 400 if db.dialect == "postgresql" else 200
    per_rep, turns = await _run(db_url, db, leads)
    assert per_rep == dict.fromkeys(BULK, leads // len(BULK))
    assert turns == list(range(1, leads + 1))  # every cursor position handed out exactly once


async def test_one_process_locks_a_contended_pool_first_instead_of_retrying(db: Database) -> None:
    # 16 intakes at a time on one pool: after the first lost races the pool counts as contended and
    # each writer locks it before it reads (`Scope.contended`), so retries stay a handful, not one a lead.
    store, leads, writers = Store(db, Engine(CONFIG)), 320, 16

    async def writer(w: int) -> None:
        for i in range(w, leads, writers):
            await store.intake(lead(source="bulk"), source="bulk", external_id=str(i), payload={}, now=T0)

    await asyncio.gather(*(writer(w) for w in range(writers)))
    async with db.read() as conn:
        rows = (await conn.execute(select(offers.c.rep_id, offers.c.turn))).all()
    assert Counter(rep for rep, _ in rows) == dict.fromkeys(BULK, leads // len(BULK))
    assert sorted(turn for _, turn in rows) == list(range(1, leads + 1))
    assert db.retries <= 2 * writers  # without the lock first: about one per lead
