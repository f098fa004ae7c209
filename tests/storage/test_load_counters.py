"""The load counters equal what the offers say, after any sequence of transitions.

The oracle is the aggregate routing used to run on every decision, computed here in Python from every
offer: open load (open offers, plus claimed ones assigned within the seven-day window), offers since
the rep's local midnight within the window, and the latest assignment within the window (else the
latest offer still open from before it).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from storage import Database, StorageError, Store
from storage.load import day_start
from storage.scope import DEFAULT_LOAD_WINDOW
from storage.tables import offers, rep_load
from tests.storage.conftest import CONFIG, T0, lead, new_lead, offered

WINDOW = DEFAULT_LOAD_WINDOW


async def _offers(db: Database) -> list[tuple[int, int, str, str, datetime]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(offers.c.id, offers.c.lead_id, offers.c.rep_id, offers.c.state, offers.c.assigned_at)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _oracle(made: list[tuple[int, int, str, str, datetime]], now: datetime) -> dict[str, tuple[int, int, object]]:
    since = now - WINDOW
    out: dict[str, tuple[int, int, object]] = {}
    for rep_id, rep in CONFIG.reps.items():
        mine = [(state, at) for _id, _lead, r, state, at in made if r == rep_id]
        midnight = max(day_start(now, rep.tz), since)
        load = sum(1 for state, at in mine if state == "open" or (state == "claimed" and at >= since))
        today = sum(1 for _state, at in mine if at >= midnight)
        recent = [at for _state, at in mine if at >= since]
        older_open = [at for state, at in mine if state == "open" and at < since]
        last = max(recent) if recent else (max(older_open) if older_open else None)
        if (load, today, last) != (0, 0, None):
            out[rep_id] = (load, today, last)
    return out


async def _state(store: Store, now: datetime) -> dict[str, tuple[int, int, object]]:
    state = await store.load_routing_state(now)
    return {
        rep_id: (rep.open_load, rep.assigned_today, rep.last_assigned_at)
        for rep_id, rep in state.reps.items()
        if (rep.open_load, rep.assigned_today, rep.last_assigned_at) != (0, 0, None)
    }


async def _step(
    store: Store, rng: random.Random, made: list[tuple[int, int, str, str, datetime]], now: datetime
) -> None:
    """One random transition (a refused one is fine: it must change nothing)."""
    open_offers = [o for o in made if o[3] == "open"]
    claimed = [o for o in made if o[3] == "claimed"]
    roll = rng.random()
    try:
        if roll < 0.35 or not made:
            country = rng.choice(["DE", "DE", "JP", "US"])
            await store.intake(
                lead(country=country), source=rng.choice(["web", "partner"]), external_id=None, payload={}, now=now
            )
        elif roll < 0.55 and open_offers:
            offer_id, _lead, rep, _s, _at = rng.choice(open_offers)
            await store.claim(offer_id, by=rep, now=now)
        elif roll < 0.65 and (open_offers or claimed):
            offer_id, _lead, rep, _s, _at = rng.choice(open_offers + claimed)
            await store.reassign(offer_id, by=rep, reason="busy", now=now)
        elif roll < 0.72 and open_offers:
            await store.take(rng.choice(open_offers)[1], by="maria", now=now)
        elif roll < 0.77 and open_offers:
            await store.nurture(rng.choice(open_offers)[1], by="maria", reason="later", now=now)
        elif roll < 0.82 and open_offers:
            await store.escalate(rng.choice(open_offers)[1], by="maria", reason="urgent", now=now)
        elif roll < 0.87 and open_offers:
            await store.withdraw_unreachable(rng.choice(open_offers)[0], code="user_not_found", now=now)
        else:
            await store.expire_due(now)
    except StorageError:
        pass


@pytest.mark.parametrize("seed", range(4))
async def test_random_transitions_keep_the_counters_equal_to_the_offers(store: Store, db: Database, seed: int) -> None:
    rng = random.Random(seed)
    now = T0
    for _ in range(70):
        # Minutes to days: SLAs run out, local days turn (Tokyo and UTC), the load window passes.
        now += timedelta(minutes=rng.choice([1, 7, 40, 300, 1500, 3 * 1440]))
        made = await _offers(db)
        await _step(store, rng, made, now)
        assert await _state(store, now) == _oracle(await _offers(db), now)
    check = await store.check_load(now)
    assert check.drift == () and not check.repaired


async def test_a_read_is_exact_before_the_sweep_settles_a_hold(store: Store, db: Database) -> None:
    _, offer_id, rep = await offered(store)
    await store.claim(offer_id, by=rep, now=T0)
    later = T0 + WINDOW + timedelta(seconds=1)
    assert (await store.load_routing_state(later)).rep(rep).open_load == 0  # no sweep has run yet
    await store.expire_due(later)  # the sweep settles the hold
    assert (await store.load_routing_state(later)).rep(rep).open_load == 0
    async with db.read() as conn:
        held = (await conn.execute(select(rep_load.c.held_offers).where(rep_load.c.rep_id == rep))).scalar_one()
    assert held == 0


async def test_db_check_reports_drift_and_repairs_it(store: Store, db: Database) -> None:
    _, offer_id, rep = await offered(store)
    await offered(store)
    await store.claim(offer_id, by=rep, now=T0)
    await new_lead(store)
    async with db.engine.begin() as conn:  # what a bug or a hand edit would leave
        await conn.execute(update(rep_load).where(rep_load.c.rep_id == rep).values(open_offers=5))
        await conn.execute(text("DELETE FROM load_holds"))
    found = await store.check_load(T0)
    assert found.repaired is False
    assert len(found.drift) == 2 and f"rep {rep}:" in found.drift[0] and "hold of offer" in found.drift[1]
    assert (await store.load_routing_state(T0)).rep(rep).open_load == 6  # 5 open + 1 held: reported, not repaired
    repaired = await store.check_load(T0, repair=True)
    assert repaired.repaired and repaired.drift == found.drift
    assert (await store.load_routing_state(T0)).rep(rep).open_load == 1
    assert (await store.check_load(T0)).drift == ()
