"""Who can take a lead right now: each check at its boundary, in the order the reasons are given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import RepState, Window, parse_config
from routing.availability import LocalClock, capacity_of, unavailable
from routing.config import Rep

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

CONFIG = parse_config("""
timezone: UTC
working_hours: "mon-fri 09:00-17:00"
reps:
  - {id: ann, name: Ann, capacity: 3, daily_cap: 5}
  - {id: bob, name: Bob, capacity: 3}
  - {id: gone, name: Gone, active: false}
  - {id: ber, name: Ber, timezone: Europe/Berlin}
teams: [{id: t, members: [ann, bob, gone, ber]}]
sla: [{name: default, within: 1h}]
fallback: {team: t}
""")
ANN, BOB, GONE, BER = (CONFIG.reps[rep] for rep in ("ann", "bob", "gone", "ber"))


def why(
    rep: Rep, state: RepState, now: datetime = MONDAY_10, tried: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    found = unavailable(rep, state, LocalClock(now), tried)
    return (found.code, found.text) if found else None


def test_a_rep_below_capacity_can_take_one_more() -> None:
    assert why(ANN, RepState(open_load=2)) is None


def test_a_rep_at_capacity_cannot() -> None:
    assert why(ANN, RepState(open_load=3)) == ("at_capacity", "at capacity 3/3")


def test_a_capacity_override_replaces_the_configured_capacity_both_ways() -> None:
    assert why(ANN, RepState(open_load=1, capacity_override=1)) == ("at_capacity", "at capacity 1/1")
    assert why(ANN, RepState(open_load=4, capacity_override=6)) is None
    assert why(ANN, RepState(open_load=0, capacity_override=0)) == ("at_capacity", "at capacity 0/0")
    assert capacity_of(ANN, RepState(capacity_override=0)) == 0
    assert capacity_of(ANN, RepState()) == 3


def test_the_daily_cap_stops_at_the_cap_not_one_over() -> None:
    assert why(ANN, RepState(assigned_today=4)) is None
    assert why(ANN, RepState(assigned_today=5)) == ("daily_cap", "daily cap reached 5/5")
    assert why(BOB, RepState(assigned_today=500)) is None  # no cap configured


def test_the_first_reason_is_given_in_order_inactive_paused_tried_pto_capacity_cap_hours() -> None:
    pto = (Window(MONDAY_10 - timedelta(days=1), datetime(2026, 11, 26, tzinfo=UTC)),)
    everything = RepState(paused=True, pto=pto, open_load=9, assigned_today=9)
    saturday = datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert why(GONE, everything) == ("inactive", "inactive")
    assert why(ANN, everything, saturday, frozenset({"ann"})) == ("paused", "paused")
    assert why(ANN, RepState(pto=pto, open_load=9), saturday, frozenset({"ann"})) == ("tried", "already had this lead")
    assert why(ANN, RepState(pto=pto, open_load=9), MONDAY_10) == ("pto", "on PTO until Nov 25")
    assert why(ANN, RepState(open_load=9, assigned_today=9), saturday) == ("at_capacity", "at capacity 9/3")
    assert why(ANN, RepState(assigned_today=9), saturday) == ("daily_cap", "daily cap reached 9/5")
    assert why(ANN, RepState(), saturday) == ("off_hours", "outside working hours")


def test_pto_that_ended_or_has_not_started_does_not_count_and_a_part_day_end_shows_the_time() -> None:
    ended = Window(MONDAY_10 - timedelta(days=2), MONDAY_10)
    later = Window(MONDAY_10 + timedelta(minutes=1), MONDAY_10 + timedelta(days=1))
    assert why(ANN, RepState(pto=(ended, later))) is None
    until_noon = Window(MONDAY_10 - timedelta(hours=1), MONDAY_10 + timedelta(hours=2, minutes=30))
    assert why(ANN, RepState(pto=(ended, until_noon))) == ("pto", "on PTO until Nov 23 12:30")
    # The last day is told in the rep's own zone: midnight in Berlin is 23:00 UTC the day before.
    berlin_midnight = Window(MONDAY_10 - timedelta(hours=1), datetime(2026, 11, 25, 23, 0, tzinfo=UTC))
    assert why(BER, RepState(pto=(berlin_midnight,))) == ("pto", "on PTO until Nov 25")


@pytest.mark.parametrize(
    ("now", "at_work"),
    [
        (datetime(2026, 11, 23, 8, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 16, 59, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), False),
    ],
)
def test_working_hours_are_checked_in_the_reps_own_zone_to_the_minute(now: datetime, at_work: bool) -> None:
    assert (why(ANN, RepState(), now) is None) is at_work
    # 09:00 UTC is 10:00 in Berlin; 16:59 UTC is 17:59 there, after hours.
    berlin_open = now.hour == 9 or (now.hour == 8 and now.minute == 59)
    assert (why(BER, RepState(), now) is None) is berlin_open


def test_a_clock_needs_an_aware_now_and_answers_each_schedule_once() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        LocalClock(datetime(2026, 11, 23, 10, 0))
    clock = LocalClock(MONDAY_10)
    assert clock.at_work(ANN) and clock.at_work(BOB)  # same zone and hours: one schedule key
    assert ANN.schedule_key == BOB.schedule_key != BER.schedule_key
    assert clock.at_work(BER)  # 11:00 in Berlin
    evening = LocalClock(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert evening.at_work(ANN) and not evening.at_work(BER)  # 17:30 in Berlin
