"""Who can take a lead right now: each check at its boundary, in the order the reasons are given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import RepState, Window, parse_config
from routing.availability import LocalClock, capacity_of, unavailable
from routing.config import Rep

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

CONFIG_YAML = """
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
"""


@pytest.fixture
def reps() -> dict[str, Rep]:
    """Parsed per test, never at import (see `engine_for` in test_decisions)."""
    return dict(parse_config(CONFIG_YAML).reps)


def why(
    rep: Rep, state: RepState, now: datetime = MONDAY_10, tried: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    found = unavailable(rep, state, LocalClock(now), tried)
    return (found.code, found.text) if found else None


def test_a_rep_below_capacity_can_take_one_more(reps: dict[str, Rep]) -> None:
    assert why(reps["ann"], RepState(open_load=2)) is None


def test_a_rep_at_capacity_cannot(reps: dict[str, Rep]) -> None:
    assert why(reps["ann"], RepState(open_load=3)) == ("at_capacity", "at capacity 3/3")


def test_a_capacity_override_replaces_the_configured_capacity_both_ways(reps: dict[str, Rep]) -> None:
    assert why(reps["ann"], RepState(open_load=1, capacity_override=1)) == ("at_capacity", "at capacity 1/1")
    assert why(reps["ann"], RepState(open_load=4, capacity_override=6)) is None
    assert why(reps["ann"], RepState(open_load=0, capacity_override=0)) == ("at_capacity", "at capacity 0/0")
    assert capacity_of(reps["ann"], RepState(capacity_override=0)) == 0
    assert capacity_of(reps["ann"], RepState()) == 3


def test_the_daily_cap_stops_at_the_cap_not_one_over(reps: dict[str, Rep]) -> None:
    assert why(reps["ann"], RepState(assigned_today=4)) is None
    assert why(reps["ann"], RepState(assigned_today=5)) == ("daily_cap", "daily cap reached 5/5")
    assert why(reps["bob"], RepState(assigned_today=500)) is None  # no cap configured


def test_the_first_reason_is_given_in_order_inactive_paused_tried_pto_capacity_cap_hours(reps: dict[str, Rep]) -> None:
    pto = (Window(MONDAY_10 - timedelta(days=1), datetime(2026, 11, 26, tzinfo=UTC)),)
    everything = RepState(paused=True, pto=pto, open_load=9, assigned_today=9)
    saturday = datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert why(reps["gone"], everything) == ("inactive", "inactive")
    assert why(reps["ann"], everything, saturday, frozenset({"ann"})) == ("paused", "paused")
    assert why(reps["ann"], RepState(pto=pto, open_load=9), saturday, frozenset({"ann"})) == (
        "tried",
        "already had this lead",
    )
    assert why(reps["ann"], RepState(pto=pto, open_load=9), MONDAY_10) == ("pto", "on PTO until Nov 25")
    assert why(reps["ann"], RepState(open_load=9, assigned_today=9), saturday) == ("at_capacity", "at capacity 9/3")
    assert why(reps["ann"], RepState(assigned_today=9), saturday) == ("daily_cap", "daily cap reached 9/5")
    assert why(reps["ann"], RepState(), saturday) == ("off_hours", "outside working hours")


def test_pto_that_ended_or_has_not_started_does_not_count_and_a_part_day_end_shows_the_time(
    reps: dict[str, Rep],
) -> None:
    ended = Window(MONDAY_10 - timedelta(days=2), MONDAY_10)
    later = Window(MONDAY_10 + timedelta(minutes=1), MONDAY_10 + timedelta(days=1))
    assert why(reps["ann"], RepState(pto=(ended, later))) is None
    until_noon = Window(MONDAY_10 - timedelta(hours=1), MONDAY_10 + timedelta(hours=2, minutes=30))
    assert why(reps["ann"], RepState(pto=(ended, until_noon))) == ("pto", "on PTO until Nov 23 12:30")
    # The last day is told in the rep's own zone: midnight in Berlin is 23:00 UTC the day before.
    berlin_midnight = Window(MONDAY_10 - timedelta(hours=1), datetime(2026, 11, 25, 23, 0, tzinfo=UTC))
    assert why(reps["ber"], RepState(pto=(berlin_midnight,))) == ("pto", "on PTO until Nov 25")


@pytest.mark.parametrize(
    ("now", "at_work"),
    [
        (datetime(2026, 11, 23, 8, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 16, 59, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), False),
    ],
)
def test_working_hours_are_checked_in_the_reps_own_zone_to_the_minute(
    reps: dict[str, Rep], now: datetime, at_work: bool
) -> None:
    assert (why(reps["ann"], RepState(), now) is None) is at_work
    # 09:00 UTC is 10:00 in Berlin; 16:59 UTC is 17:59 there, after hours.
    berlin_open = now.hour == 9 or (now.hour == 8 and now.minute == 59)
    assert (why(reps["ber"], RepState(), now) is None) is berlin_open


def test_a_clock_needs_an_aware_now_and_answers_each_schedule_once(reps: dict[str, Rep]) -> None:
    with pytest.raises(ValueError, match=r"^now must be timezone-aware$"):
        LocalClock(datetime(2026, 11, 23, 10, 0))
    clock = LocalClock(MONDAY_10)
    assert clock.at_work(reps["ann"]) and clock.at_work(reps["bob"])  # same zone and hours: one schedule key
    assert reps["ann"].schedule_key == reps["bob"].schedule_key != reps["ber"].schedule_key
    assert clock.at_work(reps["ber"])  # 11:00 in Berlin
    evening = LocalClock(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert evening.at_work(reps["ann"]) and not evening.at_work(reps["ber"])  # 17:30 in Berlin
