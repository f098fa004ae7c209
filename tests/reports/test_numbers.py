"""The report's numbers against hand-computed fixtures, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from reports.numbers import NO_RULE, Numbers, Rate, build_numbers, build_report
from storage import Database, Store
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


@pytest.mark.parametrize("hours", [1, 24 * 7])
async def test_fair_share_follows_working_hours(hours: int) -> None:
    """Kai works always (like the others) in this config: in any period each gets an equal fair share."""
    from reports.numbers import _expected_weight

    until = T0 + timedelta(hours=hours)
    assert _expected_weight(CONFIG, "kai", T0, until) == pytest.approx(hours)
    assert _expected_weight(CONFIG, "nobody", T0, until) == 0.0


def test_fair_share_counts_working_hours_in_the_reps_own_zone_across_dst() -> None:
    from reports.numbers import _expected_weight
    from routing import parse_config

    config = parse_config(
        """
timezone: America/New_York
working_hours: ["mon-fri 09:00-17:00"]
reps:
  - {id: ny, name: NY, weight: 2}
  - {id: tokyo, name: Tokyo, timezone: Asia/Tokyo}
teams:
  - {id: t, members: [ny, tokyo]}
rules: []
sla:
  - {name: s, within: 1h}
fallback: {team: t}
"""
    )
    # The week of the spring-forward Sunday in New York, local midnight to midnight: five 8-hour days.
    since, until = (
        datetime.fromisoformat("2026-03-09T04:00:00+00:00"),
        datetime.fromisoformat("2026-03-16T04:00:00+00:00"),
    )
    assert _expected_weight(config, "ny", since, until) == pytest.approx(2 * 40)
    # Tokyo's days straddle New York's midnight: four hours of its first Monday and four of the next
    # fall inside, with Tuesday to Friday whole: 40 hours.
    assert _expected_weight(config, "tokyo", since, until) == pytest.approx(40)
    # Half a day: Monday 09:00–13:00 in New York only.
    assert _expected_weight(config, "ny", since, datetime.fromisoformat("2026-03-09T17:00:00+00:00")) == pytest.approx(
        2 * 4
    )
