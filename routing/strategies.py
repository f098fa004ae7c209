"""Distribution strategies as sort keys: among eligible reps the smallest key wins.

A team's primary strategy is followed by its tie-breaks, then round robin, then the order of the
team's member list, so every pick is deterministic (no random tie-break: Odoo's random one skews two
equal reps to 11/19 over 30 leads; this gives 15/15).

Weighted follows Cal.com's shortfall-plus-calibration: a rep's target is their weight's share of all
leads the pool has handed out (plus calibration), and the rep furthest below target wins. Calibration
(`PoolMember.credit`) counts leads a rep is deemed to have had while unable to take them, so a rep
back from PTO, or newly added, joins at par instead of receiving a burst.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from routing.config import Rep, Strategy, Team
from routing.model import PoolMember, PoolState, RepState

# Smoothed win rate: `_PRIOR_WINS` wins in `_PRIOR_CLOSED` closed leads before any history counts.
_PRIOR_WINS, _PRIOR_CLOSED = 2.0, 10.0
_NEVER = PoolMember()


@dataclass(frozen=True, slots=True)
class Candidate:
    rep: Rep
    state: RepState
    member: PoolMember
    position: int  # index in the team's member list

    @property
    def weight(self) -> float:
        return self.rep.weight


KeyFn = Callable[[Candidate], float]


def win_rate(state: RepState, floor: float) -> float:
    """Win rate smoothed toward 20 % for reps with little history, never below `floor`."""
    return max(floor, (state.won + _PRIOR_WINS) / (state.closed + _PRIOR_CLOSED))


def effective_weights(team: Team, candidates: Sequence[Candidate]) -> dict[str, float]:
    """Weights the weighted pick uses: configured weights, scaled by win rate for `performance`."""
    if team.strategy is Strategy.PERFORMANCE:
        return {c.rep.id: c.weight * win_rate(c.state, team.performance_floor) for c in candidates}
    return {c.rep.id: c.weight for c in candidates}


def shortfalls(candidates: Sequence[Candidate], weights: Mapping[str, float]) -> dict[str, float]:
    """Target minus actual for each candidate, where both count calibration credit."""
    total_weight = sum(weights.values())
    handed_out = sum(c.member.assigned + c.member.credit for c in candidates)
    return {
        c.rep.id: handed_out * weights[c.rep.id] / total_weight - (c.member.assigned + c.member.credit)
        for c in candidates
    }


def sort_key(team: Team, candidates: Sequence[Candidate]) -> Callable[[Candidate], tuple[float, ...]]:
    """The full ordering for this team: primary strategy, tie-breaks, round robin, list order."""
    order = (team.strategy, *team.tie_breaks)
    keys: list[KeyFn] = []
    for strategy in order:
        if strategy in (Strategy.WEIGHTED, Strategy.PERFORMANCE) and strategy is team.strategy:
            weights = effective_weights(team, candidates)
            keys.append(_by_shortfall(shortfalls(candidates, weights)))
            keys.append(_by_weight(weights))  # Cal.com: the higher weight wins a tie
        elif strategy is Strategy.WEIGHTED:
            keys.append(lambda c: -c.weight)
        elif strategy is Strategy.PERFORMANCE:
            keys.append(_by_win_rate(team.performance_floor))
        elif strategy is Strategy.LEAST_LOADED:
            keys.append(lambda c: c.state.open_load)
        elif strategy is Strategy.ROUND_ROBIN:
            keys.append(lambda c: c.member.last_turn)
    keys.append(lambda c: c.member.last_turn)
    keys.append(lambda c: c.position)
    return lambda c: tuple(key(c) for key in keys)


def _by_shortfall(short: Mapping[str, float]) -> KeyFn:
    # Rounded so that float noise cannot break a tie that is exact in arithmetic.
    return lambda c: -round(short[c.rep.id], 9)


def _by_weight(weights: Mapping[str, float]) -> KeyFn:
    return lambda c: -weights[c.rep.id]


def _by_win_rate(floor: float) -> KeyFn:
    return lambda c: -win_rate(c.state, floor)


def describe_pick(team: Team, winner: Candidate, candidates: Sequence[Candidate], pool: PoolState) -> str:
    """One sentence on why the strategy chose `winner`."""
    who = f"@{winner.rep.id}"
    if len(candidates) == 1:
        return f"{who} was the only one available"
    strategy = team.strategy
    if strategy is Strategy.ROUND_ROBIN:
        previous = max(pool.members.items(), key=lambda item: item[1].last_turn, default=None)
        if previous is not None and previous[1].last_turn > 0:
            return f"round robin: next after @{previous[0]}"
        return f"round robin: {who} is first in line"
    if strategy is Strategy.LEAST_LOADED:
        return f"least loaded: {who} has {winner.state.open_load} open, the fewest of {len(candidates)}"
    weights = effective_weights(team, candidates)
    short = shortfalls(candidates, weights)[winner.rep.id]
    share = weights[winner.rep.id] / sum(weights.values())
    label = "performance-weighted" if strategy is Strategy.PERFORMANCE else "weighted"
    return f"{label}: {who} is furthest below target share {share:.0%} (short {short:.1f})"


def member(pool: PoolState, rep_id: str) -> PoolMember:
    return pool.members.get(rep_id, _NEVER)
