"""The report's numbers against hand-computed fixtures, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from reports.numbers import NO_RULE, Numbers, Rate, build_numbers, build_report
from routing.model import Window
from storage import Database, Store
from storage.model import LeadRef, OutcomeState
from tests.storage.conftest import CONFIG, SLA, T0, new_lead, offered

HOUR = timedelta(hours=1)


async def numbers(db: Database, since: datetime = T0, until: datetime = T0 + HOUR, team: str | None = None) -> Numbers:
    async with db.read() as conn:
        return await build_numbers(conn, CONFIG, since=since, until=until, team_id=team)


async def deliver_dms(store: Store, at: datetime) -> None:
    """Mark every pending DM delivered at `at`, as the sender would."""
    for item in await store.outbox.lease_due(at, limit=100):
        await store.outbox.mark_sent(item.id, channel="D1", ts=str(item.id), now=at)


async def test_an_empty_period_has_counts_of_zero_and_no_rates(db: Database) -> None:
    empty = await numbers(db)
    assert (empty.received, empty.offers, empty.system.count, empty.system.p50) == (0, 0, 0, None)
    assert empty.sla_breach == Rate(part=0, whole=0) and empty.sla_breach.value is None
    assert empty.fallback.value is None and empty.reassignment.value is None and empty.distribution == ()
    assert empty.system.bands == (0, 0, 0, 0)


async def test_one_lead_splits_system_time_from_human_time(store: Store, db: Database) -> None:
    lead_id = await new_lead(store, T0)
    offer = (await store.assign(lead_id, now=T0 + timedelta(seconds=20))).offer
    assert offer is not None
    await deliver_dms(store, T0 + timedelta(seconds=50))  # DM delivered 50 s after intake
    await store.claim(offer.id, by=offer.rep_id, now=T0 + timedelta(minutes=7, seconds=50))  # 7 min later

    one = await numbers(db)
    assert one.received == 1
    assert (one.assignment.count, one.assignment.p50, one.assignment.p90) == (1, 20.0, 20.0)
    assert (one.system.p50, one.system.bands) == (50.0, (1, 0, 0, 0))
    assert (one.human.p50, one.human.bands) == (420.0, (0, 1, 0, 0))  # 7 minutes: the 5–15 band
    assert one.sla_breach == Rate(part=0, whole=1) and one.acceptance == Rate(part=1, whole=1)
    assert one.sla_by_rep == {offer.rep_id: Rate(part=0, whole=1)}


async def test_speed_sla_reassignment_fallback_and_balance_by_hand(store: Store, db: Database) -> None:
    # Six leads received a minute apart, each assigned 30 s after it arrived.
    offers = []
    for i in range(6):
        received = T0 + timedelta(minutes=i)
        lead_id = await new_lead(store, received)
        result = await store.assign(lead_id, now=received + timedelta(seconds=30))
        assert result.offer is not None
        offers.append(result.offer)
    await new_lead(store, T0, score=1)  # not routed
    nurtured = await new_lead(store, T0, score=1)
    await store.assign(nurtured, now=T0)  # below the gate: nurture
    # Round robin gave ana, ben, cy, ana, ben, cy. ana claims in time, ben late, cy lets it expire
    # (it goes to ana), ana passes her second lead on (it goes to ben).
    assert [o.rep_id for o in offers] == ["ana", "ben", "cy", "ana", "ben", "cy"]
    await store.claim(offers[0].id, by="ana", now=offers[0].assigned_at + timedelta(minutes=2))
    await store.claim(offers[1].id, by="ben", now=offers[1].due_at + timedelta(seconds=1))
    await store.expire_due(offers[2].due_at)
    await store.reassign(offers[3].id, by="ana", reason="not mine", now=offers[3].assigned_at)

    n = await numbers(db)
    assert (n.received, n.nurtured) == (8, 1)
    assert (n.assignment.count, n.assignment.p50, n.assignment.p90) == (6, 30.0, 30.0)
    assert n.offers == 8  # six first offers, the expired lead's next, the reassigned lead's next
    # Met: ana's claim. Breached: ben's late claim and cy's expiry.
    assert n.sla_breach == Rate(part=2, whole=3)
    assert n.sla_by_rep == {"ana": Rate(part=0, whole=1), "ben": Rate(part=1, whole=1), "cy": Rate(part=1, whole=1)}
    assert n.sla_by_team == {"sales": Rate(part=2, whole=3)} and n.sla_by_tier == {"standard": Rate(part=2, whole=3)}
    assert n.acceptance == Rate(part=2, whole=4)  # two accepted of the four offers no longer open
    assert n.reassignment == Rate(part=1, whole=6)
    assert n.ended_by == {"expired": 1, "reassigned": 1}
    assert n.fallback == Rate(part=0, whole=6) and n.fell_through == {}
    shares = {s.rep_id: (s.offers, s.claims, s.breaches, round(s.fair or 0, 3)) for s in n.distribution}
    assert shares == {"ana": (3, 1, 0, 0.333), "ben": (3, 1, 1, 0.333), "cy": (2, 0, 1, 0.333)}
    assert timedelta(minutes=15) == SLA


async def test_fallback_names_the_rule_that_fell_through(store: Store, db: Database) -> None:
    # Nobody in tokyo can take it (kai's team is only kai; pausing kai empties it): sales takes it.
    await store.set_paused("kai", True, by="maria", now=T0)
    await offered(store, T0, country="JP")
    await offered(store, T0)
    n = await numbers(db)
    assert n.fallback == Rate(part=1, whole=2)
    assert n.fell_through == {"japan": 1}
    assert NO_RULE not in n.fell_through


async def test_the_previous_period_and_a_team_of_its_own(store: Store, db: Database) -> None:
    await offered(store, T0 - timedelta(minutes=30))  # the previous hour
    await offered(store, T0, country="JP")  # tokyo
    await offered(store, T0 + timedelta(minutes=5))  # sales
    async with db.read() as conn:
        report = await build_report(conn, CONFIG, since=T0, until=T0 + HOUR)
        sales = await build_report(conn, CONFIG, since=T0, until=T0 + HOUR, team_id="sales")
    assert (report.current.received, report.previous.received) == (2, 1)
    assert report.previous.until == T0 and report.previous.since == T0 - HOUR
    assert (sales.current.received, sales.current.offers, sales.previous.received) == (1, 1, 1)
    assert {s.pool for s in sales.current.distribution} == {"sales"}


async def test_fair_share_is_owed_to_who_was_there_when_each_offer_was_made(store: Store, db: Database) -> None:
    """The report judges with `routing.fairness`, as `simulate` does: ana is on PTO for the second half
    hour, so of the six offers (three per half hour) she is owed a third of the first three only."""
    await store.set_pto("ana", Window(T0 + timedelta(minutes=30), T0 + HOUR), by="maria", now=T0)
    for i in range(6):
        await offered(store, T0 + timedelta(minutes=10 * i))
    n = await numbers(db)
    [sales] = n.fairness
    expected = {rep.rep: round(rep.expected, 6) for rep in sales.reps}
    assert expected == {"ana": 1.0, "ben": 2.5, "cy": 2.5}
    assert {rep.rep: rep.actual for rep in sales.reps} == {"ana": 1, "ben": 3, "cy": 2}
    assert (sales.leads, sales.off_hours, sales.fair) == (6, 0, True)
    assert {s.rep_id: round(s.fair or 0, 4) for s in n.distribution} == {"ana": 0.1667, "ben": 0.4167, "cy": 0.4167}


async def test_an_offer_on_the_minute_a_pto_ends_is_owed_to_the_returning_rep(store: Store, db: Database) -> None:
    """Arrivals are counted per minute; an offer made on the very minute ana is back counts her in."""
    await store.set_pto("ana", Window(T0 - HOUR, T0 + timedelta(minutes=20)), by="maria", now=T0 - HOUR)
    await offered(store, T0 + timedelta(minutes=19, seconds=59))  # ana still away: ben and cy
    await offered(store, T0 + timedelta(minutes=20))  # ana back: all three
    [sales] = (await numbers(db)).fairness
    assert {rep.rep: round(rep.expected, 6) for rep in sales.reps} == {
        "ana": round(1 / 3, 6),
        "ben": round(1 / 2 + 1 / 3, 6),
        "cy": round(1 / 2 + 1 / 3, 6),
    }


async def test_win_rates_count_leads_closed_in_the_period_by_owner_rule_and_source(store: Store, db: Database) -> None:
    """Four claimed leads: two won, one lost, one still being worked; a lead won before the period and
    a `working` outcome count for nothing. The rule is the first offer's, the owner the claimer."""
    claimed, owners = [], []
    for i, source in enumerate(("web", "web", "partner", "web", "web")):
        country = "JP" if source == "partner" else "US"  # the japan rule: kai's
        lead_id, offer_id, rep = await offered(store, T0 - HOUR + timedelta(minutes=i), source=source, country=country)
        await store.claim(offer_id, by=rep, now=T0 - HOUR + timedelta(minutes=i, seconds=30))
        claimed.append(lead_id)
        owners.append(rep)

    async def outcome(lead_id: int, state: OutcomeState, at: datetime) -> None:
        await store.record_outcome(
            LeadRef(lead_id=lead_id), state=state, occurred_at=at, source="api", by="crm", now=at
        )

    await outcome(claimed[0], OutcomeState.WON, T0 + timedelta(minutes=5))
    await outcome(claimed[1], OutcomeState.LOST, T0 + timedelta(minutes=6))
    await outcome(claimed[2], OutcomeState.WON, T0 + timedelta(minutes=7))
    await outcome(claimed[3], OutcomeState.WORKING, T0 + timedelta(minutes=8))
    await outcome(claimed[4], OutcomeState.WON, T0 - timedelta(minutes=1))  # before the period

    n = await numbers(db)
    assert n.win_rate == Rate(part=2, whole=3)
    assert n.win_by_rule == {"everyone": Rate(part=1, whole=2), "japan": Rate(part=1, whole=1)}
    assert n.win_by_source == {"partner": Rate(part=1, whole=1), "web": Rate(part=1, whole=2)}
    assert owners[2] == "kai" and n.win_by_rep["kai"] == Rate(part=1, whole=1)
    assert n.win_by_rep[owners[0]].part == 1 and n.win_by_rep[owners[1]].whole >= 1
    assert sum(r.whole for r in n.win_by_rep.values()) == 3
    # The period before saw the fifth lead won.
    assert (await numbers(db, T0 - HOUR, T0)).win_rate == Rate(part=1, whole=1)
