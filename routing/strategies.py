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

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter, itemgetter, neg, sub
from typing import Any, NamedTuple

from routing.config import Rep, Strategy, Team
from routing.model import PoolMember, PoolState, RepState

# Smoothed win rate: `_PRIOR_WINS` wins in `_PRIOR_CLOSED` closed leads before any history counts.
_PRIOR_WINS, _PRIOR_CLOSED = 2.0, 10.0
_PRIOR_RATE = _PRIOR_WINS / _PRIOR_CLOSED
_FRESH = RepState()
NEVER_SERVED = PoolMember()
WEIGHTED = frozenset({Strategy.WEIGHTED, Strategy.PERFORMANCE})
_LAST_TURN = attrgetter("last_turn")
_OPEN_LOAD = attrgetter("open_load")
_ROUNDING_REACH = 2e-9  # values this close could round (to 9 decimals) to the same value


class Candidate(NamedTuple):
    rep: Rep
    state: RepState
    position: int  # index in the team's member list


@dataclass(slots=True)
class Ranking:
    """A pool's members best-first. Iterating yields `Candidate`s lazily, so a walk that stops at the
    first available rep never builds the rest. Under a weighted strategy, `weights` and `shortfall`
    hold each member's weight and shortfall, by position in the team's member list.

    Not frozen, though nothing changes it: one is built per decision, and a frozen dataclass pays for
    its immutability in `__init__`."""

    reps: Sequence[Rep]
    states: Sequence[RepState]
    order: Sequence[int]  # indices into the sequences above, best first
    weights: Sequence[float] = ()
    shortfall: Sequence[float] = ()
    total_weight: float = 0.0  # sum(weights)

    def __iter__(self) -> Iterator[Candidate]:
        for i in self.order:
            yield Candidate(self.reps[i], self.states[i], i)

    @classmethod
    def in_order(cls, reps: Sequence[Rep], states: Sequence[RepState]) -> Ranking:
        return cls(reps, states, range(len(reps)))

    def share(self, position: int) -> float:
        """The member's weight as a share of the pool's total weight (a weighted pool's only)."""
        return self.weights[position] / self.total_weight


def win_rates(states: Sequence[RepState], floor: float, min_sample: int = 0) -> list[float]:
    """Win rates smoothed toward 20 % for reps with little history, never below `floor`. A rep with
    fewer than `min_sample` closed leads (in the performance window) gets the prior alone: a couple of
    lucky wins do not make a star."""
    # max(floor, rate), without a builtin call per rep
    return [
        rate
        if (
            rate := (state.won + _PRIOR_WINS) / (state.closed + _PRIOR_CLOSED)
            if state.closed >= min_sample
            else _PRIOR_RATE
        )
        > floor
        else floor
        for state in states
    ]


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


class _PoolView(NamedTuple):
    """What one decision's state says about a pool's members, by position in the member list; the
    weights and shortfalls only under a weighted strategy."""

    states: Sequence[RepState]
    standings: Sequence[PoolMember]
    weights: Sequence[float] = ()
    shortfall: Sequence[float] = ()


class PoolRanker:
    """Ranks one team's members best-first by the team's strategy and tie-breaks.

    Whatever depends only on the configuration (the members' `Rep`s, their configured weights and
    total, which keys to build and with what) is worked out once, when the engine is built; `rank` runs
    on every decision and only reads the state. Keys are built column by column with comprehensions
    and C-level `map`s rather than per rep, which is several times faster in CPython."""

    __slots__ = (
        "_configured_weights",
        "_first_key",
        "_negated_weights",
        "_positions",
        "_tie_break_keys",
        "_total_weight",
        "describe",
        "members",
        "min_sample",
        "people",
        "team",
        "uses_win_rates",
    )

    def __init__(self, team: Team, reps: Mapping[str, Rep], *, min_sample: int = 0) -> None:
        self.team = team
        self.min_sample = min_sample
        # Whether win rates rank this team (its strategy or a tie-break): then a decision says what the
        # winner's rate was based on.
        self.uses_win_rates = Strategy.PERFORMANCE in (team.strategy, *team.tie_breaks)
        self.members = team.members
        self.people = tuple(reps[rep] for rep in team.members)
        self._positions = range(len(team.members))
        self._configured_weights = tuple(rep.weight for rep in self.people)
        self._total_weight = sum(self._configured_weights)
        self._negated_weights = tuple(-weight for weight in self._configured_weights)
        self._first_key, *self._tie_break_keys = self._key_builders()
        self.describe: Callable[[Candidate, Ranking, PoolState], str] = self._describer()

    def rank(self, rep_states: Mapping[str, RepState], pool: PoolState, joining: Mapping[str, float]) -> Ranking:
        members = self.members
        states = list(map(rep_states.get, members, repeat(_FRESH)))
        if joining:
            standings = [pool.members.get(rep) or _joining(joining.get(rep)) for rep in members]
        else:
            standings = list(map(pool.members.get, members, repeat(NEVER_SERVED)))
        weights: Sequence[float]
        if self.team.strategy is Strategy.PERFORMANCE:
            rates = win_rates(states, self.team.performance_floor, self.min_sample)
            weights = [weight * rate for weight, rate in zip(self._configured_weights, rates, strict=True)]
            total_weight = sum(weights)
        elif self.team.strategy is Strategy.WEIGHTED:
            weights, total_weight = self._configured_weights, self._total_weight
        else:  # an unweighted pool has no weights, shortfalls or shares: the Ranking's are empty
            return Ranking(self.people, states, self._order(_PoolView(states, standings)))
        shortfall = _shortfalls(standings, weights, total_weight)
        order = self._order(_PoolView(states, standings, weights, shortfall))
        return Ranking(self.people, states, order, weights, shortfall, total_weight)

    def _order(self, view: _PoolView) -> list[int]:
        """Member positions best first: by the first key, and the tie-breaks' keys only on a tie."""
        keys = self._first_key(view)
        if len(set(keys)) < len(keys):  # a tie: only then are the tie-breaks' keys worth building
            keys = list(zip(keys, *[tie_break(view) for tie_break in self._tie_break_keys], strict=True))
        # sorted() is stable: reps tied on every key keep the order of the team's member list.
        return sorted(self._positions, key=keys.__getitem__)

    def _key_builders(self) -> list[Callable[[_PoolView], Sequence[Any]]]:
        """A sort key (lowest first) per strategy of the plan; a weighted primary strategy ranks by
        shortfall, then, as in Cal.com, the heavier rep."""
        builders: list[Callable[[_PoolView], Sequence[Any]]] = []
        for strategy in _key_plan(self.team):
            if strategy is self.team.strategy and strategy is Strategy.PERFORMANCE:
                builders += [self._by_shortfall, self._by_weight]
            elif strategy is self.team.strategy and strategy is Strategy.WEIGHTED:
                builders += [self._by_shortfall, self._by_configured_weight]
            elif strategy is Strategy.WEIGHTED:
                builders.append(self._by_configured_weight)
            elif strategy is Strategy.PERFORMANCE:
                builders.append(self._by_win_rate)
            elif strategy is Strategy.LEAST_LOADED:
                builders.append(self._by_load)
            else:
                builders.append(self._by_turn)
        return builders

    def _describer(self) -> Callable[[Candidate, Ranking, PoolState], str]:
        """How to say in one sentence why the strategy chose the winner (see `describe`)."""
        if len(self.members) == 1:
            return _only_member
        if self.team.strategy is Strategy.ROUND_ROBIN:
            return _next_in_turn
        if self.team.strategy is Strategy.LEAST_LOADED:
            return _least_loaded
        if self.team.strategy is Strategy.PERFORMANCE:
            return _furthest_below_performance_share
        return _furthest_below_share

    @staticmethod
    def _by_shortfall(view: _PoolView) -> Sequence[Any]:
        # Rounded so float noise cannot break an exact tie.
        return list(map(neg, _tie_safe(view.shortfall)))

    @staticmethod
    def _by_weight(view: _PoolView) -> Sequence[Any]:
        return list(map(neg, view.weights))

    def _by_configured_weight(self, view: _PoolView) -> Sequence[Any]:
        return self._negated_weights

    def _by_win_rate(self, view: _PoolView) -> Sequence[Any]:
        return list(map(neg, win_rates(view.states, self.team.performance_floor, self.min_sample)))

    def win_rate(self, state: RepState) -> float:
        """The rate this team ranks a rep with `state` by."""
        return win_rates([state], self.team.performance_floor, self.min_sample)[0]

    @staticmethod
    def _by_load(view: _PoolView) -> Sequence[Any]:
        return list(map(_OPEN_LOAD, view.states))

    @staticmethod
    def _by_turn(view: _PoolView) -> Sequence[Any]:
        return list(map(_LAST_TURN, view.standings))


def _key_plan(team: Team) -> tuple[Strategy, ...]:
    """The strategies whose keys rank the team, in order: the primary, the tie-breaks, then round robin.
    A strategy listed twice is dropped the second time: reps tied on everything before it are tied on
    it again, so its column could never change the order."""
    plan: list[Strategy] = []
    for strategy in (team.strategy, *team.tie_breaks, Strategy.ROUND_ROBIN):
        if strategy not in plan:
            plan.append(strategy)
    return tuple(plan)


def _joining(credit: float | None) -> PoolMember:
    return PoolMember(credit=credit) if credit else NEVER_SERVED


def _shortfalls(standings: Sequence[PoolMember], weights: Sequence[float], total_weight: float) -> list[float]:
    """Target minus actual for each member, where both count calibration credit (Cal.com's formula,
    over all the pool's members, so a rep's rank does not depend on who else is available)."""
    counts = [standing.assigned + standing.credit for standing in standings]
    handed_out = sum(counts)
    return [handed_out * weight / total_weight - count for weight, count in zip(weights, counts, strict=True)]


def _tie_safe(values: Sequence[float]) -> Sequence[float]:
    """`values` rounded to 9 decimals, or as they are when rounding could not change how they order.

    `round(v, 9)` goes through decimal conversion and would be the costliest step of ranking a weighted
    pool. Rounding is monotone and moves a value by at most 1e-9, so it can only tie (never reorder)
    values less than 2e-9 apart; when no two different values are that close, ordering by the values
    themselves is exactly ordering by their rounded values."""
    ordered = sorted(values)
    gaps = set(map(sub, ordered[1:], ordered))
    gaps.discard(0.0)
    if not gaps or min(gaps) > _ROUNDING_REACH:
        return values
    return [round(value, 9) for value in values]


# One sentence on why the strategy chose `winner`, one function per strategy.


def _only_member(winner: Candidate, ranking: Ranking, pool: PoolState) -> str:
    return f"@{winner.rep.id} is the team's only member"


def _next_in_turn(winner: Candidate, ranking: Ranking, pool: PoolState) -> str:
    # The member with the latest turn (the first of them on a tie), found without a Python-level key.
    turns = zip(map(_LAST_TURN, pool.members.values()), pool.members, strict=True)
    last_turn, previous = max(turns, key=itemgetter(0), default=(0, ""))
    if last_turn > 0:
        return f"round robin: next after @{previous}"
    return f"round robin: @{winner.rep.id} is first in line"


def _least_loaded(winner: Candidate, ranking: Ranking, pool: PoolState) -> str:
    return f"least loaded: @{winner.rep.id} has {winner.state.open_load} open"


def _furthest_below_share(winner: Candidate, ranking: Ranking, pool: PoolState, label: str = "weighted") -> str:
    share, short = ranking.share(winner.position), ranking.shortfall[winner.position]
    return f"{label}: @{winner.rep.id} is furthest below a target share of {share:.0%} (short {short:.1f})"


_furthest_below_performance_share = partial(_furthest_below_share, label="performance-weighted")
