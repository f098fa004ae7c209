"""Outcomes in (`Store.record_outcome`): append-only and idempotent, in any order, and what they change
for routing: a closing outcome frees its owner's load, each rep's won / closed counts feed win rates.

Runs on SQLite and, with LEADRELAY_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from routing import Engine, parse_config
from storage import Database, Store
from storage.errors import LeadRefNotFound
from storage.events import OutcomeRecorded
from storage.model import LeadRef, LeadState, OutcomeState
from storage.tables import audit, outcomes
from tests.storage.conftest import T0, lead, queued

CAPACITY_ONE = """
timezone: UTC
working_hours: always
managers: [{id: maria, name: Maria}]
reps:
  - {id: ana, name: Ana, capacity: 1}
  - {id: ben, name: Ben, capacity: 1}
teams:
  - {id: sales, members: [ana, ben], manager: maria, channel: CSALES}
rules: [{name: everyone, route: {team: sales}}]
sla: [{name: standard, within: 15m}]
fallback: {team: sales}
%(outcomes)s
"""
WON, LOST, WORKING, REOPENED = OutcomeState.WON, OutcomeState.LOST, OutcomeState.WORKING, OutcomeState.REOPENED


def _store(db: Database, outcomes_yaml: str = "outcomes: {source: api}") -> Store:
    return Store(db, Engine(parse_config(CAPACITY_ONE % {"outcomes": outcomes_yaml})))


async def _claimed(store: Store, now: datetime = T0, **fields: object) -> tuple[int, str]:
    """A new lead routed and accepted: (lead id, owner)."""
    intake = await store.intake(lead(**fields), source="web", external_id=None, payload={}, now=now)
    assert intake.assigned is not None and intake.assigned.offer is not None
    offer = intake.assigned.offer
    await store.claim(offer.id, by=offer.rep_id, now=now)
    return intake.received.lead_id, offer.rep_id


async def _record(store: Store, lead_id: int, state: OutcomeState, at: datetime, **extra: object):  # type: ignore[no-untyped-def]
    return await store.record_outcome(
        LeadRef(lead_id=lead_id), state=state, occurred_at=at, source="api", by="api", now=at, **extra
    )


async def test_an_outcome_is_recorded_once_and_a_repeat_says_nothing_changed(db: Database) -> None:
    store = _store(db)
    lead_id, owner = await _claimed(store)
    first = await _record(store, lead_id, WON, T0 + timedelta(days=1), amount=1200.0)
    again = await _record(store, lead_id, WON, T0 + timedelta(days=1), amount=1200.0)
    assert (first.recorded, first.current, first.rep_id) == (True, WON, owner)
    assert (again.recorded, again.current, again.events) == (False, WON, ())
    (event,) = first.events
    assert event == OutcomeRecorded(
        at=T0 + timedelta(days=1),
        queued=True,
        lead_id=lead_id,
        state="won",
        current="won",
        occurred_at=T0 + timedelta(days=1),
        amount=1200.0,
        rep_id=owner,
        source="api",
        by="api",
    )
    async with db.read() as conn:
        rows = (await conn.execute(select(func.count()).select_from(outcomes))).scalar_one()
        trail = (await conn.execute(select(audit.c.to_state, audit.c.reason).where(audit.c.lead_id == lead_id))).all()
    assert rows == 1
    assert ("outcome:won", "outcome won (1,200.00) from api") in [tuple(r) for r in trail]
    notes = [(kind, address, payload.get("state")) for kind, address, _key, payload in await queued(db)]
    assert ("outcome_note", owner, "won") in notes


async def test_a_lead_is_found_by_source_and_external_id_or_by_email_and_an_unknown_one_is_named(
    db: Database,
) -> None:
    store = _store(db)
    intake = await store.intake(lead(email="Jo@Example.com"), source="hubspot", external_id="c-42", payload={}, now=T0)
    lead_id = intake.received.lead_id
    by_crm = LeadRef(source="hubspot", external_id="c-42")
    by_mail = LeadRef(email="JO@example.com ")
    for ref, state in ((by_crm, WORKING), (by_mail, LOST)):
        result = await store.record_outcome(ref, state=state, occurred_at=T0, source="api", by="api", now=T0)
        assert result.lead_id == lead_id
    with pytest.raises(LeadRefNotFound, match="no lead c-43 from hubspot"):
        await store.record_outcome(
            LeadRef(source="hubspot", external_id="c-43"), state=WON, occurred_at=T0, source="api", by="api", now=T0
        )
    with pytest.raises(LeadRefNotFound, match="no lead 999"):
        await _record(store, 999, WON, T0)


async def test_out_of_order_outcomes_are_kept_and_the_latest_to_occur_is_current(db: Database) -> None:
    store = _store(db)
    lead_id, _owner = await _claimed(store)
    won = await _record(store, lead_id, WON, T0 + timedelta(days=3))
    late_working = await _record(store, lead_id, WORKING, T0 + timedelta(days=1))
    assert (won.current, late_working.recorded, late_working.current) == (WON, True, WON)
    (event,) = late_working.events
    assert isinstance(event, OutcomeRecorded) and (event.state, event.current) == ("working", "won")
    view = await _view(store, lead_id)
    assert (view.outcome, view.outcome_at) == (WON, T0 + timedelta(days=3))


async def test_changes_only_records_nothing_when_the_state_is_already_the_current_one(db: Database) -> None:
    store = _store(db)
    lead_id, owner = await _claimed(store)
    working = await _record(store, lead_id, WORKING, T0 + timedelta(days=1), changes_only=True)
    restamped = await _record(store, lead_id, WORKING, T0 + timedelta(days=2), changes_only=True)
    won = await _record(store, lead_id, WON, T0 + timedelta(days=3), changes_only=True)
    rewon = await _record(store, lead_id, WON, T0 + timedelta(days=4), changes_only=True)
    assert [r.recorded for r in (working, restamped, won, rewon)] == [True, False, True, False]
    assert (rewon.current, rewon.rep_id, rewon.events) == (WON, owner, ())
    view = await _view(store, lead_id)
    assert (view.outcome, view.outcome_at) == (WON, T0 + timedelta(days=3))  # when it was won, not re-reported
    again = await _record(store, lead_id, WON, T0 + timedelta(days=5))  # without it, as POST /outcomes: kept
    assert again.recorded
    async with db.read() as conn:
        rows = (await conn.execute(select(outcomes.c.state).order_by(outcomes.c.occurred_at))).scalars().all()
    assert rows == ["working", "won", "won"]


async def test_reopened_reopens_and_takes_the_win_out_of_the_owners_results(db: Database) -> None:
    store = _store(db)
    lead_id, owner = await _claimed(store)
    await _record(store, lead_id, WON, T0 + timedelta(days=1))
    state = await store.load_routing_state(T0 + timedelta(days=1))
    assert (state.reps[owner].won, state.reps[owner].closed, state.reps[owner].open_load) == (1, 1, 0)
    reopened = await _record(store, lead_id, REOPENED, T0 + timedelta(days=2))
    assert reopened.current == REOPENED
    state = await store.load_routing_state(T0 + timedelta(days=2))
    assert (state.reps[owner].won, state.reps[owner].closed, state.reps[owner].open_load) == (0, 0, 1)
    lost = await _record(store, lead_id, LOST, T0 + timedelta(days=3))
    state = await store.load_routing_state(T0 + timedelta(days=3))
    assert lost.current == LOST
    assert (state.reps[owner].won, state.reps[owner].closed, state.reps[owner].open_load) == (0, 1, 0)
    assert (await store.check_load(T0 + timedelta(days=3))).drift == ()


async def test_a_won_lead_frees_its_owner_at_capacity_for_the_next_lead(db: Database) -> None:
    store = _store(db)
    first, first_owner = await _claimed(store)
    _second, second_owner = await _claimed(store, T0 + timedelta(minutes=1))
    assert {first_owner, second_owner} == {"ana", "ben"}
    full = await store.intake(lead(), source="web", external_id=None, payload={}, now=T0 + timedelta(minutes=2))
    assert full.assigned is not None and full.assigned.offer is None  # both at capacity
    await _record(store, first, WON, T0 + timedelta(minutes=3))
    after = await store.intake(lead(), source="web", external_id=None, payload={}, now=T0 + timedelta(minutes=4))
    assert after.assigned is not None and after.assigned.offer is not None
    assert after.assigned.offer.rep_id == first_owner


async def test_with_an_outcome_source_a_claim_stays_in_the_load_past_the_window(db: Database) -> None:
    with_source, without = _store(db), _store(db, "")
    lead_id, owner = await _claimed(with_source)
    later = T0 + timedelta(days=8)  # past the default seven-day load window
    assert (await with_source.load_routing_state(later)).reps[owner].open_load == 1
    assert owner not in (await without.load_routing_state(later)).reps or (
        (await without.load_routing_state(later)).reps[owner].open_load == 0
    )
    await with_source.expire_due(later)  # the sweep does not settle the claim either
    assert (await with_source.load_routing_state(later)).reps[owner].open_load == 1
    assert (await with_source.check_load(later)).drift == ()
    await _record(with_source, lead_id, LOST, later)
    assert (await with_source.load_routing_state(later)).reps[owner].open_load == 0


async def test_results_count_within_the_performance_window_and_the_sweep_settles_them(db: Database) -> None:
    store = _store(db, "outcomes: {source: api, performance_window: 30d}")
    for i in range(4):  # each closes before the next arrives, so capacity one is never in the way
        lead_id, _owner = await _claimed(store, T0 + timedelta(minutes=i))
        await _record(store, lead_id, WON if i % 2 == 0 else LOST, T0 + timedelta(minutes=i, seconds=30))
    state = await store.load_routing_state(T0 + timedelta(days=2))
    by_rep = {rep: (s.won, s.closed) for rep, s in state.reps.items()}
    assert sum(w for w, _c in by_rep.values()) == 2 and sum(c for _w, c in by_rep.values()) == 4
    past = T0 + timedelta(days=32)
    assert all((s.won, s.closed) == (0, 0) for s in (await store.load_routing_state(past)).reps.values())
    await store.expire_due(past)  # the sweep settles what the window passed; the read stays the same
    assert all((s.won, s.closed) == (0, 0) for s in (await store.load_routing_state(past)).reps.values())


async def test_an_outcome_for_a_lead_nobody_owns_is_recorded_without_touching_anyones_counts(db: Database) -> None:
    store = _store(db)
    received = await store.receive(lead(), source="web", external_id=None, payload={}, now=T0)
    result = await _record(store, received.lead_id, OutcomeState.DISQUALIFIED, T0)
    assert (result.recorded, result.rep_id, result.current) == (True, None, OutcomeState.DISQUALIFIED)
    assert (await store.load_routing_state(T0)).reps == {}
    assert [kind for kind, *_ in await queued(db)] == []


async def _view(store: Store, lead_id: int):  # type: ignore[no-untyped-def]
    from storage import Views

    view = await Views(store.db, store.config).lead_view(lead_id)
    assert view.lead.state is LeadState.CLAIMED
    return view.lead


PERFORMANCE = CAPACITY_ONE.replace("capacity: 1", "capacity: 10").replace(
    "channel: CSALES}", "channel: CSALES, strategy: performance}"
)


async def test_recorded_outcomes_reach_the_performance_strategy_and_the_why_names_the_record(db: Database) -> None:
    store = Store(db, Engine(parse_config(PERFORMANCE % {"outcomes": "outcomes: {source: api, min_sample: 1}"})))
    loser_lead, loser = await _claimed(store)
    winner_lead, winner = await _claimed(store, T0 + timedelta(minutes=1))
    assert loser != winner
    await _record(store, loser_lead, LOST, T0 + timedelta(minutes=2))
    await _record(store, winner_lead, WON, T0 + timedelta(minutes=3))
    intake = await store.intake(lead(), source="web", external_id=None, payload={}, now=T0 + timedelta(minutes=4))
    assert intake.assigned is not None and intake.assigned.offer is not None
    assert intake.assigned.offer.rep_id == winner
    assert intake.assigned.decision.summary.endswith(f"@{winner}'s win rate 27%: 1 won of 1 closed in 90d, smoothed")


async def test_a_lead_won_before_its_claim_never_enters_the_load_and_the_counters_agree(db: Database) -> None:
    store = _store(db)
    intake = await store.intake(lead(), source="web", external_id=None, payload={}, now=T0)
    assert intake.assigned is not None and intake.assigned.offer is not None
    offer = intake.assigned.offer
    await _record(store, intake.received.lead_id, WON, T0 + timedelta(minutes=1))  # the CRM was quicker
    await store.claim(offer.id, by=offer.rep_id, now=T0 + timedelta(minutes=2))
    state = await store.load_routing_state(T0 + timedelta(minutes=2))
    assert offer.rep_id not in state.reps or state.reps[offer.rep_id].open_load == 0
    assert (await store.check_load(T0 + timedelta(minutes=2))).drift == ()


async def test_db_check_finds_and_repairs_drifted_win_rate_counters(db: Database) -> None:
    from sqlalchemy import update

    from storage.tables import rep_results

    store = _store(db)
    lead_id, owner = await _claimed(store)
    await _record(store, lead_id, WON, T0 + timedelta(minutes=1))
    assert (await store.check_load(T0 + timedelta(minutes=2))).drift == ()
    await db.transact(lambda conn, _locks: conn.execute(update(rep_results).values(won=7)))
    found = await store.check_load(T0 + timedelta(minutes=2), repair=True)
    assert found.repaired and any("rep results" in line for line in found.drift)
    assert (await store.check_load(T0 + timedelta(minutes=2))).drift == ()
    state = await store.load_routing_state(T0 + timedelta(minutes=2))
    assert (state.reps[owner].won, state.reps[owner].closed) == (1, 1)
