"""Who can take a lead right now, and if not, why not.

Checks run cheapest and most decisive first. Working hours come last on purpose: a rep who fails
*only* on hours is the engine's off-hours fallback (their SLA starts at their shift).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from routing.config import Rep
from routing.model import RepState


class Unavailable(NamedTuple):
    code: str  # inactive | paused | tried | pto | at_capacity | daily_cap | off_hours
    text: str

    @property
    def off_hours_only(self) -> bool:
        return self.code == "off_hours"


class LocalClock:
    """`now`, and whether each working-hours schedule is open at `now`, worked out once per decision.

    Many reps share a zone and a schedule (`Rep.schedule_key`), so a pool of 25 needs a handful of
    checks, not 25."""

    __slots__ = ("_open", "now")

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.now = now
        self._open: dict[int, bool] = {}

    def at_work(self, rep: Rep) -> bool:
        is_open = self._open.get(rep.schedule_key)
        if is_open is None:
            is_open = self._open[rep.schedule_key] = rep.hours.is_open(self.now.astimezone(rep.tz))
        return is_open


# The reasons whose text never varies, built once: a walk passes over several reps per decision.
_INACTIVE = Unavailable("inactive", "inactive")
_PAUSED = Unavailable("paused", "paused")
_TRIED = Unavailable("tried", "already had this lead")
_OFF_HOURS = Unavailable("off_hours", "outside working hours")


def capacity_of(rep: Rep, state: RepState) -> int:
    return state.capacity_override if state.capacity_override is not None else rep.capacity


def unavailable(rep: Rep, state: RepState, clock: LocalClock, tried: frozenset[str]) -> Unavailable | None:
    """None if `rep` can take a lead at `clock.now`, else the first reason they cannot."""
    if not rep.active:
        return _INACTIVE
    if state.paused:
        return _PAUSED
    if rep.id in tried:
        return _TRIED
    for window in state.pto:
        if window.contains(clock.now):
            return Unavailable("pto", f"on PTO until {_last_day(window.end, rep.tz)}")
    capacity = state.capacity_override if state.capacity_override is not None else rep.capacity
    if state.open_load >= capacity:
        return Unavailable("at_capacity", f"at capacity {state.open_load}/{capacity}")
    if rep.daily_cap is not None and state.assigned_today >= rep.daily_cap:
        return Unavailable("daily_cap", f"daily cap reached {state.assigned_today}/{rep.daily_cap}")
    if not clock.at_work(rep):
        return _OFF_HOURS
    return None


@lru_cache(maxsize=1024)
def _last_day(end: datetime, tz: ZoneInfo) -> str:
    """The last day of an absence ending at `end` (exclusive), as people say it: 'until Dec 3'.

    Cached: an absence is explained on every lead that passes the rep over while it lasts, and the
    text depends only on the instant and the zone, while `strftime` is among the costliest calls
    of a decision."""
    local = end.astimezone(tz)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        local -= timedelta(days=1)
        return f"{local:%b} {local.day}"
    return f"{local:%b} {local.day} {local:%H:%M}"
