"""Working hours and business-time arithmetic, in each rep's own time zone.

A `WeeklyHours` is parsed from short lines such as ``"mon-fri 09:00-17:30"`` or ``"sat 10:00-14:00"``;
an overnight range (``"22:00-06:00"``) wraps into the next day. All functions take aware datetimes and
return aware UTC datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
_LINE = re.compile(
    r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)\s*$")
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(text: str | int | float) -> timedelta:
    """Parse ``30s``, ``5m``, ``1h`` or ``2d`` (a bare number is seconds). Raises ValueError."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _DURATION.match(str(text).lower())
        if not match:
            raise ValueError(f"expected a duration like '30s', '5m' or '1h', got {text!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {text!r}")
    return timedelta(seconds=seconds)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The named IANA time zone. Raises ValueError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(f"bad time {text!r}")
    return hours * 60 + minutes


def _expand_days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        bounds = [piece.strip() for piece in part.split("-")]
        for bound in bounds:
            if bound not in DAYS:
                raise ValueError(f"unknown day {bound!r} (use {', '.join(DAYS)})")
        first, last = DAYS.index(bounds[0]), DAYS.index(bounds[-1])
        span = (last - first) % 7
        days.extend((first + offset) % 7 for offset in range(span + 1))
    return days


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Open intervals per weekday (0 = Monday), in minutes since local midnight, sorted."""

    intervals: tuple[tuple[tuple[int, int], ...], ...]

    @classmethod
    def always(cls) -> WeeklyHours:
        return cls(tuple(((0, _MINUTES_PER_DAY),) for _ in DAYS))

    @classmethod
    def parse(cls, lines: list[str] | str) -> WeeklyHours:
        """Parse ``["mon-fri 09:00-17:30", ...]`` or ``"always"``. Raises ValueError naming the line.

        Equal schedules come back as the same object, so per-decision caches can key on identity."""
        return _parse_hours((lines,) if isinstance(lines, str) else tuple(lines))

    @classmethod
    def _build(cls, lines: tuple[str, ...]) -> WeeklyHours:
        if [line.strip().lower() for line in lines] == ["always"]:
            return cls.always()
        per_day: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        for line in lines:
            match = _LINE.match(line.lower())
            if not match:
                raise ValueError(f"expected working hours like 'mon-fri 09:00-17:30', got {line!r}")
            start, end = _minutes(match.group("start")), _minutes(match.group("end"))
            if start == end:
                raise ValueError(f"empty working hours in {line!r}")
            for day in _expand_days(match.group("days")):
                if start < end:
                    per_day[day].append((start, end))
                else:  # overnight: the tail belongs to the next day
                    per_day[day].append((start, _MINUTES_PER_DAY))
                    per_day[(day + 1) % 7].append((0, end))
        return cls(tuple(tuple(_merge(sorted(day))) for day in per_day))

    @property
    def is_empty(self) -> bool:
        return not any(self.intervals)

    def is_open(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        for start, end in self.intervals[local.weekday()]:  # noqa: SIM110 - no generator on the hot path
            if start <= minute < end:
                return True
        return False

    def next_open(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        """The first instant at or after `moment` when these hours are open (UTC), or None if never."""
        for start, _end in self._spans_from(moment, tz):
            return start
        return None

    def add_business_time(self, moment: datetime, duration: timedelta, tz: ZoneInfo) -> datetime | None:
        """`moment` plus `duration` counted only inside open hours (UTC), or None if never open."""
        local = moment.astimezone(tz)
        minute = local.hour * 60 + local.minute + local.second / 60
        for start_min, end_min in self.intervals[local.weekday()]:
            if start_min <= minute and minute + duration.total_seconds() / 60 <= end_min:
                return moment + duration  # fast path: inside today's open span
        remaining = duration
        for start, end in self._spans_from(moment, tz):
            if end - start >= remaining:
                return start + remaining
            remaining -= end - start
        return None

    def _spans_from(self, moment: datetime, tz: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        """Open spans (UTC start, UTC end) from `moment` on, for up to eight weeks."""
        if self.is_empty:
            return
        first_day = moment.astimezone(tz).date()
        for offset in range(7 * 8):
            day = first_day + timedelta(days=offset)
            for start_min, end_min in self.intervals[day.weekday()]:
                end = _local_to_utc(day, end_min, tz)
                if end > moment:
                    yield max(_local_to_utc(day, start_min, tz), moment), end


def _local_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime:
    # Build the wall-clock time first, then attach the zone, so DST days keep their wall-clock hours.
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=1024)
def _parse_hours(lines: tuple[str, ...]) -> WeeklyHours:
    return WeeklyHours._build(lines)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
