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


def test_the_first_minute_of_a_shift_is_open_and_the_closing_minute_is_not() -> None:
    hours = WeeklyHours.parse("mon-fri 09:30-17:00")
    assert not hours.is_open(datetime(2026, 11, 23, 9, 29, tzinfo=BERLIN))
    assert hours.is_open(datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN))
    assert hours.is_open(datetime(2026, 11, 23, 16, 59, tzinfo=BERLIN))
    assert not hours.is_open(datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN))


def test_an_sla_ending_exactly_at_closing_time_ends_today() -> None:
    hours = WeeklyHours.parse("mon-fri 09:00-17:00")
    assert hours.add_business_time(datetime(2026, 11, 23, 16, 0, tzinfo=BERLIN), timedelta(hours=1), BERLIN) == (
        datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN)
    )
    # Before opening the whole day is one span: 8 hours from 07:00 end at 17:00 the same day.
    assert hours.add_business_time(datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN), timedelta(hours=8), BERLIN) == (
        datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN)
    )
    # One second more runs into the next morning.
    assert hours.add_business_time(
        datetime(2026, 11, 23, 16, 0, tzinfo=BERLIN), timedelta(hours=1, seconds=1), BERLIN
    ) == datetime(2026, 11, 24, 9, 0, 1, tzinfo=BERLIN)


def test_business_time_from_the_first_minute_and_seconds_into_it() -> None:
    hours = WeeklyHours.parse("mon-fri 09:00-17:00")
    at_nine = datetime(2026, 11, 23, 9, 0, 30, tzinfo=BERLIN)
    assert hours.add_business_time(at_nine, timedelta(minutes=5), BERLIN) == at_nine + timedelta(minutes=5)
    # 16:59:30 plus one minute: 30 seconds today, 30 seconds from Tuesday 09:00.
    late = datetime(2026, 11, 23, 16, 59, 30, tzinfo=BERLIN)
    assert hours.add_business_time(late, timedelta(minutes=1), BERLIN) == datetime(
        2026, 11, 24, 9, 0, 30, tzinfo=BERLIN
    )


def test_business_time_across_several_spans_and_in_never_open_hours() -> None:
    hours = WeeklyHours.parse(["mon 09:00-10:00", "mon 14:00-15:00", "tue 09:00-10:00"])
    start = datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)
    assert hours.add_business_time(start, timedelta(minutes=90), BERLIN) == datetime(2026, 11, 23, 15, 0, tzinfo=BERLIN)
    assert hours.add_business_time(start, timedelta(minutes=91), BERLIN) == datetime(2026, 11, 24, 9, 1, tzinfo=BERLIN)
    assert WeeklyHours.parse([]).add_business_time(start, timedelta(minutes=1), BERLIN) is None


def test_next_open_inside_a_shift_is_now_and_later_in_the_day_is_the_next_span() -> None:
    hours = WeeklyHours.parse(["mon 09:00-10:00", "mon 14:00-15:00"])
    inside = datetime(2026, 11, 23, 9, 15, tzinfo=BERLIN)
    assert hours.next_open(inside, BERLIN) == inside
    assert hours.next_open(datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN), BERLIN) == datetime(
        2026, 11, 23, 14, 0, tzinfo=BERLIN
    )
    # Sunday evening: Monday's first span, eight days' search is enough.
    assert hours.next_open(datetime(2026, 11, 29, 20, 0, tzinfo=BERLIN), BERLIN) == datetime(
        2026, 11, 30, 9, 0, tzinfo=BERLIN
    )


@pytest.mark.parametrize(
    ("lines", "monday"),
    [
        (["mon 09:00-12:00", "mon 11:00-14:00"], ((540, 840),)),  # overlapping
        (["mon 09:00-12:00", "mon 12:00-14:00"], ((540, 840),)),  # touching
        (["mon 09:00-17:00", "mon 10:00-11:00"], ((540, 1020),)),  # one inside the other
        (["mon 13:00-14:00", "mon 09:00-10:00"], ((540, 600), (780, 840))),  # apart, any order
    ],
)
def test_overlapping_working_hours_lines_merge_into_one_span(
    lines: list[str], monday: tuple[tuple[int, int], ...]
) -> None:
    hours = WeeklyHours.parse(lines)
    assert hours.intervals[0] == monday
    assert hours.intervals[1:] == ((),) * 6


def test_day_lists_and_ranges_that_wrap_the_week() -> None:
    hours = WeeklyHours.parse(["sat-mon 10:00-11:00", "wed, fri 08:00-09:00"])
    open_days = [day for day, spans in enumerate(hours.intervals) if spans]
    assert open_days == [0, 2, 4, 5, 6]
    assert hours.intervals[2] == ((480, 540),)
    assert WeeklyHours.parse("always").intervals == ((((0, 1440),),) * 7)
    assert WeeklyHours.parse(" Always ") == WeeklyHours.always()
    assert WeeklyHours.parse(["mon 09:00-10:00"]) is WeeklyHours.parse("mon 09:00-10:00")  # one object per schedule
    assert WeeklyHours.parse("mon 00:00-24:00").intervals[0] == ((0, 1440),)


def test_an_overnight_shift_on_sunday_wraps_into_monday() -> None:
    hours = WeeklyHours.parse("sun 22:00-06:00")
    assert hours.intervals[6] == ((1320, 1440),)
    assert hours.intervals[0] == ((0, 360),)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("mon-fri 9-17", "expected working hours like 'mon-fri 09:00-17:30', got 'mon-fri 9-17'"),
        ("mon 09:00-09:00", "empty working hours in 'mon 09:00-09:00'"),
        ("mon 25:00-26:00", "bad time '25:00'"),
        ("mon 24:30-01:00", "bad time '24:30'"),
        ("mon 09:60-10:00", "bad time '09:60'"),
        ("mon-fry 09:00-10:00", "unknown day 'fry' (use mon, tue, wed, thu, fri, sat, sun)"),
    ],
)
def test_bad_working_hours_name_the_problem(lines: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        WeeklyHours.parse(lines)
    assert str(caught.value) == message


def test_durations_with_fractions_long_units_and_bad_input_messages() -> None:
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration(" 2 MIN ") == timedelta(minutes=2)
    assert parse_duration("3hr") == timedelta(hours=3)
    assert parse_duration("4sec") == timedelta(seconds=4)
    assert parse_duration(0.5) == timedelta(milliseconds=500)
    with pytest.raises(ValueError, match="must be positive, got 0"):
        parse_duration(0)
    with pytest.raises(ValueError, match=r"expected a duration like '30s', '5m' or '1h', got True"):
        parse_duration(True)


def test_an_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_business_time_starting_just_before_the_shift_counts_from_the_shift() -> None:
    hours = WeeklyHours.parse("mon-fri 09:00-17:00")
    before = datetime(2026, 11, 23, 8, 55, tzinfo=BERLIN)
    assert hours.add_business_time(before, timedelta(minutes=10), BERLIN) == datetime(
        2026, 11, 23, 9, 10, tzinfo=BERLIN
    )
    # Two seconds from 16:59:59: one today, one from Tuesday 09:00.
    late = datetime(2026, 11, 23, 16, 59, 59, tzinfo=BERLIN)
    assert hours.add_business_time(late, timedelta(seconds=2), BERLIN) == datetime(2026, 11, 24, 9, 0, 1, tzinfo=BERLIN)


def test_business_time_after_a_midnight_shift_waits_for_the_next_one() -> None:
    hours = WeeklyHours.parse("mon 00:00-01:00")
    ten = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    assert hours.add_business_time(ten, timedelta(minutes=5), BERLIN) == datetime(2026, 11, 30, 0, 5, tzinfo=BERLIN)


def test_spans_are_found_from_the_local_day_west_of_utc() -> None:
    new_york = zone("America/New_York")
    hours = WeeklyHours.parse("mon 20:00-22:00")
    monday_9pm = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # already Tuesday in UTC
    assert hours.next_open(monday_9pm, new_york) == monday_9pm
    assert hours.add_business_time(monday_9pm, timedelta(minutes=90), new_york) == datetime(
        2026, 12, 1, 1, 30, tzinfo=UTC
    )
