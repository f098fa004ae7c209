"""Releasing held leads: each is routed with the hold window open, on the state the one before left,
from `held` in the audit; a lead someone acted on meanwhile is only let go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from routing import Engine, parse_config
from storage import Database, Store
from storage.tables import audit
from tests.storage.conftest import new_lead

STAGGERED_YAML = """
timezone: UTC
off_hours: hold
reps:
  - {id: ana, name: Ana, working_hours: "mon-fri 09:00-17:00"}
  - {id: ben, name: Ben, working_hours: "mon-fri 09:30-17:30"}
teams:
  - {id: sales, members: [ana, ben], channel: CSALES, strategy: round_robin, hold_window: 1h}
rules: [{name: everyone, route: {team: sales}}]
sla: [{name: standard, within: 15m}]
fallback: {team: sales}
"""
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
MONDAY_9 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def held(db: Database, count: int) -> tuple[Store, list[int]]:
    store = Store(db, Engine(parse_config(STAGGERED_YAML)))
    lead_ids = [await new_lead(store, SATURDAY + i * MINUTE) for i in range(count)]
    for lead_id in lead_ids:
        await store.assign(lead_id, now=SATURDAY + 5 * MINUTE)
    return store, lead_ids


async def test_a_released_backlog_is_shared_with_the_rep_starting_within_the_hold_window(db: Database) -> None:
    store, _ = await held(db, 2)

    released = await store.release_held_due(MONDAY_9)

    # ana is at work; ben starts at 09:30, within the hour: the rotation gives him the second lead,
    # and his SLA counts from his shift.
    assert [(r.offer.rep_id, r.offer.due_at) for r in released if r.offer] == [
        ("ana", MONDAY_9 + 15 * MINUTE),
        ("ben", MONDAY_9 + 45 * MINUTE),
    ]


async def test_a_released_lead_is_audited_from_held_to_assigned(db: Database) -> None:
    store, [lead_id] = await held(db, 1)

    [result] = await store.release_held_due(MONDAY_9)

    assert result.offer is not None
    async with db.read() as conn:
        trail = (
            await conn.execute(select(audit.c.from_state, audit.c.to_state).where(audit.c.lead_id == lead_id))
        ).all()
    assert [tuple(row) for row in trail][-1] == ("held", "assigned")


async def test_a_held_lead_moved_on_meanwhile_is_let_go_and_the_rest_are_still_released(db: Database) -> None:
    store, lead_ids = await held(db, 3)
    await store.nurture(lead_ids[0], by="ana", reason="a student", now=SATURDAY + 6 * MINUTE)

    released = await store.release_held_due(MONDAY_9)

    assert [r.lead_id for r in released] == lead_ids[1:]
    assert await store.release_held_due(MONDAY_9) == []  # the taken lead's hold went too
