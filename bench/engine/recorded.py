"""Recorded decisions: the proof that a storage change leaves every routing decision as it was.

    python -m bench.engine --record-scenario FILE     # run the scenario, write one JSON line per decision
    python -m bench.engine --compare-scenario FILE    # run it again, compare with FILE; exit 1 on any difference
    python -m bench.engine --compare-scenario FILE --postgres URL   # run it on PostgreSQL (a scratch database)

The scenario drives the real `Store` on a fresh SQLite file with the benchmark team (500 reps, 100
rules, 20 teams with every strategy, capacities and daily caps): 2,400 leads over nine days of a
virtual clock (five minutes apart, so loads, day counts and the seven-day load window all turn
over), with claims, reassignments, releases of accepted leads and SLA expiries drawn from a seeded
generator. Each decision is written with its outcome, rep, rule, pool and every reason the engine
gave (reasons carry loads and day counts, so a routing state read differently shows up even when
the rep happens to be the same). With `--postgres` the scenario runs on PostgreSQL, whose writes take
another path (`storage.batch`): a recording made on either engine must match a run on the other.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.databases import ScratchPostgres
from bench.engine.__main__ import build_config, make_leads
from routing import Engine
from routing.config import compile_config
from storage import Store, connect
from storage.errors import StorageError
from storage.model import AssignResult
from storage.tables import offers

START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Monday, before anyone's working day
STEP = timedelta(minutes=5)
LEADS = 2_400


def _decision(step: int, kind: str, result: AssignResult | None) -> dict[str, Any]:
    if result is None:
        return {"step": step, "kind": kind, "outcome": None}
    d = result.decision
    return {
        "step": step,
        "kind": kind,
        "outcome": d.outcome.value,
        "rep": d.rep,
        "rule": d.rule,
        "pool": d.pool,
        "fallback": d.fallback,
        "summary": d.summary,
        "reasons": [f"{r.code}:{r.rep}:{r.text}" for r in d.reasons],
    }


async def run_scenario(postgres: str | None) -> list[dict[str, Any]]:
    """Every decision of the scenario, in order, on a fresh SQLite file, or a scratch database next to
    the one `postgres` names."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as directory:
            return await _run(f"sqlite+aiosqlite:///{Path(directory) / 'recorded.db'}")
    scratch = ScratchPostgres(postgres, "leadrelay_recorded_")
    try:
        return await _run(await scratch.make())
    finally:
        await scratch.drop()


async def _run(url: str) -> list[dict[str, Any]]:
    rng = random.Random(7)
    config = compile_config(build_config(rng))
    leads = make_leads(rng, LEADS)
    db = await connect(url)
    store = Store(db, Engine(config))
    out: list[dict[str, Any]] = []
    open_offers: list[int] = []
    claimed: list[int] = []
    try:
        for step, lead in enumerate(leads):
            now = START + step * STEP
            for expired in await store.expire_due(now, limit=1000):
                out.append(_decision(step, "expiry", expired.next))
            made = await store.intake(lead, source="bench", external_id=str(step), payload={}, now=now)
            assert made.assigned is not None
            out.append(_decision(step, "intake", made.assigned))
            if made.assigned.offer is not None:
                open_offers.append(made.assigned.offer.id)
            roll = rng.random()
            if open_offers and roll < 0.55:
                offer_id = open_offers.pop(rng.randrange(len(open_offers)))
                rep = await _rep_of(store, offer_id)
                try:
                    await store.claim(offer_id, by=rep, now=now)
                    claimed.append(offer_id)
                except StorageError:
                    pass  # expired or ended meanwhile: the scenario only asks
            elif open_offers and roll < 0.65:
                out.append(await _reassign(store, step, open_offers.pop(rng.randrange(len(open_offers))), now))
            elif claimed and roll < 0.70:
                out.append(await _reassign(store, step, claimed.pop(rng.randrange(len(claimed))), now))
    finally:
        await db.close()
    return out


async def _rep_of(store: Store, offer_id: int) -> str:
    async with store.db.read() as conn:
        return str((await conn.execute(select(offers.c.rep_id).where(offers.c.id == offer_id))).scalar_one())


async def _reassign(store: Store, step: int, offer_id: int, now: datetime) -> dict[str, Any]:
    rep = await _rep_of(store, offer_id)
    try:
        result = await store.reassign(offer_id, by=rep, reason="not my territory", now=now)
    except StorageError:
        return {"step": step, "kind": "reassign", "outcome": "refused"}
    return _decision(step, "reassign", result)


def record(path: str, postgres: str | None = None) -> int:
    decisions = asyncio.run(run_scenario(postgres))
    Path(path).write_text("".join(json.dumps(d, sort_keys=True) + "\n" for d in decisions))
    print(f"recorded {len(decisions)} decisions to {path}")
    return 0


def compare(path: str, postgres: str | None = None) -> int:
    expected = [json.loads(line) for line in Path(path).read_text().splitlines()]
    got = asyncio.run(run_scenario(postgres))
    differ = [(e, g) for e, g in zip(expected, got, strict=False) if e != g]
    print(f"compared {len(got)} decisions with {len(expected)} recorded in {path}: {len(differ)} differ")
    for e, g in differ[:5]:
        print(f"  recorded {e}\n  now      {g}")
    return 0 if not differ and len(got) == len(expected) else 1
