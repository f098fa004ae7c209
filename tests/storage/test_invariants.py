"""Whatever happens, in whatever order, the state machine's invariants hold (property-based, SQLite).

Random sequences of every transition, with the clock moving forward, against a fresh database; refusals
are expected. Afterwards: a lead has at most one open or accepted offer and names it; its state agrees
with its offers; every pool turn was handed out once; every transition left an audit row.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from routing import Engine
from storage import NotFound, Refused, Store, connect
from storage.tables import audit, leads, offers
from tests.storage.conftest import CONFIG, T0, lead

OPS = ("receive", "assign", "claim", "claim_for", "reassign", "take", "nurture", "escalate", "expire", "reping")
REPS = ("ana", "ben", "cy", "maria")
Step = tuple[str, int, int, int]


async def _apply(store: Store, steps: list[Step]) -> None:
    now = T0
    lead_ids: list[int] = []
    for op, which, who, minutes in steps:
        now += timedelta(minutes=minutes)
        by = REPS[who % len(REPS)]
        if op == "receive" or not lead_ids:
            lead_ids.append((await store.receive(lead(), source="web", external_id=None, payload={}, now=now)).lead_id)
            continue
        lead_id = lead_ids[which % len(lead_ids)]
        async with store.db.read() as conn:
            offer_id = (await conn.execute(select(leads.c.offer_id).where(leads.c.id == lead_id))).scalar_one()
        try:
            if op == "assign":
                await store.assign(lead_id, now=now)
            elif op in ("claim", "claim_for") and offer_id is not None:
                await store.claim(offer_id, by=by, now=now, on_behalf=op == "claim_for")
            elif op == "reassign" and offer_id is not None:
                await store.reassign(offer_id, by=by, reason="random", now=now)
            elif op == "take":
                await store.take(lead_id, by=by, now=now)
            elif op == "nurture":
                await store.nurture(lead_id, by=by, reason="random", now=now)
            elif op == "escalate":
                await store.escalate(lead_id, by=by, reason="random", now=now)
            elif op == "expire":
                await store.expire_due(now)
            elif op == "reping":
                await store.repings_due(now)
        except (Refused, NotFound):
            pass


async def _check(store: Store) -> None:
    async with store.db.read() as conn:
        all_leads = (await conn.execute(select(leads))).all()
        all_offers = (await conn.execute(select(offers))).all()
        trail = (await conn.execute(select(audit.c.lead_id, audit.c.to_state))).all()
    live = {o.lead_id: [] for o in all_offers}
    for o in all_offers:
        if o.state in ("open", "claimed"):
            live[o.lead_id].append(o)
    for row in all_leads:
        current = live.get(row.id, [])
        assert len(current) <= 1, f"lead {row.id} has {len(current)} live offers"
        assert row.offer_id == (current[0].id if current else None)
        if row.state == "assigned":
            assert current and current[0].state == "open"
        elif row.state == "claimed":
            assert row.claimed_by is not None and (not current or current[0].state == "claimed")
        else:
            assert not current, f"lead {row.id} is {row.state} with a live offer"
    turns = Counter((o.pool, o.turn) for o in all_offers if o.turn is not None)
    assert all(count == 1 for count in turns.values()), "a pool turn was handed out twice"
    audited = Counter(lead_id for lead_id, to_state in trail if to_state in ("assigned", "expired", "claimed"))
    for row in all_leads:
        made = sum(1 for o in all_offers if o.lead_id == row.id)
        assert audited[row.id] >= made, f"lead {row.id}: {made} offers, {audited[row.id]} audit rows"


@pytest.mark.slow  # 60 random histories on a real database: seconds, not milliseconds
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 5), st.integers(0, 3), st.integers(0, 20)),
        min_size=5,
        max_size=40,
    )
)
def test_any_sequence_of_transitions_keeps_the_invariants(template: Path, steps: list[Step]) -> None:
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "leadrelay.db"
            shutil.copy(template, path)
            db = await connect(f"sqlite+aiosqlite:///{path}")
            try:
                store = Store(db, Engine(CONFIG))
                await _apply(store, steps)
                await _check(store)
            finally:
                await db.close()

    asyncio.run(run())
