"""Which week a team's digest covers, in the team's own time zone (pure: `now` is a parameter).

A digest is due at its weekday and time in the team's zone and covers the seven local days before that
day, midnight to midnight: a week with a DST change is 167 or 169 hours long, never shifted by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.config import Digest


@dataclass(frozen=True, slots=True, kw_only=True)
class Week:
    """The week [since, until) a digest due at `due` covers; `key` names it (its first local day)."""

    key: str
    since: datetime
    until: datetime
    due: datetime


def latest_week(now: datetime, tz: ZoneInfo, digest: Digest) -> Week:
    """The week of the latest digest due at or before `now` (aware), as UTC times."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - digest.weekday) % 7)
    if datetime.combine(day, digest.at, tzinfo=tz) > local:
        day -= timedelta(days=7)
    return week_ending(day, tz, digest)


def week_ending(day: date, tz: ZoneInfo, digest: Digest) -> Week:
    """The week of the seven local days before `day`, due on `day` at the digest's time."""
    start = day - timedelta(days=7)
    return Week(
        key=start.isoformat(),
        since=datetime.combine(start, datetime.min.time(), tzinfo=tz).astimezone(UTC),
        until=datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC),
        due=datetime.combine(day, digest.at, tzinfo=tz).astimezone(UTC),
    )


def this_week(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of the current local week (Monday 00:00 in `tz`) to `now`: the Home's numbers."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, datetime.min.time(), tzinfo=tz).astimezone(UTC), now
