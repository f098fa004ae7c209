"""Walking a pool's ranking for one lead: who is skipped for a missing skill or language, who is
passed over (and why: PTO, off hours, at capacity), and who wins; the off-hours rep who starts first;
a rule's requirements filled from the lead. The engine's hot loop, kept free of its policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from routing.availability import LocalClock, Unavailable, unavailable
from routing.config import Rep, Requirement
from routing.explain import describe
from routing.model import Reason
from routing.strategies import Candidate, Ranking


@dataclass(slots=True)
class Walk:
    """What walking a ranking found: the winner, and everyone it had to pass over on the way."""

    winner: Candidate | None = None
    passed_first: int = 0  # how many of `passed` rank ahead of the winner
    best_qualified: Candidate | None = None  # first-ranked rep who meets the requirements
    passed: list[tuple[Candidate, Unavailable]] = field(default_factory=list)
    off_hours: list[Candidate] = field(default_factory=list)


def walk_ranking(
    ranking: Ranking,
    needs: Requirement,
    wanted: Requirement,
    tried: frozenset[str],
    clock: LocalClock,
    trace: list[Reason],
) -> Walk:
    """Walk `ranking` best-first for a lead needing `needs` and preferring `wanted`, noting in `trace`
    who was skipped and why; never offering to a rep in `tried`."""
    # The hot loop of every decision: lookups and one availability check per rep, best-first,
    # stopping at the first available rep who also has what the rule prefers. Plain locals, and
    # the requirements' truth tested once, because this runs for several reps per decision.
    walk = Walk()
    passed, off_hours = walk.passed, walk.off_hours
    check_needs, check_wanted = bool(needs), bool(wanted)
    winner = best_qualified = fallback_choice = None
    passed_first = fallback_passed = 0
    for candidate in ranking:
        rep = candidate.rep
        if check_needs and (missing := lacks(rep, needs)):
            trace.append(Reason("skipped", f"skipped @{rep.id}: no {missing}", rep.id))
            continue
        if best_qualified is None:
            best_qualified = candidate
        why = unavailable(rep, candidate.state, clock, tried)
        if why is not None:
            passed.append((candidate, why))
            if why.code == "off_hours":
                off_hours.append(candidate)
            continue
        if not check_wanted or not lacks(rep, wanted):
            winner, passed_first = candidate, len(passed)
            break
        if fallback_choice is None:
            fallback_choice, fallback_passed = candidate, len(passed)
    if winner is None and fallback_choice is not None:
        # Nobody has the preferred skill or language: the best available rep it is.
        winner, passed_first = fallback_choice, fallback_passed
    elif winner is not None and fallback_choice is not None:
        trace.append(
            Reason("preferred", f"preferred {describe(wanted)}: @{winner.rep.id} over @{fallback_choice.rep.id}")
        )
    walk.winner, walk.passed_first = winner, passed_first
    walk.best_qualified = None if winner is not None else best_qualified
    return walk


def first_to_start(
    candidates: list[Candidate], wanted: Requirement, clock: LocalClock
) -> tuple[Candidate, datetime | None]:
    """The off-hours rep who starts first; a preferred skill or language, then rank, break ties."""
    far = clock.now + timedelta(days=365)
    starts = {c.rep.id: c.rep.hours.next_open(clock.now, c.rep.tz) for c in candidates}
    best = min(candidates, key=lambda c: (starts[c.rep.id] or far, bool(wanted and lacks(c.rep, wanted))))
    return best, starts[best.rep.id]


def resolve(requirement: Requirement, facts: dict[str, Any]) -> Requirement:
    """Fill ``{field}`` placeholders from the lead; a placeholder with no value drops out."""
    if not requirement:
        return requirement
    skills, languages = _fill(requirement.skills, facts), _fill(requirement.languages, facts)
    if skills == requirement.skills and languages == requirement.languages:
        return requirement  # no placeholders: nothing to build
    return Requirement(skills=skills, languages=languages)


def _fill(values: tuple[str, ...], facts: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for value in values:
        if value.startswith("{") and value.endswith("}"):
            fact = facts.get(value[1:-1])
            if fact is None or fact == "":
                continue
            value = str(fact).casefold()
        out.append(value)
    return tuple(out)


def ahead_of(winner: Candidate, passed: list[tuple[Candidate, Unavailable]]) -> list[tuple[Candidate, Unavailable]]:
    """The reps of `passed` ranked ahead of `winner` (`passed` is in rank order)."""
    for i, (candidate, _why) in enumerate(passed):
        if candidate is winner:
            return passed[:i]
    return passed


def lacks(rep: Rep, needs: Requirement) -> str | None:
    for skill in needs.skills:
        if skill not in rep.skills:
            return f"skill {skill}"
    for language in needs.languages:
        if language not in rep.languages:
            return f"language {language}"
    return None
