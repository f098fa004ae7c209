"""Replay leads through the engine on a virtual clock: the pure core of `leadrelay simulate`.

Leads are processed in order of `created_at`. The claim model, stated by `ClaimModel.describe` in the
output rather than left as a silent default:

* every assignment counts toward the rep's load, against their capacity (the config's, or an override
  set during the replay as `/capacity` would set it);
* with `claim_after`, a rep claims an offer that long after it reaches them at work (at once, or at the
  start of their shift for an off-hours pick), unless its SLA runs out first, in which case it expires
  and is routed again, excluding the reps who already had it;
* a claimed lead stops counting toward load `release_after` after its claim (without a claim model,
  `release_after` after the offer);
* a lead with an `outcome` in the history (won, lost, disqualified) counts in its rep's win rate from
  that moment on, so a `performance` pool can be backtested; over the whole replay, not a window.

A lead the `off_hours: hold` policy holds waits, unassigned, until its release moment and is routed
again then, with the hold window open (`RoutingState.released`). PTO windows and capacity changes
(`RepChange`) are applied as they fall due.
"""

from __future__ import annotations

import heapq
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing.engine import Engine
from routing.fairness import Arrival, PoolFairness, measure
from routing.model import Decision, Lead, Outcome, RepState, RoutingState, Window

DIRECT = "(direct: account owners, named reps, backups)"
CLOSING = frozenset({"won", "lost", "disqualified"})
_FAR = datetime(9000, 1, 1, tzinfo=UTC)  # a pause never resumed


@dataclass(frozen=True, slots=True, kw_only=True)
class SimLead:
    key: str  # the row number or external id, for the report
    lead: Lead
    created_at: datetime
    owner: str | None = None
    outcome: str | None = None  # how the lead ended in history: won, lost or disqualified (None: open)

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in CLOSING:
            raise ValueError(f"an outcome that closes a lead is one of {', '.join(sorted(CLOSING))}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimEvent:
    """One decision as it happened: `attempt` 1 is the lead's arrival, later ones follow expiries
    (and, for a held lead, its release)."""

    at: datetime
    item: SimLead
    attempt: int
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class RepChange:
    """A capacity change as `/capacity` makes it, from `at` on: a number, or pause / resume."""

    at: datetime
    rep: str
    capacity: int | None = None  # None: leave the capacity as it is
    paused: bool | None = None  # None: leave it as it is

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        if (self.capacity is None) == (self.paused is None):
            raise ValueError("a change sets either a capacity or pause/resume")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimModel:
    """How reps are assumed to behave in the replay (see the module docstring)."""

    claim_after: timedelta | None = None
    release_after: timedelta = timedelta(days=1)

    def describe(self, default_capacity: str) -> str:
        claim = (
            f"reps claim each offer {_span(self.claim_after)} after it reaches them at work (--claim-after); "
            "an offer still unclaimed when its SLA runs out expires to the next rep"
            if self.claim_after is not None
            else "no claim model (--claim-after not given): every offer is taken, none expires"
        )
        return (
            f"Claim model: {claim}. Capacity: {default_capacity}, with the overrides given. "
            f"A lead counts toward its rep's load until {_span(self.release_after)} after "
            f"{'its claim' if self.claim_after is not None else 'the offer'}."
        )


@dataclass(slots=True)
class WinRate:
    """Won of closed leads, among those the replay gave out that have an outcome in the history."""

    won: int = 0
    closed: int = 0

    @property
    def rate(self) -> float:
        return self.won / self.closed if self.closed else 0.0


@dataclass(slots=True)
class Summary:
    leads: int = 0
    assigned: Counter[str] = field(default_factory=Counter)  # final rep → leads
    by_pool: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_rule: Counter[str] = field(default_factory=Counter)
    fallback: int = 0
    nurture: int = 0
    queued: int = 0
    offers: int = 0
    expired: int = 0
    held: int = 0  # leads held off hours at least once
    off_hours: int = 0  # leads that reached a rep who was not at work (or were held)
    first_touch: list[timedelta] = field(default_factory=list)  # arrival → a rep at work has it
    compared: int = 0
    agreed: int = 0
    disagreements: Counter[tuple[str, str]] = field(default_factory=Counter)  # (owner, ours) → leads
    fairness: tuple[PoolFairness, ...] = ()
    # "rep", "rule", "source" → value → won of closed, by the replay's final assignee
    win_rates: dict[str, dict[str, WinRate]] = field(default_factory=lambda: defaultdict(dict))
    outcomes_fed: int = 0  # outcomes that reached a rep's win rate during the replay

    @property
    def fallback_rate(self) -> float:
        return self.fallback / self.leads if self.leads else 0.0

    @property
    def breach_rate(self) -> float:
        """Offers that expired unclaimed, over offers made (zero without a claim model)."""
        return self.expired / self.offers if self.offers else 0.0

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None

    def first_touch_percentiles(self) -> tuple[timedelta, timedelta] | None:
        """p50 and p90 of arrival → first touch, None with no assigned lead."""
        if not self.first_touch:
            return None
        ordered = sorted(self.first_touch)
        return statistics.median_low(ordered), ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]


class Simulation:
    """Runs leads through an engine, keeping the routing state an installation would keep."""

    def __init__(
        self,
        engine: Engine,
        *,
        claim: ClaimModel | None = None,
        pto: Mapping[str, Sequence[Window]] | None = None,
        changes: Iterable[RepChange] = (),
    ) -> None:
        self.engine = engine
        self.claim = claim or ClaimModel()
        self.pto = {rep: tuple(windows) for rep, windows in (pto or {}).items()}
        self.state = RoutingState(reps={rep: RepState(pto=windows) for rep, windows in self.pto.items()})
        self.summary = Summary()
        self._changes = sorted(changes, key=lambda change: change.at)
        self._applied = 0
        self._queue: list[tuple[datetime, int, str, SimLead, str, frozenset[str], int]] = []
        self._seq = 0
        self._final: dict[str, Decision] = {}
        self._arrivals: dict[str, SimLead] = {}
        self._touched: set[str] = set()
        self._day_ends: dict[str, datetime] = {}  # rep → their next local midnight, once assigned today
        self._next_day_end = _FAR

    def run(self, items: Iterable[SimLead]) -> Iterator[SimEvent]:
        """Yield every decision in time order; `summary` is complete once the iterator is exhausted."""
        for item in sorted(items, key=lambda entry: entry.created_at):
            # One zone for every moment of the replay: comparing aware times in different zones (the
            # queue does it on every push and pop) costs a UTC offset lookup each time.
            arrived = item.created_at.astimezone(UTC)
            yield from self._until(arrived)
            self._apply_changes(arrived)
            self.summary.leads += 1
            self._arrivals[item.key] = item
            yield from self._route(item, arrived, frozenset(), attempt=1)
        yield from self._until(None)
        self._apply_changes(None)
        self._tally()

    def absences(self) -> dict[str, list[Window]]:
        """Each rep's PTO and paused windows over the replay, for the fairness measure."""
        away: dict[str, list[Window]] = {rep: list(windows) for rep, windows in self.pto.items()}
        paused_since: dict[str, datetime] = {}
        for change in self._changes:
            if change.paused is True:
                paused_since.setdefault(change.rep, change.at)
            elif change.paused is False and change.rep in paused_since:
                away.setdefault(change.rep, []).append(Window(paused_since.pop(change.rep), change.at))
        for rep, since in paused_since.items():
            away.setdefault(rep, []).append(Window(since, _FAR))
        return away

    def _apply_changes(self, moment: datetime | None) -> None:
        changes = self._changes
        while self._applied < len(changes) and (moment is None or changes[self._applied].at <= moment):
            change = changes[self._applied]
            self._applied += 1
            state = self.state.rep(change.rep)
            if change.paused is not None:
                state = replace(state, paused=change.paused)
            else:
                state = replace(state, capacity_override=change.capacity)
            self.state = replace(self.state, reps={**self.state.reps, change.rep: state})

    def _until(self, moment: datetime | None) -> Iterator[SimEvent]:
        while self._queue and (moment is None or self._queue[0][0] <= moment):
            at, _, kind, item, rep, tried, attempt = heapq.heappop(self._queue)
            self._apply_changes(at)
            if kind == "claim":
                self._push(at + self.claim.release_after, "release", item, rep, tried, attempt)
            elif kind == "release":
                self._load(rep, -1)
                self._close(item, rep)
            elif kind == "unhold":
                yield from self._route(item, at, tried, attempt=attempt + 1, released=True)
            else:  # expire
                self._load(rep, -1)
                self.summary.expired += 1
                yield from self._route(item, at, tried | {rep}, attempt=attempt + 1)

    def _route(
        self, item: SimLead, now: datetime, tried: frozenset[str], attempt: int, *, released: bool = False
    ) -> Iterator[SimEvent]:
        if now >= self._next_day_end:
            self._new_day(now)
        state = self.state
        # Built directly rather than with `replace`, which inspects the fields on every call.
        asked = RoutingState(reps=state.reps, pools=state.pools, tried=tried, released=released)
        decision = self.engine.route(item.lead, asked, now)
        self._final[item.key] = decision
        yield SimEvent(at=now, item=item, attempt=attempt, decision=decision)
        if decision.outcome is Outcome.HELD and decision.starts_at is not None:
            if attempt == 1:
                self.summary.held += 1
            self._push(decision.starts_at, "unhold", item, "", tried, attempt)
            return
        if decision.rep is None:
            return
        rep = decision.rep
        self.summary.offers += 1
        self.state = self.state.after(decision, now)
        if rep not in self._day_ends:
            self._day_ends[rep] = day_end = _next_midnight(now, self.engine.config.reps[rep].tz)
            self._next_day_end = min(self._next_day_end, day_end)
        reaches = max(now, decision.starts_at) if decision.starts_at else now
        if item.key not in self._touched:
            self._touched.add(item.key)
            self.summary.first_touch.append(reaches - item.created_at)
            if reaches > item.created_at:
                self.summary.off_hours += 1
        after = self.claim.claim_after
        if after is None:  # no claim model: the rep works the lead for `release_after`, then it leaves their load
            self._push(now + self.claim.release_after, "release", item, rep, tried, attempt)
            return
        claim_at = reaches + after
        if decision.due_at is not None and claim_at > decision.due_at:  # nobody claims in time: it expires
            self._push(decision.due_at, "expire", item, rep, tried, attempt)
        else:
            self._push(claim_at, "claim", item, rep, tried, attempt)

    def _new_day(self, now: datetime) -> None:
        """Reset `assigned_today` for the reps whose local day has turned (daily caps start over)."""
        turned = [rep for rep, end in self._day_ends.items() if end <= now]
        reps = dict(self.state.reps)
        for rep in turned:
            del self._day_ends[rep]
            reps[rep] = replace(reps[rep], assigned_today=0)
        self.state = replace(self.state, reps=reps)
        self._next_day_end = min(self._day_ends.values(), default=_FAR)

    def _push(self, at: datetime, kind: str, item: SimLead, rep: str, tried: frozenset[str], attempt: int) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, item, rep, tried, attempt))

    def _load(self, rep: str, delta: int) -> None:
        state = self.state.rep(rep)
        reps = {**self.state.reps, rep: replace(state, open_load=max(0, state.open_load + delta))}
        self.state = RoutingState(reps=reps, pools=self.state.pools)

    def _close(self, item: SimLead, rep: str) -> None:
        """The lead leaves `rep`'s plate: its historical outcome, if it has one, counts in their win rate
        from now on, as an outcome arriving then would (the performance strategy reads it)."""
        if item.outcome is None:
            return
        state = self.state.rep(rep)
        won = state.won + (item.outcome == "won")
        reps = {**self.state.reps, rep: replace(state, won=won, closed=state.closed + 1)}
        self.state = RoutingState(reps=reps, pools=self.state.pools)
        self.summary.outcomes_fed += 1

    def _tally(self) -> None:
        summary = self.summary
        arrivals = []
        for key, decision in self._final.items():
            summary.by_rule[decision.rule or "none"] += 1
            if decision.outcome is Outcome.NURTURE:
                summary.nurture += 1
                continue
            if decision.outcome is Outcome.QUEUED:
                summary.queued += 1
            if decision.caught_by_fallback:
                summary.fallback += 1
            if decision.rep:
                self._tally_outcome(self._arrivals[key], decision)
                summary.assigned[decision.rep] += 1
                summary.by_pool[decision.pool or DIRECT][decision.rep] += 1
                if decision.pool:  # fairness is about leads a pool handed out, at their arrival
                    arrivals.append(Arrival(pool=decision.pool, at=self._arrivals[key].created_at, rep=decision.rep))
        summary.fairness = measure(self.engine.config, arrivals, self.absences())

    def _tally_outcome(self, item: SimLead, decision: Decision) -> None:
        if item.outcome is None or decision.rep is None:
            return
        for dimension, value in (
            ("rep", decision.rep),
            ("rule", decision.rule or "none"),
            ("source", item.lead.source or "unknown"),
        ):
            rate = self.summary.win_rates[dimension].setdefault(value, WinRate())
            rate.closed += 1
            rate.won += item.outcome == "won"

    def final(self, key: str) -> Decision | None:
        """The last decision for the lead with `key`, once the run is over."""
        return self._final.get(key)

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


def _next_midnight(moment: datetime, tz: ZoneInfo) -> datetime:
    """The first local midnight in `tz` after `moment`, in UTC."""
    day = moment.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _span(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
