"""Holds (`off_hours: hold`) in storage: the deadline is stored, released once, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from routing import Engine, Outcome, parse_config
from storage import Database, LeadState, Store, Views
from tests.storage.conftest import new_lead, queued

HOLD_YAML = """
timezone: UTC
working_hours: "mon-fri 09:00-17:00"
off_hours: hold
reps:
  - {id: ana, name: Ana}
  - {id: ben, name: Ben}
teams:
  - {id: sales, members: [ana, ben], channel: CSALES}
rules: [{name: everyone, route: {team: sales}}]
sla: [{name: standard, within: 15m}]
fallback: {team: sales}
"""
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
MONDAY_9 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


async def test_a_held_lead_waits_in_the_database_and_is_released_exactly_once(db: Database) -> None:
    store = Store(db, Engine(parse_config(HOLD_YAML)))
    views = Views(db, store.config)
    lead_ids = [await new_lead(store, SATURDAY + timedelta(minutes=i)) for i in range(2)]
    held = [await store.assign(lead_id, now=SATURDAY + timedelta(minutes=5)) for lead_id in lead_ids]
    assert [(r.state, r.decision.outcome, r.offer) for r in held] == [(LeadState.RECEIVED, Outcome.HELD, None)] * 2
    assert [(lead.id, until) for lead, until in await views.held_for_team("sales")] == [(i, MONDAY_9) for i in lead_ids]
    assert await store.next_due_at() == MONDAY_9
    notes = [payload for kind, _target, _key, payload in await queued(db) if kind == "lead_thread_note"]
    assert [(n["event"], n["until"]) for n in notes] == [("held", MONDAY_9.isoformat())] * 2

    assert await store.release_held_due(MONDAY_9 - timedelta(seconds=1)) == []
    # Two sweeps at once (two replicas): each lead is released by exactly one of them.
    first, second = await asyncio.gather(store.release_held_due(MONDAY_9), store.release_held_due(MONDAY_9))
    released = first + second
    assert sorted(r.lead_id for r in released) == lead_ids
    assert sorted(r.offer.rep_id for r in released if r.offer) == ["ana", "ben"]  # spread over the pool
    assert all(r.offer and r.offer.due_at == MONDAY_9 + timedelta(minutes=15) for r in released)
    assert await store.release_held_due(MONDAY_9 + timedelta(hours=1)) == []
    assert await views.held_for_team("sales") == []
    assert await store.next_due_at() == MONDAY_9 + timedelta(minutes=15)  # now the offers' SLA
