"""Working hours and business-time arithmetic across zones, overnight shifts and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.schedule import WeeklyHours, parse_duration, zone

BERLIN = zone("Europe/Berlin")


def test_parse_and_open() -> None:
    hours = WeeklyHours.parse(["mon-thu 09:00-17:00", "fri 09:00-13:00"])
    assert hours.is_open(datetime(2026, 11, 27, 12, 59, tzinfo=BERLIN))  # Friday
    assert not hours.is_open(datetime(2026, 11, 27, 13, 0, tzinfo=BERLIN))
    assert not hours.is_open(datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN))  # Saturday


def test_overnight_shift_wraps_into_the_next_day() -> None:
    hours = WeeklyHours.parse("sun-thu 22:00-06:00")
    assert hours.is_open(datetime(2026, 11, 24, 3, 0, tzinfo=BERLIN))  # Tuesday 03:00, Monday's shift
    assert not hours.is_open(datetime(2026, 11, 28, 3, 0, tzinfo=BERLIN))  # Saturday 03:00


def test_business_time_skips_nights_and_weekends() -> None:
    hours = WeeklyHours.parse("mon-fri 09:00-17:00")
    friday_1658 = datetime(2026, 11, 27, 16, 58, tzinfo=BERLIN)
    due = hours.add_business_time(friday_1658, timedelta(minutes=5), BERLIN)
    assert due == datetime(2026, 11, 30, 9, 3, tzinfo=BERLIN)
    assert hours.next_open(datetime(2026, 11, 28, 12, tzinfo=UTC), BERLIN) == datetime(
        2026, 11, 30, 9, 0, tzinfo=BERLIN
    )


def test_shift_start_keeps_its_wall_clock_hour_across_dst() -> None:
    hours = WeeklyHours.parse("mon-fri 09:00-17:00")
    # Europe switches to summer time on Sunday 2027-03-28; Monday still starts at 09:00 local.
    start = hours.next_open(datetime(2027, 3, 27, 12, tzinfo=UTC), BERLIN)
    assert start is not None and start.astimezone(BERLIN).hour == 9
    assert start == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


def test_never_open_hours_give_none() -> None:
    assert WeeklyHours.parse([]).next_open(datetime(2026, 1, 1, tzinfo=UTC), BERLIN) is None


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("2d", 172800), (90, 90)])
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5", "0m", "-1h", "soon", "5 parsecs"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
