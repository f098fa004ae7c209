"""`leadrelay report`: routing metrics for a period, flagged against the seeds' alert thresholds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TextIO

from routing import RoutingConfig
from routing.fairness import PoolFairness
from storage.report import Percentiles, Report

# The seeds' alert thresholds: investigate past these.
FALLBACK_ALERT = 0.10
SLA_BREACH_ALERT = 0.15
REASSIGNMENT_ALERT = 0.20
ASSIGNMENT_ALERT = timedelta(minutes=2)


def span(delta: timedelta | None) -> str:
    """A duration as people read it in a summary: 4.2s, 12.5m, 9.5h; a dash for none."""
    if delta is None:
        return "–"
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def fairness_lines(pools: Sequence[PoolFairness], *, counted: str) -> list[str]:
    """Per pool, the verdict line and each rep's actual against expected share (`counted`: what the
    pool's numbers count, "leads" or "offers"). Shared by `report` and `simulate`."""
    lines = []
    for pool in pools:
        lines.append(f"  {pool.pool}: {pool.leads} {counted}, {pool.off_hours} off hours — {pool.verdict}")
        for rep in pool.reps:
            lines.append(
                f"    @{rep.rep:<16} {rep.actual:>5}  {rep.share:6.1%} of pool, expected {rep.expected_share:6.1%} "
                f"({rep.expected:.1f})   weight {rep.weight_share:6.1%}"
            )
    return lines


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def alerts(report: Report) -> list[str]:
    found = []
    if report.fallback_rate is not None and report.fallback_rate > FALLBACK_ALERT:
        found.append(
            f"fallback rate {report.fallback_rate:.1%} is above {FALLBACK_ALERT:.0%}: rules miss too many leads"
        )
    if report.sla_adherence is not None and 1 - report.sla_adherence > SLA_BREACH_ALERT:
        found.append(f"SLA breaches {1 - report.sla_adherence:.1%} are above {SLA_BREACH_ALERT:.0%}")
    if report.reassignment_rate is not None and report.reassignment_rate > REASSIGNMENT_ALERT:
        found.append(
            f"manual reassignment {report.reassignment_rate:.1%} is above {REASSIGNMENT_ALERT:.0%}: "
            "check the rules against the reasons reps give"
        )
    p50 = report.speed_to_lead.p50
    if p50 is not None and p50 > ASSIGNMENT_ALERT:
        found.append(f"assignment takes {span(p50)} at the median, over {span(ASSIGNMENT_ALERT)}")
    return found


def _percentiles(p: Percentiles) -> dict[str, Any]:
    return {
        "count": p.count,
        "p50_seconds": p.p50.total_seconds() if p.p50 else None,
        "p90_seconds": p.p90.total_seconds() if p.p90 else None,
    }


def print_report(report: Report, config: RoutingConfig, *, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "since": report.since.isoformat(),
                    "until": report.until.isoformat(),
                    "received": report.received,
                    "nurtured": report.nurtured,
                    "speed_to_lead": _percentiles(report.speed_to_lead),
                    "speed_to_claim": _percentiles(report.speed_to_claim),
                    "offers": report.offers,
                    "sla_met": report.sla_met,
                    "sla_breached": report.sla_breached,
                    "sla_adherence": report.sla_adherence,
                    "fallback_rate": report.fallback_rate,
                    "reassignment_rate": report.reassignment_rate,
                    "distribution": [
                        {
                            "pool": s.pool,
                            "rep": s.rep_id,
                            "offers": s.offers,
                            "share": s.share,
                            "target": s.target,
                        }
                        for s in report.distribution
                    ],
                    "fairness": [pool.to_json() for pool in report.fairness],
                    "alerts": alerts(report),
                }
            ),
            file=out,
        )
        return
    lines = [
        f"Leadrelay report {report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC",
        f"  leads received     {report.received}   (nurture: {report.nurtured})",
        f"  speed to lead      p50 {span(report.speed_to_lead.p50)}   p90 {span(report.speed_to_lead.p90)}",
        f"  speed to claim     p50 {span(report.speed_to_claim.p50)}   p90 {span(report.speed_to_claim.p90)}"
        f"   ({report.speed_to_claim.count} claimed)",
        f"  SLA adherence      {_pct(report.sla_adherence)}   ({report.sla_met} met, {report.sla_breached} breached)",
        f"  fallback rate      {_pct(report.fallback_rate)}",
        f"  reassignment rate  {_pct(report.reassignment_rate)}",
        "",
        "Distribution (offers in each pool against the share weights and working hours call for):",
    ]
    lines += fairness_lines(report.fairness, counted="offers")
    found = alerts(report)
    lines += ["", "Alerts:" if found else "No alerts."] + [f"  ⚠ {alert}" for alert in found]
    print("\n".join(lines), file=out)
