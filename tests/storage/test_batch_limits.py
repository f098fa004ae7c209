"""Every sweep takes at most `limit` rows per call, the earliest first, and leaves the rest for the next.

PostgreSQL may run a ``… WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` subquery more than
once per statement, each run skipping the rows the statement already changed: the limit then bounds
nothing. These tests hold on both backends. Before the sweeps picked their rows in a statement of
their own, the expiry, reminder and lease tests failed on PostgreSQL (they took more rows than a limit of
2); releases and settling have the same shape, and passed only because the planner ran their
subquery once.
"""

from __future__ import annotations

from datetime import timedelta

from routing import Engine, parse_config
from storage import Database, Outbox, Store, load
from tests.storage.conftest import SLA, T0, new_lead, offered
from tests.storage.test_holds import HOLD_YAML, MONDAY_9, SATURDAY

MINUTE = timedelta(minutes=1)
LATER = T0 + SLA + 10 * MINUTE  # every offer below is due (and past its reminder) by then


async def five_offers(store: Store) -> list[int]:
    """Five offers due a minute apart, made (and numbered) in the opposite order: their ids, the
    earliest due first."""
    made = [(await offered(store, T0 + (4 - i) * MINUTE))[1] for i in range(5)]
    return made[::-1]


async def test_expiry_ends_at_most_limit_offers_per_call_the_earliest_due_first(store: Store) -> None:
    offer_ids = await five_offers(store)

    batches = [[e.offer_id for e in await store.expire_due(LATER, limit=2)] for _ in range(4)]

    assert batches == [offer_ids[:2], offer_ids[2:4], offer_ids[4:], []]


async def test_reminders_go_out_for_at_most_limit_offers_per_call_the_earliest_first(store: Store) -> None:
    offer_ids = await five_offers(store)

    batches = [{r.offer_id for r in await store.remind_due(LATER, limit=2)} for _ in range(4)]

    assert batches == [set(offer_ids[:2]), set(offer_ids[2:4]), set(offer_ids[4:]), set()]


async def test_held_leads_are_released_at_most_limit_per_call_the_earliest_held_first(db: Database) -> None:
    store = Store(db, Engine(parse_config(HOLD_YAML)))
    lead_ids = [await new_lead(store, SATURDAY + i * MINUTE) for i in range(3)]
    for lead_id in lead_ids:
        await store.assign(lead_id, now=SATURDAY + 5 * MINUTE)

    batches = [[r.lead_id for r in await store.release_held_due(MONDAY_9, limit=2)] for _ in range(3)]

    assert batches == [lead_ids[:2], lead_ids[2:], []]


async def test_the_sender_leases_at_most_limit_rows_per_call(store: Store, outbox: Outbox) -> None:
    await five_offers(store)  # DMs to ana, ben, cy, ana, ben: three addresses may go out now, oldest first

    first = await outbox.lease_due(LATER, limit=2)
    second = await outbox.lease_due(LATER, limit=2)

    assert [i.address for i in first] == ["ana", "ben"]
    assert [i.address for i in second] == ["cy"]


async def test_the_load_window_lets_go_of_at_most_limit_claimed_offers_per_call(store: Store, db: Database) -> None:
    for i in range(3):
        _, offer_id, rep = await offered(store, T0 + i * MINUTE)
        await store.claim(offer_id, by=rep, now=T0 + i * MINUTE)
    since = T0 + timedelta(days=365)  # every hold is older

    settled = [await db.transact(lambda conn, _locks: load.settle(conn, since, limit=2)) for _ in range(3)]

    assert settled == [2, 1, 0]


async def test_the_load_window_lets_go_of_the_earliest_assigned_claims_first(store: Store, db: Database) -> None:
    made = [await offered(store, T0 + (2 - i) * MINUTE) for i in range(3)]  # numbered latest-assigned first
    for _, offer_id, rep in made:
        await store.claim(offer_id, by=rep, now=T0 + 5 * MINUTE)
    since = T0 + timedelta(days=365)

    await db.transact(lambda conn, _locks: load.settle(conn, since, limit=2))

    held = await db.transact(lambda conn, _locks: [load.is_held(conn, offer_id) for _, offer_id, _ in made])
    assert held == [True, False, False]  # the two assigned earliest (the higher ids) went first
