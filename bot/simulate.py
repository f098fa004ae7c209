"""`leadrelay simulate`: replay a CSV or JSONL of leads through the rules and report what would happen."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot.lead_input import LeadInvalid, parse_lead
from routing import Engine, RoutingConfig
from routing.simulation import SimEvent, SimLead, Simulation, Summary

PROGRESS_THRESHOLD = 2000  # rows; smaller files finish before a bar would be worth drawing


@dataclass(frozen=True, slots=True)
class BadRow:
    row: int
    problem: str


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(row number, fields, problem) for each row; row numbers count the header as row 1 in a CSV."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line), None
                except json.JSONDecodeError as exc:
                    yield number, None, f"not JSON ({exc.msg})"
        else:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                if None in row:
                    yield number, None, "more values than columns"
                    continue
                yield number, dict(row), None


def load_leads(path: Path, *, progress: bool) -> tuple[list[SimLead], list[BadRow]]:
    leads: list[SimLead] = []
    bad: list[BadRow] = []
    rows = read_rows(path)
    bar = tqdm(rows, unit=" rows", desc="reading", file=sys.stderr, disable=not progress)
    for number, raw, problem in bar:
        if raw is None:
            bad.append(BadRow(number, problem or "unreadable"))
            continue
        owner = raw.pop("owner", None)
        try:
            parsed = parse_lead(raw, default_source="import")
        except LeadInvalid as exc:
            bad.append(BadRow(number, str(exc)))
            continue
        created = parsed.lead.created_at
        if created is None:
            bad.append(BadRow(number, "created_at: needed to replay leads in order"))
            continue
        key = parsed.external_id or f"row {number}"
        leads.append(
            SimLead(
                key=key,
                lead=parsed.lead,
                created_at=created,
                owner=str(owner).strip() or None if owner else None,
            )
        )
    return leads, bad


def run(
    path: Path,
    config: RoutingConfig,
    *,
    as_json: bool,
    claim_after: timedelta | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Replay the file; print one line (or JSON object) per decision, then the summary. Returns 0."""
    size = path.stat().st_size
    progress = err.isatty() and size > PROGRESS_THRESHOLD * 100
    leads, bad = load_leads(path, progress=progress)
    for row in bad:
        print(f"row {row.row}: skipped: {row.problem}", file=err)
    simulation = Simulation(Engine(config), claim_after=claim_after)
    for event in simulation.run(leads):
        print(_json(event) if as_json else _line(event), file=out)
    simulation.compare_owners(leads)
    if as_json:
        print(json.dumps({"summary": _summary_json(simulation.summary, config, len(bad))}), file=out)
    else:
        print(_report(simulation.summary, config, len(bad)), file=out)
    return 0


def _line(event: SimEvent) -> str:
    d = event.decision
    when = event.at.astimezone(UTC).strftime("%a %m-%d %H:%M")
    who = f"@{d.rep}" if d.rep else d.outcome.value
    again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
    flag = " [fallback]" if d.fallback and d.rep else ""
    return f"{when}  {event.item.key:<12} → {who:<14} {d.rule or '-':<16} {d.summary}{flag}{again}"


def _json(event: SimEvent) -> str:
    d = event.decision
    return json.dumps(
        {
            "key": event.item.key,
            "at": event.at.isoformat(),
            "attempt": event.attempt,
            "outcome": d.outcome.value,
            "rep": d.rep,
            "rule": d.rule,
            "pool": d.pool,
            "strategy": d.strategy,
            "fallback": d.fallback,
            "sla": d.sla,
            "due_at": d.due_at.isoformat() if d.due_at else None,
            "reasons": [{"code": r.code, "text": r.text} for r in d.reasons],
            "owner": event.item.owner,
        }
    )


def _summary_json(summary: Summary, config: RoutingConfig, bad_rows: int) -> dict[str, Any]:
    return {
        "leads": summary.leads,
        "bad_rows": bad_rows,
        "nurture": summary.nurture,
        "queued": summary.queued,
        "expired": summary.expired,
        "fallback_rate": round(summary.fallback_rate, 4),
        "per_rep": dict(summary.assigned.most_common()),
        "per_rule": dict(summary.by_rule.most_common()),
        "per_pool": {pool: _pool_rows(config, pool, counts) for pool, counts in summary.by_pool.items()},
        "agreement": None if summary.agreement is None else round(summary.agreement, 4),
        "disagreements": [
            {"owner": o, "ours": ours, "leads": n} for (o, ours), n in summary.disagreements.most_common(10)
        ],
    }


def _pool_rows(config: RoutingConfig, pool: str, counts: dict[str, int]) -> list[dict[str, Any]]:
    """Each rep's leads and share in a pool; for a team, the share its weights call for too."""
    team = config.teams.get(pool)
    members = team.members if team else tuple(sorted(counts, key=lambda rep: -counts[rep]))
    total = sum(counts.values()) or 1
    weight_total = sum(config.reps[m].weight for m in members) or 1
    return [
        {
            "rep": m,
            "leads": counts.get(m, 0),
            "share": round(counts.get(m, 0) / total, 4),
            "target": round(config.reps[m].weight / weight_total, 4) if team else None,
        }
        for m in members
    ]


def _report(summary: Summary, config: RoutingConfig, bad_rows: int) -> str:
    routed = summary.leads - summary.nurture
    lines = [
        "",
        f"Leads: {summary.leads}   routed: {routed}   nurture: {summary.nurture}   "
        f"manager queue: {summary.queued}   expired offers: {summary.expired}   bad rows: {bad_rows}",
        f"Fallback rate: {summary.fallback_rate:.1%}"
        + ("   (above the 10% alert threshold: rules miss too many leads)" if summary.fallback_rate > 0.10 else ""),
        "",
        "Distribution per rep:",
    ]
    total = sum(summary.assigned.values()) or 1
    for rep, count in summary.assigned.most_common():
        lines.append(f"  @{rep:<14} {count:>5}  {count / total:6.1%}")
    lines += ["", "Per pool (share against weight):"]
    for pool, counts in sorted(summary.by_pool.items()):
        lines.append(f"  {pool}")
        for row in _pool_rows(config, pool, counts):
            target = "" if row["target"] is None else f", target {row['target']:6.1%}"
            lines.append(f"    @{row['rep']:<14} {row['leads']:>5}  {row['share']:6.1%} of pool{target}")
    lines += ["", "Leads caught per rule:"]
    for rule, count in summary.by_rule.most_common():
        lines.append(f"  {rule:<24} {count:>5}")
    if summary.agreement is not None:
        lines += [
            "",
            f"Agreement with the owner column: {summary.agreement:.1%} of {summary.compared} leads",
            "Biggest disagreements (owner → ours):",
        ]
        for (owner, ours), count in summary.disagreements.most_common(10):
            lines.append(f"  @{owner} → @{ours}: {count}")
    return "\n".join(lines)
