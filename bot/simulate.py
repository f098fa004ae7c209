"""`leadrelay simulate`: replay a CSV or JSONL of leads through the rules and report what would happen.

Beyond the leads, the replay takes a PTO calendar (`--pto`), capacity changes as `/capacity` would make
them (`--capacity`) and a claim model (`--claim-after`), and says what it assumed. `--policies` replays
under each `off_hours` policy; `--compare proposed.yml` replays under a second config (`bot.whatif`).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot import whatif
from bot.command_args import UsageError, parse_capacity
from bot.features.commands import pto_window
from bot.lead_input import LeadInvalid, parse_lead
from bot.report import span
from reports.export import fairness_lines
from routing import Engine, RoutingConfig, Window
from routing.config import OffHours, Rep
from routing.simulation import CLOSING, DIRECT, ClaimModel, RepChange, SimEvent, SimLead, Simulation, Summary

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
            outcome = history_outcome(raw.pop("outcome", None), raw.pop("won", None))
        except ValueError as exc:
            bad.append(BadRow(number, str(exc)))
            continue
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
                outcome=outcome,
            )
        )
    return leads, bad


_YES, _NO = frozenset({"true", "yes", "1", "won", "y"}), frozenset({"false", "no", "0", "lost", "n"})


def history_outcome(outcome: object, won: object) -> str | None:
    """How a historical lead ended, from an `outcome` column (won, lost, disqualified; working, reopened
    or empty: still open) or a `won` column (yes / no, true / false, 1 / 0). Raises ValueError naming
    the column."""
    if outcome is not None and str(outcome).strip():
        state = str(outcome).strip().lower()
        if state in CLOSING:
            return state
        if state in ("working", "reopened", "open"):
            return None
        raise ValueError(f"outcome: expected won, lost, disqualified, working or reopened, not {state!r}")
    if won is None or (isinstance(won, str) and not won.strip()):
        return None
    answer = str(won).strip().lower()
    if answer in _YES:
        return "won"
    if answer in _NO:
        return "lost"
    raise ValueError(f"won: expected yes or no, not {answer!r}")


class InputError(ValueError):
    """A PTO or capacity file could not be read; the message names the file, the row and the fault."""


def read_pto(path: Path, config: RoutingConfig) -> dict[str, list[Window]]:
    """A PTO calendar: CSV with columns `rep`, `start` and optional `end` (dates, inclusive, whole days
    in the rep's zone, as `/pto` sets them). Raises InputError."""
    windows: dict[str, list[Window]] = {}
    for number, row in _csv_rows(path, ("rep", "start")):
        rep = _rep(config, path, number, row)
        try:
            first = date.fromisoformat(row["start"].strip())
            last = date.fromisoformat((row.get("end") or "").strip() or row["start"].strip())
        except ValueError:
            raise InputError(f"{path}: row {number}: expected dates like 2026-12-01") from None
        if last < first:
            raise InputError(f"{path}: row {number}: the end {last} is before the start {first}")
        windows.setdefault(rep.id, []).append(pto_window(rep, first, last))
    return windows


def read_capacity(path: Path, config: RoutingConfig) -> list[RepChange]:
    """Capacity changes as `/capacity` makes them: CSV with columns `rep`, `at` (ISO 8601, UTC if no
    zone) and `capacity` (a number, `pause` or `resume`). Raises InputError."""
    changes = []
    for number, row in _csv_rows(path, ("rep", "at", "capacity")):
        rep = _rep(config, path, number, row)
        try:
            at = datetime.fromisoformat(row["at"].strip())
            request = parse_capacity(row["capacity"].strip())
        except (ValueError, UsageError):
            raise InputError(
                f"{path}: row {number}: expected an ISO time and a capacity (a number, pause or resume)"
            ) from None
        if request.value is None and request.paused is None:
            raise InputError(f"{path}: row {number}: capacity is empty")
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        changes.append(RepChange(at=at, rep=rep.id, capacity=request.value, paused=request.paused))
    return changes


def _csv_rows(path: Path, needed: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in needed if column not in (reader.fieldnames or ())]
        if missing:
            raise InputError(f"{path}: needs the columns {', '.join(needed)} (missing {', '.join(missing)})")
        for number, row in enumerate(reader, start=2):
            yield number, {key: value or "" for key, value in row.items() if key is not None}


def _rep(config: RoutingConfig, path: Path, number: int, row: dict[str, str]) -> Rep:
    rep = config.reps.get(row["rep"].strip().lstrip("@"))
    if rep is None:
        raise InputError(f"{path}: row {number}: unknown rep {row['rep']!r}")
    return rep


@dataclass(frozen=True, slots=True, kw_only=True)
class Fidelity:
    """What the replay assumes beyond the leads: the claim model, PTO and capacity changes."""

    claim: ClaimModel = field(default_factory=ClaimModel)
    pto: Mapping[str, Sequence[Window]] = field(default_factory=dict)
    changes: Sequence[RepChange] = ()


def replay(
    config: RoutingConfig, leads: Sequence[SimLead], fidelity: Fidelity, *, progress: bool, err: TextIO
) -> tuple[Simulation, Iterator[SimEvent]]:
    """A simulation of `leads` under `config` and its events as they come (exhaust them to finish),
    with a progress bar on `err` counting arrivals when `progress`."""
    simulation = Simulation(Engine(config), claim=fidelity.claim, pto=fidelity.pto, changes=fidelity.changes)

    def events() -> Iterator[SimEvent]:
        with tqdm(total=len(leads), unit=" leads", desc="replaying", file=err, disable=not progress) as bar:
            for event in simulation.run(leads):
                if event.attempt == 1:
                    bar.update()
                yield event
        simulation.compare_owners(leads)

    return simulation, events()


def run(
    path: Path,
    config: RoutingConfig,
    *,
    as_json: bool,
    fidelity: Fidelity,
    out: TextIO,
    err: TextIO,
    policies: bool = False,
    proposed: RoutingConfig | None = None,
    proposed_name: str = "proposed",
    show: int = 20,
) -> int:
    """Replay the file; print one line (or JSON object) per decision, then the summary. With `proposed`,
    replay it under both configs instead and print what changes. Returns 0."""
    progress = err.isatty() and path.stat().st_size > PROGRESS_THRESHOLD * 100
    leads, bad = load_leads(path, progress=progress)
    for row in bad:
        print(f"row {row.row}: skipped: {row.problem}", file=err)
    if proposed is not None:
        current = _finished(config, leads, fidelity, progress, err)
        changed = _finished(proposed, leads, fidelity, progress, err)
        whatif.report(current, changed, leads, name=proposed_name, as_json=as_json, show=show, out=out)
        return 0
    simulation, events = replay(config, leads, fidelity, progress=progress, err=err)
    for event in events:
        print(_json(event) if as_json else _line(event), file=out)
    claim = fidelity.claim.describe(_default_capacity(config))
    variants = _policy_variants(config, leads, fidelity, progress, err) if policies else {}
    if as_json:
        summary = _summary_json(simulation.summary, config, len(bad))
        summary["claim_model"] = claim
        if variants:
            summary["off_hours_policies"] = {
                policy: _policy_json(variant.summary) for policy, variant in variants.items()
            }
        print(json.dumps({"summary": summary}), file=out)
    else:
        print(_report(simulation.summary, config, len(bad), claim), file=out)
        if variants:
            print(_policies_report(variants), file=out)
    return 0


def _finished(
    config: RoutingConfig, leads: Sequence[SimLead], fidelity: Fidelity, progress: bool, err: TextIO
) -> Simulation:
    simulation, events = replay(config, leads, fidelity, progress=progress, err=err)
    for _event in events:
        pass
    return simulation


def _policy_variants(
    config: RoutingConfig, leads: Sequence[SimLead], fidelity: Fidelity, progress: bool, err: TextIO
) -> dict[str, Simulation]:
    """The same replay with every team (and the default) set to each `off_hours` policy in turn."""
    variants = {}
    for policy in OffHours:
        teams = {team_id: replace(team, off_hours=policy) for team_id, team in config.teams.items()}
        variant = replace(config, teams=teams, off_hours=policy)
        variants[policy.value] = _finished(variant, leads, fidelity, progress, err)
    return variants


def _default_capacity(config: RoutingConfig) -> str:
    capacities = Counter(rep.capacity for rep in config.reps.values())
    common, count = capacities.most_common(1)[0]
    others = len(config.reps) - count
    return f"{common} open leads per rep" + (f" ({others} rep(s) set otherwise)" if others else "")


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
            "starts_at": d.starts_at.isoformat() if d.starts_at else None,
            "reasons": [{"code": r.code, "text": r.text} for r in d.reasons],
            "owner": event.item.owner,
        }
    )


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _policy_json(summary: Summary) -> dict[str, Any]:
    touch = summary.first_touch_percentiles()
    return {
        "first_touch_p50_s": _seconds(touch[0]) if touch else None,
        "first_touch_p90_s": _seconds(touch[1]) if touch else None,
        "held": summary.held,
        "per_pool": {f.pool: f.to_json() for f in summary.fairness},
    }


def _summary_json(summary: Summary, config: RoutingConfig, bad_rows: int) -> dict[str, Any]:
    return {
        "leads": summary.leads,
        "bad_rows": bad_rows,
        "nurture": summary.nurture,
        "queued": summary.queued,
        "offers": summary.offers,
        "expired": summary.expired,
        "held": summary.held,
        "fallback_rate": round(summary.fallback_rate, 4),
        "breach_rate": round(summary.breach_rate, 4),
        "per_rep": dict(summary.assigned.most_common()),
        "per_rule": dict(summary.by_rule.most_common()),
        "direct": dict(summary.by_pool.get(DIRECT, {})),
        **_policy_json(summary),
        "off_hours_policy": {team.id: team.off_hours.value for team in config.teams.values()},
        "agreement": None if summary.agreement is None else round(summary.agreement, 4),
        "disagreements": [
            {"owner": o, "ours": ours, "leads": n} for (o, ours), n in summary.disagreements.most_common(10)
        ],
        "win_rates": {
            dimension: {
                value: {"won": rate.won, "closed": rate.closed, "rate": round(rate.rate, 4)}
                for value, rate in sorted(rates.items())
            }
            for dimension, rates in summary.win_rates.items()
        },
    }


def _report(summary: Summary, config: RoutingConfig, bad_rows: int, claim: str) -> str:
    routed = summary.leads - summary.nurture
    touch = summary.first_touch_percentiles()
    policies = Counter(team.off_hours.value for team in config.teams.values())
    lines = [
        "",
        f"Leads: {summary.leads}   routed: {routed}   nurture: {summary.nurture}   "
        f"manager queue: {summary.queued}   expired offers: {summary.expired}   bad rows: {bad_rows}",
        f"Fallback rate: {summary.fallback_rate:.1%}"
        + ("   (above the 10% alert threshold: rules miss too many leads)" if summary.fallback_rate > 0.10 else "")
        + f"   SLA breach rate: {summary.breach_rate:.1%} of {summary.offers} offers",
        claim,
        f"Off hours: {summary.off_hours} lead(s) reached a rep before their shift, {summary.held} held   "
        f"first touch p50 {span(touch[0] if touch else None)}, p90 {span(touch[1] if touch else None)}   "
        "(policy: " + ", ".join(f"{policy} ×{n} team(s)" for policy, n in policies.most_common()) + ")",
        "",
        "Distribution per rep:",
    ]
    total = sum(summary.assigned.values()) or 1
    for rep, count in summary.assigned.most_common():
        lines.append(f"  @{rep:<14} {count:>5}  {count / total:6.1%}")
    lines += ["", "Per pool (actual against the share weights and working hours call for):"]
    lines += fairness_lines(summary.fairness, counted="leads")
    direct = summary.by_pool.get(DIRECT)
    if direct:
        lines.append(f"  {DIRECT}: " + ", ".join(f"@{rep} {n}" for rep, n in direct.most_common()))
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
    lines += _win_rate_lines(summary)
    return "\n".join(lines)


def _win_rate_lines(summary: Summary) -> list[str]:
    """Win rate by rep, rule and source of the leads the replay gave out that have an outcome; none
    without an outcome column."""
    if not summary.win_rates:
        return []
    lines = [
        "",
        f"Win rate (the history's outcomes, by the replay's assignee; {summary.outcomes_fed} fed the "
        "win rates as leads left their rep's load):",
    ]
    for dimension in ("rep", "rule", "source"):
        rates = summary.win_rates.get(dimension, {})
        lines.append(f"  by {dimension}:")
        for value, rate in sorted(rates.items(), key=lambda item: (-item[1].rate, item[0])):
            name = f"@{value}" if dimension == "rep" else value
            lines.append(f"    {name:<24} {rate.rate:6.1%}  {rate.won} won of {rate.closed} closed")
    return lines


def _policies_report(variants: Mapping[str, Simulation]) -> str:
    """Each off-hours policy's first-touch time, verdicts and shares, side by side."""
    names = list(variants)
    lines = ["", "Off-hours policies on these leads (every team set to each in turn):"]
    lines.append(f"  {'':<28}" + "".join(f"{name:>16}" for name in names))
    touches = [variants[name].summary.first_touch_percentiles() for name in names]
    for label, index in (("first touch p50", 0), ("first touch p90", 1)):
        lines.append(f"  {label:<28}" + "".join(f"{span(t[index] if t else None):>16}" for t in touches))
    lines.append(f"  {'held':<28}" + "".join(f"{variants[name].summary.held:>16}" for name in names))
    pools = {f.pool: f for f in variants[names[0]].summary.fairness}
    for pool in pools:
        per_policy = [{f.pool: f for f in variants[name].summary.fairness}.get(pool) for name in names]
        verdicts = "".join(f"{('fair' if f and f.fair else 'unfair'):>16}" for f in per_policy)
        lines.append(f"  {pool:<28}{verdicts}")
        for rep in pools[pool].reps:
            shares = []
            for fairness in per_policy:
                match = next((r for r in fairness.reps if r.rep == rep.rep), None) if fairness else None
                shares.append(f"{match.share:.1%} / {match.expected_share:.1%}" if match else "–")
            lines.append(f"    @{rep.rep:<26}" + "".join(f"{share:>16}" for share in shares))
    lines.append("  (per rep: share of the pool / expected share)")
    return "\n".join(lines)
