"""The fairness measure against cases worked out by hand: two zones, PTO mid-week, a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import Window, parse_config
from routing.fairness import Arrival, PoolFairness, measure

# Berlin and New York, both mon-fri 09:00-17:00 local; Berlin has twice the weight.
TWO_ZONES = """
working_hours: "mon-fri 09:00-17:00"
reps:
  - {id: berlin, name: B, timezone: Europe/Berlin, weight: 2}
  - {id: ny, name: N, timezone: America/New_York}
teams:
  - {id: inbound, members: [berlin, ny], strategy: weighted}
rules: [{name: all, route: {team: inbound}}]
sla: [{name: general, within: 1h}]
fallback: {team: inbound}
"""
CONFIG = parse_config(TWO_ZONES)
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # no DST anywhere: Berlin UTC+1, New York UTC-5


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


def by_rep(fairness: PoolFairness) -> dict[str, tuple[int, float]]:
    return {r.rep: (r.actual, r.expected) for r in fairness.reps}


def test_a_rep_alone_at_work_is_owed_the_whole_lead_and_an_overlap_splits_by_weight() -> None:
    arrivals = [
        Arrival(pool="inbound", at=at(MONDAY, 9), rep="berlin"),  # 10:00 Berlin, 04:00 NY: Berlin alone
        Arrival(pool="inbound", at=at(MONDAY, 15), rep="berlin"),  # 16:00 Berlin, 10:00 NY: 2/3 vs 1/3
        Arrival(pool="inbound", at=at(MONDAY, 20), rep="ny"),  # 21:00 Berlin, 15:00 NY: NY alone
    ]
    (pool,) = measure(CONFIG, arrivals)
    assert by_rep(pool) == {"berlin": (2, pytest.approx(1 + 2 / 3)), "ny": (1, pytest.approx(1 + 1 / 3))}
    assert pool.off_hours == 0 and pool.fair  # within 2 leads


def test_off_hours_leads_are_owed_by_weight_to_everyone_not_away() -> None:
    # 03:00 UTC: nobody at work; the lead is owed 2/3 to Berlin and 1/3 to New York by weight.
    arrivals = [Arrival(pool="inbound", at=at(MONDAY, 3), rep="berlin") for _ in range(30)]
    (pool,) = measure(CONFIG, arrivals)
    assert pool.off_hours == 30
    assert by_rep(pool) == {"berlin": (30, pytest.approx(20.0)), "ny": (0, pytest.approx(10.0))}
    assert not pool.fair
    assert pool.verdict.startswith("unfair: @berlin over, 30 leads against 20.0 expected (100.0% vs 66.7%)")
    assert "@ny under, 0 leads against 10.0 expected" in pool.verdict


def test_pto_in_the_middle_of_the_week_moves_the_overlap_to_the_rep_at_work() -> None:
    # One lead at 15:00 UTC each weekday (both at work); Berlin is away Wednesday (whole day, Berlin time).
    pto = {
        "berlin": [
            Window(
                datetime(2026, 11, 25, tzinfo=CONFIG.reps["berlin"].tz),
                datetime(2026, 11, 26, tzinfo=CONFIG.reps["berlin"].tz),
            )
        ]
    }
    arrivals = [Arrival(pool="inbound", at=at(MONDAY + timedelta(days=d), 15), rep="berlin") for d in range(5)]
    (pool,) = measure(CONFIG, arrivals, pto)
    # Four days at 2/3 to Berlin, Wednesday wholly New York's: Berlin 8/3, New York 4/3 + 1 = 7/3.
    assert by_rep(pool) == {"berlin": (5, pytest.approx(8 / 3)), "ny": (0, pytest.approx(7 / 3))}
    assert pool.reps[1].expected_share == pytest.approx(7 / 15)


def test_the_week_between_the_two_dst_changes_shifts_the_overlap_by_an_hour() -> None:
    # Europe left summer time on Sun 25 Oct 2026, the US on Sun 1 Nov. 13:30 UTC on Mon 26 Oct is
    # 14:30 in Berlin and 09:30 in New York (both at work); on Mon 2 Nov it is 08:30 in New York (not yet).
    before = Arrival(pool="inbound", at=datetime(2026, 10, 26, 13, 30, tzinfo=UTC), rep="ny")
    after = Arrival(pool="inbound", at=datetime(2026, 11, 2, 13, 30, tzinfo=UTC), rep="berlin")
    (pool,) = measure(CONFIG, [before, after])
    assert by_rep(pool) == {"berlin": (1, pytest.approx(2 / 3 + 1)), "ny": (1, pytest.approx(1 / 3))}
    assert pool.off_hours == 0


def test_leads_outside_any_team_are_left_out() -> None:
    assert measure(CONFIG, [Arrival(pool="(direct)", at=MONDAY, rep="ny")]) == ()
