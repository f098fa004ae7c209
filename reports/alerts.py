"""Live threshold alerts: which of the seeds' thresholds a team's numbers cross, with hysteresis.

An alert is *raised* when its value goes above the threshold over at least `min_leads` leads (or
offers), and *cleared* only when it falls below `clear_below` times the threshold, or the window has no
data left: a value hovering around the line raises once and clears once, never flaps. Pure: the caller
keeps what is active (`bot.reporting`, from the alert messages already queued).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from reports.numbers import Numbers
from routing.config import Thresholds


class Metric(StrEnum):
    FALLBACK = "fallback"
    SLA_BREACH = "sla_breach"
    REASSIGNMENT = "reassignment"
    ASSIGNMENT = "assignment"


_NAMES = {
    Metric.FALLBACK: "fallback rate",
    Metric.SLA_BREACH: "SLA breach rate",
    Metric.REASSIGNMENT: "reassignment rate",
    Metric.ASSIGNMENT: "assignment time (p50)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One metric over the window: its value (a rate, or seconds for assignment; None with no data),
    how many leads or offers it is measured over, and its threshold."""

    metric: Metric
    value: float | None
    sample: int
    threshold: float

    @property
    def text(self) -> str:
        name = _NAMES[self.metric]
        if self.metric is Metric.ASSIGNMENT:
            shown, limit = _seconds(self.value), _seconds(self.threshold)
        else:
            shown, limit = ("–" if self.value is None else f"{self.value:.1%}"), f"{self.threshold:.0%}"
        return f"{name} {shown} against {limit} (over {self.sample})"


def readings(numbers: Numbers, thresholds: Thresholds) -> list[Reading]:
    """Every metric the thresholds watch, read from `numbers`: three rates, then assignment time."""
    rates = (
        (Metric.FALLBACK, numbers.fallback, thresholds.fallback),
        (Metric.SLA_BREACH, numbers.sla_breach, thresholds.sla_breach),
        (Metric.REASSIGNMENT, numbers.reassignment, thresholds.reassignment),
    )
    found = [
        Reading(metric=metric, value=rate.value, sample=rate.whole, threshold=limit) for metric, rate, limit in rates
    ]
    assignment = numbers.assignment
    limit = thresholds.assignment.total_seconds()
    found.append(Reading(metric=Metric.ASSIGNMENT, value=assignment.p50, sample=assignment.count, threshold=limit))
    return found


def crossed(numbers: Numbers, thresholds: Thresholds) -> list[Reading]:
    """The readings above their threshold over enough data: what a report flags."""
    return [r for r in readings(numbers, thresholds) if _above(r, thresholds)]


def transition(reading: Reading, *, active: bool, thresholds: Thresholds) -> bool | None:
    """The alert's new state if `reading` changes it (True: raise, False: clear), else None."""
    if not active:
        return True if _above(reading, thresholds) else None
    line = reading.threshold * thresholds.clear_below
    if reading.value is None or (reading.value < line and not math.isclose(reading.value, line)):
        return False  # (isclose: 2/25 is not below 0.1 × 0.8, whatever the floats say)
    return None


def _above(reading: Reading, thresholds: Thresholds) -> bool:
    return reading.value is not None and reading.sample >= thresholds.min_leads and reading.value > reading.threshold


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}s" if value < 120 else f"{value / 60:.1f}m"
