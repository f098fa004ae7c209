"""Fair share that knows working hours: what each rep of a pool should have had, lead by lead.

Shared by `leadrelay simulate` and `leadrelay report`. A rep's *expected* leads in a pool are, summed
over the pool's leads, their weight against the weights of the members available when the lead
arrived: active, not absent (PTO, paused) and at work in their own zone. Nobody can be fair to a rep
who is not at work, so a rep alone at work is expected to get every lead of that hour.

A lead that arrives when no member is at work is an *off-hours* lead. Whoever the `off_hours` policy
gives it to, it is expected to go by weight to the members not absent at that moment: that is the
share a manager can hold a policy to (`pool` and `hold` meet it, `soonest` gives such leads to whoever
starts first).

The verdict per pool: fair when every member's actual leads are within `TOLERANCE` of expected (or
`SLACK_LEADS` leads, for small pools and short periods); else it names the rep furthest over and the
rep furthest under. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from routing.config import RoutingConfig, Team
from routing.model import Window

TOLERANCE = 0.10  # relative to expected
SLACK_LEADS = 2.0  # absolute, whatever the size


@dataclass(frozen=True, slots=True, kw_only=True)
class Arrival:
    """One lead a pool handed out: it reached the pool at `at`, and `rep` has it in the end."""

    pool: str
    at: datetime
    rep: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RepShare:
    """One member's leads in a pool against what availability and weights call for."""

    rep: str
    actual: int
    expected: float
    share: float  # actual / the pool's leads
    expected_share: float  # expected / the pool's leads
    weight_share: float  # the member's weight against the whole team's, ignoring availability

    @property
    def fair(self) -> bool:
        return abs(self.actual - self.expected) <= max(SLACK_LEADS, TOLERANCE * self.expected)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolFairness:
    """A pool's leads, how many came off hours, each member's share, and the one-line verdict."""

    pool: str
    leads: int
    off_hours: int
    reps: tuple[RepShare, ...]  # in the team's member order, then anyone else who got its leads

    @property
    def fair(self) -> bool:
        return all(rep.fair for rep in self.reps)

    @property
    def verdict(self) -> str:
        if not self.leads:
            return "no leads"
        if self.fair:
            return f"fair: every rep within {TOLERANCE:.0%} (or {SLACK_LEADS:g} leads) of their expected share"
        over = max(self.reps, key=lambda r: r.actual - r.expected)
        under = min(self.reps, key=lambda r: r.actual - r.expected)
        parts = [_deviation(rep) for rep in (over, under) if not rep.fair]
        return "unfair: " + "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The pool's figures as plain JSON values, for `--json` outputs."""
        return {
            "pool": self.pool,
            "leads": self.leads,
            "off_hours_leads": self.off_hours,
            "fair": self.fair,
            "verdict": self.verdict,
            "reps": [
                {
                    "rep": r.rep,
                    "leads": r.actual,
                    "share": round(r.share, 4),
                    "expected": round(r.expected, 2),
                    "expected_share": round(r.expected_share, 4),
                    "weight_share": round(r.weight_share, 4),
                }
                for r in self.reps
            ],
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PoolFairness:
        """The pool that `to_json` wrote (its figures as rounded there)."""
        leads = int(doc["leads"])
        return cls(
            pool=str(doc["pool"]),
            leads=leads,
            off_hours=int(doc["off_hours_leads"]),
            reps=tuple(
                RepShare(
                    rep=str(r["rep"]),
                    actual=int(r["leads"]),
                    expected=float(r["expected"]),
                    share=float(r["share"]),
                    expected_share=float(r["expected_share"]),
                    weight_share=float(r["weight_share"]),
                )
                for r in doc["reps"]
            ),
        )


def _deviation(rep: RepShare) -> str:
    how = "over" if rep.actual > rep.expected else "under"
    return (
        f"@{rep.rep} {how}, {rep.actual} leads against {rep.expected:.1f} expected "
        f"({rep.share:.1%} vs {rep.expected_share:.1%})"
    )


def measure(
    config: RoutingConfig,
    arrivals: Iterable[Arrival],
    absences: Mapping[str, Sequence[Window]] | None = None,
) -> tuple[PoolFairness, ...]:
    """Fairness per pool, sorted by pool id. Pools that are not teams (direct picks) are left out.

    `absences` are each rep's windows away (PTO, paused) by rep id."""
    actual: dict[str, Counter[str]] = {}
    moments: dict[str, Counter[datetime]] = {}
    for arrival in arrivals:
        if arrival.pool in config.teams:
            actual.setdefault(arrival.pool, Counter())[arrival.rep] += 1
            moments.setdefault(arrival.pool, Counter())[arrival.at] += 1
    return tuple(judge(config, pool, actual[pool], moments[pool].items(), absences) for pool in sorted(actual))


def judge(
    config: RoutingConfig,
    pool: str,
    actual: Mapping[str, int],
    arrivals: Iterable[tuple[datetime, int]],
    absences: Mapping[str, Sequence[Window]] | None = None,
) -> PoolFairness:
    """Team `pool`'s fairness: `actual` leads per rep, against what each member was owed by the
    `arrivals` (a moment and how many leads reached the pool then; the report counts per minute)."""
    team = config.teams[pool]
    absences = absences or {}
    expected: dict[str, float] = defaultdict(float)
    leads = off_hours = 0
    for at, count in arrivals:
        owed, at_work = _owed(config, team, at, absences)
        leads += count
        if not at_work:
            off_hours += count
        for rep, part in owed.items():
            expected[rep] += part * count
    members = list(team.members) + sorted(set(actual) - team.member_set)
    team_weight = sum(config.reps[m].weight for m in team.members)
    return PoolFairness(
        pool=team.id,
        leads=leads,
        off_hours=off_hours,
        reps=tuple(
            RepShare(
                rep=rep,
                actual=actual.get(rep, 0),
                expected=expected[rep],
                share=actual.get(rep, 0) / leads if leads else 0.0,
                expected_share=expected[rep] / leads if leads else 0.0,
                weight_share=config.reps[rep].weight / team_weight if rep in team.member_set else 0.0,
            )
            for rep in members
        ),
    )


def _owed(
    config: RoutingConfig, team: Team, at: datetime, absences: Mapping[str, Sequence[Window]]
) -> tuple[dict[str, float], bool]:
    """Each member's part of one lead arriving at `at`, and whether anyone was at work then."""
    present = [
        rep
        for rep in (config.reps[member] for member in team.members)
        if rep.active and not any(window.contains(at) for window in absences.get(rep.id, ()))
    ]
    open_by_schedule: dict[int, bool] = {}
    at_work = []
    for rep in present:
        is_open = open_by_schedule.get(rep.schedule_key)
        if is_open is None:
            is_open = open_by_schedule[rep.schedule_key] = rep.hours.is_open(at.astimezone(rep.tz))
        if is_open:
            at_work.append(rep)
    among = at_work or present
    total = sum(rep.weight for rep in among)
    return ({rep.id: rep.weight / total for rep in among} if total else {}), bool(at_work)
