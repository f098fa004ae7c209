"""Replay leads through the engine on a virtual clock: the pure core of `leadrelay simulate`.

Leads are processed in order of `created_at`. Every assignment counts toward the rep's load; with a
claim model (`claim_after`), an offer is claimed that long after it is made unless its SLA runs out
first, in which case it expires and is routed again, excluding the reps who already had it. A claimed
lead stops counting toward load `release_after` later (the time a rep typically works a fresh lead).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from routing.engine import Engine
from routing.model import Decision, Lead, Outcome, RoutingState

DIRECT = "(direct: account owners, named reps, backups)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SimLead:
    key: str  # the row number or external id, for the report
    lead: Lead
    created_at: datetime
    owner: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimEvent:
    """One decision as it happened: `attempt` 1 is the lead's arrival, later ones follow expiries."""

    at: datetime
    item: SimLead
    attempt: int
    decision: Decision


@dataclass(slots=True)
class Summary:
    leads: int = 0
    assigned: Counter[str] = field(default_factory=Counter)  # final rep → leads
    by_pool: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_rule: Counter[str] = field(default_factory=Counter)
    fallback: int = 0
    nurture: int = 0
    queued: int = 0
    expired: int = 0
    compared: int = 0
    agreed: int = 0
    disagreements: Counter[tuple[str, str]] = field(default_factory=Counter)  # (owner, ours) → leads

    @property
    def fallback_rate(self) -> float:
        return self.fallback / self.leads if self.leads else 0.0

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


class Simulation:
    """Runs leads through an engine, keeping the routing state an installation would keep."""

    def __init__(
        self,
        engine: Engine,
        *,
        claim_after: timedelta | None = None,
        release_after: timedelta = timedelta(days=1),
    ) -> None:
        self.engine = engine
        self.claim_after = claim_after
        self.release_after = release_after
        self.state = RoutingState()
        self.summary = Summary()
        self._queue: list[tuple[datetime, int, str, SimLead, str, frozenset[str], int]] = []
        self._seq = 0
        self._final: dict[str, Decision] = {}

    def run(self, items: Iterable[SimLead]) -> Iterator[SimEvent]:
        """Yield every decision in time order; `summary` is complete once the iterator is exhausted."""
        for item in sorted(items, key=lambda entry: entry.created_at):
            yield from self._until(item.created_at)
            self.summary.leads += 1
            yield from self._route(item, item.created_at, frozenset(), attempt=1)
        yield from self._until(None)
        self._tally()

    def _until(self, moment: datetime | None) -> Iterator[SimEvent]:
        while self._queue and (moment is None or self._queue[0][0] <= moment):
            at, _, kind, item, rep, tried, attempt = heapq.heappop(self._queue)
            if kind == "claim":
                self._push(at + self.release_after, "release", item, rep, tried, attempt)
            elif kind == "release":
                self._load(rep, -1)
            else:  # expire
                self._load(rep, -1)
                self.summary.expired += 1
                yield from self._route(item, at, tried | {rep}, attempt=attempt + 1)

    def _route(self, item: SimLead, now: datetime, tried: frozenset[str], attempt: int) -> Iterator[SimEvent]:
        self.state = _day_state(self.state, now, self.engine)
        decision = self.engine.route(item.lead, replace(self.state, tried=tried), now)
        self._final[item.key] = decision
        yield SimEvent(at=now, item=item, attempt=attempt, decision=decision)
        if decision.rep is None:
            return
        rep = decision.rep
        self.state = self.state.after(decision, now)
        if self.claim_after is None:
            # No claim model: the rep works the lead for `release_after`, then it leaves their load.
            self._push(now + self.release_after, "release", item, rep, tried, attempt)
            return
        claim_at = now + self.claim_after
        if decision.due_at is not None and claim_at > decision.due_at:
            # Nobody claims in time: the SLA expires it.
            self._push(decision.due_at, "expire", item, rep, tried, attempt)
        else:
            self._push(claim_at, "claim", item, rep, tried, attempt)

    def _push(self, at: datetime, kind: str, item: SimLead, rep: str, tried: frozenset[str], attempt: int) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, item, rep, tried, attempt))

    def _load(self, rep: str, delta: int) -> None:
        state = self.state.rep(rep)
        reps = {**self.state.reps, rep: replace(state, open_load=max(0, state.open_load + delta))}
        self.state = replace(self.state, reps=reps)

    def _tally(self) -> None:
        summary = self.summary
        for decision in self._final.values():
            summary.by_rule[decision.rule or "none"] += 1
            if decision.outcome is Outcome.NURTURE:
                summary.nurture += 1
                continue
            if decision.outcome is Outcome.QUEUED:
                summary.queued += 1
            if decision.caught_by_fallback:
                summary.fallback += 1
            if decision.rep:
                summary.assigned[decision.rep] += 1
                summary.by_pool[decision.pool or DIRECT][decision.rep] += 1

    def compare_owners(self, items: Iterable[SimLead]) -> None:
        """Agreement of the final assignee with each lead's historical `owner`, where it has one."""
        for item in items:
            decision = self._final.get(item.key)
            if not item.owner or decision is None or decision.outcome is Outcome.NURTURE:
                continue
            self.summary.compared += 1
            ours = decision.rep or "(manager queue)"
            if ours == item.owner:
                self.summary.agreed += 1
            else:
                self.summary.disagreements[(item.owner, ours)] += 1


def _local_day(moment: datetime, engine: Engine, rep: str) -> object:
    return moment.astimezone(engine.config.reps[rep].tz).date()


def _day_state(state: RoutingState, now: datetime, engine: Engine) -> RoutingState:
    """Reset `assigned_today` for reps whose local day has turned since their last assignment."""
    stale = {
        rep: replace(rep_state, assigned_today=0)
        for rep, rep_state in state.reps.items()
        if rep_state.assigned_today
        and rep_state.last_assigned_at is not None
        and _local_day(rep_state.last_assigned_at, engine, rep) != _local_day(now, engine, rep)
    }
    if not stale:
        return state
    return replace(state, reps={**state.reps, **stale})
