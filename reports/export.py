"""A report as text (the terminal), as a JSON document, as CSV rows: `leadrelay report`'s outputs.

`document` is the one shape every export and the digest's outbox payload share; `from_document` reads
it back, so a digest renders exactly the numbers that were computed when it was queued.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from reports.alerts import crossed
from reports.numbers import BAND_LABELS, Numbers, Rate, Report, Share, Speed
from routing.config import Thresholds
from routing.fairness import PoolFairness


def document(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data: `current` and `previous` numbers."""
    return {"current": _numbers_doc(report.current), "previous": _numbers_doc(report.previous)}


def from_document(doc: Mapping[str, Any]) -> Report:
    """The `Report` that `document` wrote."""
    return Report(current=_numbers_of(doc["current"]), previous=_numbers_of(doc["previous"]))


def _numbers_doc(n: Numbers) -> dict[str, Any]:
    def rate(r: Rate) -> dict[str, Any]:
        return {"part": r.part, "whole": r.whole, "value": r.value}

    def speed(s: Speed) -> dict[str, Any]:
        return {"count": s.count, "p50_seconds": s.p50, "p90_seconds": s.p90, "bands": list(s.bands)}

    return {
        "team": n.team_id,
        "since": n.since.isoformat(),
        "until": n.until.isoformat(),
        "received": n.received,
        "nurtured": n.nurtured,
        "assignment": speed(n.assignment),
        "system": speed(n.system),
        "human": speed(n.human),
        "offers": n.offers,
        "sla_breach": rate(n.sla_breach),
        "sla_by_rep": {k: rate(v) for k, v in n.sla_by_rep.items()},
        "sla_by_team": {k: rate(v) for k, v in n.sla_by_team.items()},
        "sla_by_tier": {k: rate(v) for k, v in n.sla_by_tier.items()},
        "acceptance": rate(n.acceptance),
        "reassignment": rate(n.reassignment),
        "ended_by": dict(n.ended_by),
        "fallback": rate(n.fallback),
        "fell_through": dict(n.fell_through),
        "distribution": [
            {
                "pool": s.pool,
                "rep": s.rep_id,
                "offers": s.offers,
                "claims": s.claims,
                "breaches": s.breaches,
                "share": s.share,
                "fair": s.fair,
            }
            for s in n.distribution
        ],
        "fairness": [pool.to_json() for pool in n.fairness],
        "win_rate": rate(n.win_rate),
        "win_by_rep": {k: rate(v) for k, v in n.win_by_rep.items()},
        "win_by_rule": {k: rate(v) for k, v in n.win_by_rule.items()},
        "win_by_source": {k: rate(v) for k, v in n.win_by_source.items()},
    }


def _numbers_of(d: Mapping[str, Any]) -> Numbers:
    def rate(r: Mapping[str, Any]) -> Rate:
        return Rate(part=int(r["part"]), whole=int(r["whole"]))

    def speed(s: Mapping[str, Any]) -> Speed:
        a, b, c, e = (int(n) for n in s["bands"])
        return Speed(count=int(s["count"]), p50=s["p50_seconds"], p90=s["p90_seconds"], bands=(a, b, c, e))

    return Numbers(
        team_id=d["team"],
        since=datetime.fromisoformat(d["since"]),
        until=datetime.fromisoformat(d["until"]),
        received=int(d["received"]),
        nurtured=int(d["nurtured"]),
        assignment=speed(d["assignment"]),
        system=speed(d["system"]),
        human=speed(d["human"]),
        offers=int(d["offers"]),
        sla_breach=rate(d["sla_breach"]),
        sla_by_rep={k: rate(v) for k, v in d["sla_by_rep"].items()},
        sla_by_team={k: rate(v) for k, v in d["sla_by_team"].items()},
        sla_by_tier={k: rate(v) for k, v in d["sla_by_tier"].items()},
        acceptance=rate(d["acceptance"]),
        reassignment=rate(d["reassignment"]),
        ended_by={k: int(v) for k, v in d["ended_by"].items()},
        fallback=rate(d["fallback"]),
        fell_through={k: int(v) for k, v in d["fell_through"].items()},
        distribution=tuple(
            Share(
                pool=s["pool"],
                rep_id=s["rep"],
                offers=int(s["offers"]),
                claims=int(s["claims"]),
                breaches=int(s["breaches"]),
                share=float(s["share"]),
                fair=s["fair"],
            )
            for s in d["distribution"]
        ),
        # A digest queued by an older version has no fairness verdicts nor win rates: read as none.
        fairness=tuple(PoolFairness.from_json(pool) for pool in d.get("fairness", ())),
        win_rate=rate(d.get("win_rate", {"part": 0, "whole": 0})),
        win_by_rep={k: rate(v) for k, v in d.get("win_by_rep", {}).items()},
        win_by_rule={k: rate(v) for k, v in d.get("win_by_rule", {}).items()},
        win_by_source={k: rate(v) for k, v in d.get("win_by_source", {}).items()},
    )


def span(seconds: float | None) -> str:
    """A duration as people read it: 42s, 3.5m, 2.0h; – for none."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def change(now: float | None, before: float | None, *, points: bool) -> str:
    """How a number moved since the previous period: `+2.5 pts` for rates, `+12s` for durations."""
    if now is None or before is None:
        return "new" if before is None and now is not None else ""
    delta = now - before
    if points:
        return f"{delta * 100:+.1f} pts"
    return ("+" if delta >= 0 else "-") + span(abs(delta))


def headline(report: Report) -> list[tuple[str, str, str]]:
    """The summary lines shared by the terminal, the digest and `/leads report`: (name, value, change)."""
    n, p = report.current, report.previous
    rows = [
        ("leads received", f"{n.received} (nurture {n.nurtured})", f"{n.received - p.received:+d}"),
        (
            "system time p50/p90",
            f"{span(n.system.p50)} / {span(n.system.p90)}",
            change(n.system.p50, p.system.p50, points=False),
        ),
        (
            "human time p50/p90",
            f"{span(n.human.p50)} / {span(n.human.p90)}",
            change(n.human.p50, p.human.p50, points=False),
        ),
        ("assignment p50", span(n.assignment.p50), change(n.assignment.p50, p.assignment.p50, points=False)),
    ]
    for name, now, before in (
        ("SLA breach rate", n.sla_breach, p.sla_breach),
        ("acceptance rate", n.acceptance, p.acceptance),
        ("reassignment rate", n.reassignment, p.reassignment),
        ("fallback rate", n.fallback, p.fallback),
        ("win rate", n.win_rate, p.win_rate),
    ):
        rows.append((name, f"{pct(now.value)} ({now.part}/{now.whole})", change(now.value, before.value, points=True)))
    return rows


def write_text(report: Report, thresholds: Thresholds | None, out: TextIO) -> None:
    """The report for a terminal: headline with changes, bands, breakdowns, distribution, alerts."""
    n = report.current
    scope = f"team {n.team_id}" if n.team_id else "all teams"
    lines = [
        f"Leadrelay report, {scope}: {n.since:%Y-%m-%d %H:%M} – {n.until:%Y-%m-%d %H:%M} UTC (change: previous period)"
    ]
    lines += [f"  {name:<22} {value:<26} {moved}" for name, value, moved in headline(report)]
    lines.append("")
    lines.append("  speed bands            " + "   ".join(BAND_LABELS))
    lines.append(
        "    system               "
        + "   ".join(f"{b:>{len(label)}}" for b, label in zip(n.system.bands, BAND_LABELS, strict=True))
    )
    lines.append(
        "    human                "
        + "   ".join(f"{b:>{len(label)}}" for b, label in zip(n.human.bands, BAND_LABELS, strict=True))
    )
    for title, rates in (
        ("SLA breaches by rep", n.sla_by_rep),
        ("by team", n.sla_by_team),
        ("by tier", n.sla_by_tier),
        ("Won of closed by owner", n.win_by_rep),
        ("by rule", n.win_by_rule),
        ("by source", n.win_by_source),
    ):
        if rates:
            lines.append(
                f"  {title}: " + ", ".join(f"{k} {pct(r.value)} ({r.part}/{r.whole})" for k, r in rates.items())
            )
    if n.ended_by:
        lines.append("  offers not accepted: " + ", ".join(f"{k} {v}" for k, v in sorted(n.ended_by.items())))
    if n.fell_through:
        lines.append("  fell through to fallback: " + ", ".join(f"{k} {v}" for k, v in sorted(n.fell_through.items())))
    lines += ["", "Fair share (each pool's offers against what weights, working hours and PTO owed each rep):"]
    lines += fairness_lines(n.fairness, counted="offers")
    found = crossed(n, thresholds) if thresholds else []
    lines += ["", "Alerts:" if found else "No alerts."] + [f"  ⚠ {alert.text}" for alert in found]
    print("\n".join(lines), file=out)


def write_csv(report: Report, out: TextIO) -> None:
    """One row per number: `period,metric,key,value,part,whole` (key names a rep, team, tier, band…)."""
    writer = csv.writer(out)
    writer.writerow(["period", "metric", "key", "value", "part", "whole"])
    for period, n in (("current", report.current), ("previous", report.previous)):
        writer.writerow([period, "received", "", n.received, "", ""])
        writer.writerow([period, "nurtured", "", n.nurtured, "", ""])
        for name, s in (("assignment", n.assignment), ("system", n.system), ("human", n.human)):
            writer.writerow([period, f"{name}_p50_seconds", "", s.p50, "", s.count])
            writer.writerow([period, f"{name}_p90_seconds", "", s.p90, "", s.count])
            for label, count in zip(BAND_LABELS, s.bands, strict=True):
                writer.writerow([period, f"{name}_band", label, count, count, s.count])
        for name, r in (
            ("sla_breach_rate", n.sla_breach),
            ("acceptance_rate", n.acceptance),
            ("reassignment_rate", n.reassignment),
            ("fallback_rate", n.fallback),
            ("win_rate", n.win_rate),
        ):
            writer.writerow([period, name, "", r.value, r.part, r.whole])
        for name, rates in (
            ("sla_breach_rate_rep", n.sla_by_rep),
            ("sla_breach_rate_team", n.sla_by_team),
            ("sla_breach_rate_tier", n.sla_by_tier),
            ("win_rate_rep", n.win_by_rep),
            ("win_rate_rule", n.win_by_rule),
            ("win_rate_source", n.win_by_source),
        ):
            for key, r in rates.items():
                writer.writerow([period, name, key, r.value, r.part, r.whole])
        for key, count in n.ended_by.items():
            writer.writerow([period, "offers_ended", key, count, "", ""])
        for key, count in n.fell_through.items():
            writer.writerow([period, "fell_through", key, count, "", ""])
        for share in n.distribution:
            key = f"{share.pool}/{share.rep_id}"
            writer.writerow([period, "share", key, share.share, share.offers, ""])
            writer.writerow([period, "fair_share", key, share.fair, "", ""])


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
