"""Digest weeks in the team's own zone: due at its weekday and time, seven local days, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reports.periods import latest_week, this_week
from routing.config import Digest

MONDAY_9 = Digest(weekday=0, at=time(9, 0))
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_week_is_the_seven_local_days_before_the_due_day() -> None:
    # Monday 30 Nov 2026, 10:00 in New York (15:00 UTC): this morning's digest covers 23–29 Nov.
    week = latest_week(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), NEW_YORK, MONDAY_9)
    assert week.key == "2026-11-23"
    assert week.since == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # local midnight, EST
    assert week.until == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert week.due == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def test_before_the_due_time_the_latest_digest_is_last_weeks() -> None:
    # 08:59 in New York on the Monday: not due yet, so the latest is the one from the Monday before.
    week = latest_week(datetime(2026, 11, 30, 13, 59, tzinfo=UTC), NEW_YORK, MONDAY_9)
    assert week.key == "2026-11-16"


def test_the_same_instant_is_a_different_week_in_another_zone() -> None:
    # Monday 30 Nov 06:00 UTC: 07:00 in Berlin (not yet 09:00), 01:00 in New York (not yet either);
    # at 08:30 UTC Berlin's digest (09:30 local) is due and New York's (03:30) is not.
    at = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    assert latest_week(at, BERLIN, MONDAY_9).key == "2026-11-23"
    assert latest_week(at, NEW_YORK, MONDAY_9).key == "2026-11-16"


def test_a_dst_week_is_one_hour_shorter_and_still_local_midnight_to_midnight() -> None:
    # Spring forward in New York: Sunday 8 March 2026. The week 2–8 March is 167 hours long.
    week = latest_week(datetime(2026, 3, 9, 14, 0, tzinfo=UTC), NEW_YORK, MONDAY_9)
    assert week.key == "2026-03-02"
    assert week.until - week.since == timedelta(hours=167)
    assert week.since.astimezone(NEW_YORK).hour == 0 and week.until.astimezone(NEW_YORK).hour == 0
    assert week.due == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 09:00 EDT


def test_this_week_starts_on_local_monday() -> None:
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Tuesday 22:00 in New York
    since, until = this_week(now, NEW_YORK)
    assert since == datetime(2026, 11, 30, 5, 0, tzinfo=UTC) and until == now
