"""Distribution strategies: rank a pool best-first, so the engine can stop at the first available rep.

Ranking needs only cheap state lookups; availability is checked while walking the ranking, which keeps
a decision fast in large pools and makes the explanation honest ("@carl was next but is on PTO").

A team's primary strategy is followed by its tie-breaks, then round robin, then the order of the
team's member list, so every pick is deterministic (no random tie-break: Odoo's random one skews two
equal reps to 11/19 over 30 leads; this gives 15/15).

Weighted follows Cal.com's shortfall-plus-calibration: a rep's target is their weight's share of all
leads the pool has handed out (plus calibration), and the rep furthest below target ranks first.
Calibration (`PoolMember.credit`) counts leads a rep is deemed to have had while unable to take them,
so a rep back from PTO, or newly added, joins at par instead of receiving a burst.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from routing.config import Rep, Strategy, Team
from routing.model import PoolMember, PoolState, RepState

# Smoothed win rate: `_PRIOR_WINS` wins in `_PRIOR_CLOSED` closed leads before any history counts.
_PRIOR_WINS, _PRIOR_CLOSED = 2.0, 10.0
_FRESH = RepState()
NEVER_SERVED = PoolMember()
WEIGHTED = frozenset({Strategy.WEIGHTED, Strategy.PERFORMANCE})


class Candidate(NamedTuple):
    rep: Rep
    state: RepState
    member: PoolMember
    position: int  # index in the team's member list


@dataclass(frozen=True, slots=True)
class Ranking:
    """A pool's members best-first. Iterating yields `Candidate`s lazily, so a walk that stops at the
    first available rep never builds the rest."""

    reps: Sequence[Rep]
    states: Sequence[RepState]
    standings: Sequence[PoolMember]
    order: Sequence[int]  # indices into the sequences above, best first
    weights: Mapping[str, float] = field(default_factory=dict)
    shortfall: Mapping[str, float] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Candidate]:
        for i in self.order:
            yield Candidate(self.reps[i], self.states[i], self.standings[i], i)

    @classmethod
    def in_order(cls, reps: Sequence[Rep], states: Sequence[RepState]) -> Ranking:
        return cls(reps, states, [NEVER_SERVED] * len(reps), range(len(reps)))


def win_rate(state: RepState, floor: float) -> float:
    """Win rate smoothed toward 20 % for reps with little history, never below `floor`."""
    return max(floor, (state.won + _PRIOR_WINS) / (state.closed + _PRIOR_CLOSED))


def joining_credits(team: Team, pool: PoolState, reps: Mapping[str, Rep]) -> dict[str, float]:
    """Team members with no standing in the pool yet, and the credit each joins with.

    Every member is registered at the pool's first rotation, so a rep missing later was added to the
    team since. Under weighted distribution a newcomer joins with their weight's share of what the pool
    has handed out (Cal.com's new-host calibration), so joining brings no burst of leads.
    """
    if team.member_set <= pool.members.keys():
        return {}
    newcomers = [rep for rep in team.members if rep not in pool.members]
    veterans = [rep for rep in team.members if rep in pool.members]
    if team.strategy not in WEIGHTED or not veterans:
        return dict.fromkeys(newcomers, 0.0)
    handed_out = sum(pool.members[rep].assigned + pool.members[rep].credit for rep in veterans)
    veteran_weight = sum(reps[rep].weight for rep in veterans)
    return {rep: handed_out * reps[rep].weight / veteran_weight for rep in newcomers}


def rank(
    team: Team,
    reps: Mapping[str, Rep],
    rep_states: Mapping[str, RepState],
    pool: PoolState,
    joining: Mapping[str, float],
) -> Ranking:
    """Every member of `team`, best-first by the team's strategy and tie-breaks.

    Keys are built column by column with comprehensions rather than per rep, which is several times
    faster in CPython and this runs on every decision."""
    members = team.members
    people = [reps[rep] for rep in members]
    states = [rep_states.get(rep, _FRESH) for rep in members]
    standings = [pool.members.get(rep) or _joining(joining.get(rep)) for rep in members]
    turns = [standing.last_turn for standing in standings]
    if team.strategy is Strategy.ROUND_ROBIN and not team.tie_breaks:
        return Ranking(people, states, standings, sorted(range(len(members)), key=turns.__getitem__))
    weights: dict[str, float] = {}
    shortfall: dict[str, float] = {}
    columns: list[Sequence[float]] = []
    for strategy in (team.strategy, *team.tie_breaks):
        if strategy in WEIGHTED and strategy is team.strategy:
            weights = _weights(team, people, states)
            shortfall = _shortfalls(members, standings, weights)
            # Rounded so float noise cannot break an exact tie; then, as in Cal.com, the heavier rep.
            columns.append([-round(shortfall[rep], 9) for rep in members])
            columns.append([-weights[rep] for rep in members])
        elif strategy is Strategy.WEIGHTED:
            columns.append([-rep.weight for rep in people])
        elif strategy is Strategy.PERFORMANCE:
            columns.append([-win_rate(state, team.performance_floor) for state in states])
        elif strategy is Strategy.LEAST_LOADED:
            columns.append([state.open_load for state in states])
        else:
            columns.append(turns)
    columns += (turns, range(len(members)))
    keys = list(zip(*columns, strict=True))
    return Ranking(people, states, standings, sorted(range(len(members)), key=keys.__getitem__), weights, shortfall)


def _joining(credit: float | None) -> PoolMember:
    return PoolMember(credit=credit) if credit else NEVER_SERVED


def _weights(team: Team, people: Sequence[Rep], states: Sequence[RepState]) -> dict[str, float]:
    """Configured weights, scaled by win rate under the `performance` strategy."""
    if team.strategy is Strategy.PERFORMANCE:
        floor = team.performance_floor
        return {rep.id: rep.weight * win_rate(state, floor) for rep, state in zip(people, states, strict=True)}
    return {rep.id: rep.weight for rep in people}


def _shortfalls(
    members: Sequence[str], standings: Sequence[PoolMember], weights: Mapping[str, float]
) -> dict[str, float]:
    """Target minus actual for each member, where both count calibration credit (Cal.com's formula,
    over all the pool's members, so a rep's rank does not depend on who else is available)."""
    counts = [standing.assigned + standing.credit for standing in standings]
    handed_out, total_weight = sum(counts), sum(weights.values())
    return {rep: handed_out * weights[rep] / total_weight - count for rep, count in zip(members, counts, strict=True)}


def describe_pick(team: Team, winner: Candidate, ranking: Ranking, pool: PoolState) -> str:
    """One sentence on why the strategy chose `winner`."""
    who = f"@{winner.rep.id}"
    if len(team.members) == 1:
        return f"{who} is the team's only member"
    strategy = team.strategy
    if strategy is Strategy.ROUND_ROBIN:
        previous = max(pool.members.items(), key=lambda item: item[1].last_turn, default=None)
        if previous is not None and previous[1].last_turn > 0:
            return f"round robin: next after @{previous[0]}"
        return f"round robin: {who} is first in line"
    if strategy is Strategy.LEAST_LOADED:
        return f"least loaded: {who} has {winner.state.open_load} open"
    share = ranking.weights[winner.rep.id] / sum(ranking.weights.values())
    label = "performance-weighted" if strategy is Strategy.PERFORMANCE else "weighted"
    return (
        f"{label}: {who} is furthest below a target share of {share:.0%} (short {ranking.shortfall[winner.rep.id]:.1f})"
    )
