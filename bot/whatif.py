"""`leadrelay simulate LEADS --compare proposed.yml`: what a config change would change.

Both configs replay the same leads under the same claim model, PTO and capacity changes; the report
gives per-rep and per-rule deltas, fallback and SLA breach rates, agreement with the `owner` column
under each, and the leads whose final rep changes (the first `show`; all of them with `--json`). This
is the check a manager runs before merging a rule change.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from routing import Decision
from routing.simulation import SimLead, Simulation, Summary


@dataclass(frozen=True, slots=True, kw_only=True)
class Moved:
    """A lead whose final outcome differs between the two configs."""

    key: str
    before: Decision
    after: Decision


def moved_leads(current: Simulation, proposed: Simulation, leads: Sequence[SimLead]) -> list[Moved]:
    """The leads, in arrival order, whose final rep (or outcome, when nobody has them) differs."""
    moved = []
    for item in sorted(leads, key=lambda entry: entry.created_at):
        before, after = current.final(item.key), proposed.final(item.key)
        if before is None or after is None:
            continue
        if (before.rep, before.outcome) != (after.rep, after.outcome):
            moved.append(Moved(key=item.key, before=before, after=after))
    return moved


def _who(decision: Decision) -> str:
    return f"@{decision.rep}" if decision.rep else decision.outcome.value


def _deltas(before: Counter[str], after: Counter[str]) -> list[tuple[str, int, int]]:
    """(name, before, after) for every name whose count changes, biggest change first."""
    names = sorted(set(before) | set(after), key=lambda name: (-abs(after[name] - before[name]), name))
    return [(name, before[name], after[name]) for name in names if before[name] != after[name]]


def _rates(summary: Summary) -> dict[str, float | None]:
    return {
        "fallback_rate": round(summary.fallback_rate, 4),
        "breach_rate": round(summary.breach_rate, 4),
        "agreement": None if summary.agreement is None else round(summary.agreement, 4),
    }


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def report(
    current: Simulation,
    proposed: Simulation,
    leads: Sequence[SimLead],
    *,
    name: str,
    as_json: bool,
    show: int,
    out: TextIO,
) -> None:
    """Print what changes from `current` to `proposed`, for people or (`as_json`) as one JSON object."""
    before, after = current.summary, proposed.summary
    moved = moved_leads(current, proposed, leads)
    per_rep = _deltas(before.assigned, after.assigned)
    per_rule = _deltas(before.by_rule, after.by_rule)
    if as_json:
        document: dict[str, Any] = {
            "leads": before.leads,
            "per_rep": [{"rep": rep, "current": b, "proposed": a} for rep, b, a in per_rep],
            "per_rule": [{"rule": rule, "current": b, "proposed": a} for rule, b, a in per_rule],
            "current": _rates(before),
            "proposed": _rates(after),
            "moved": [
                {
                    "key": m.key,
                    "current": {"rep": m.before.rep, "outcome": m.before.outcome.value, "rule": m.before.rule},
                    "proposed": {"rep": m.after.rep, "outcome": m.after.outcome.value, "rule": m.after.rule},
                }
                for m in moved
            ],
        }
        print(json.dumps({"compare": document}), file=out)
        return
    lines = [f"What changes with {name}, on the same {before.leads} leads:", "", "Per rep (current → proposed):"]
    lines += [f"  @{rep:<16} {b:>5} → {a:<5} ({a - b:+d})" for rep, b, a in per_rep] or ["  no change"]
    lines += ["", "Per rule (current → proposed):"]
    lines += [f"  {rule:<24} {b:>5} → {a:<5} ({a - b:+d})" for rule, b, a in per_rule] or ["  no change"]
    lines += [
        "",
        f"Fallback rate:    {_pct(before.fallback_rate)} → {_pct(after.fallback_rate)}",
        f"SLA breach rate:  {_pct(before.breach_rate)} → {_pct(after.breach_rate)}",
        f"Agreement with the owner column: {_pct(before.agreement)} → {_pct(after.agreement)}",
        "",
        f"Leads whose rep changes: {len(moved)}"
        + (f" (the first {show}; --json lists all)" if len(moved) > show else ""),
    ]
    for m in moved[:show]:
        lines.append(
            f"  {m.key:<14} {_who(m.before):<14} ({m.before.rule or '-'}) → {_who(m.after):<14} ({m.after.rule or '-'})"
        )
    print("\n".join(lines), file=out)
