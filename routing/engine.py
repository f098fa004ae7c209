"""The routing decision: who gets this lead, now, and why.

`Engine.route(lead, state, now)` is pure and deterministic: the same input always gives the same
`Decision`. The order of work is enrich → qualify → account owner → rules (first match wins) →
availability → strategy → fallback → SLA. The fallback chain is the preferred rep's backup, then the
pool's best rep who is only off hours (their SLA starts at their shift), then the fallback team, then
the manager queue, so a lead never falls into a black hole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from routing import strategies
from routing.availability import LocalClock, Unavailable, unavailable
from routing.config import Rep, Requirement, RoutingConfig, Rule, SlaPolicy, Strategy, Team
from routing.enrich import enrich, find_account
from routing.model import (
    Decision,
    Lead,
    Outcome,
    PoolMember,
    Reason,
    RotationUpdate,
    RoutingState,
)
from routing.strategies import Candidate

_WEIGHTED = (Strategy.WEIGHTED, Strategy.PERFORMANCE)


@dataclass(slots=True)
class _Pick:
    rep: Rep
    rule: str
    pool: str | None
    strategy: str
    fallback: bool
    starts_at: datetime | None = None  # for an off-hours pick: when the rep's shift starts
    rotation: RotationUpdate | None = None


@dataclass(slots=True)
class _Trace:
    reasons: list[Reason] = field(default_factory=list)

    def add(self, code: str, text: str, rep: str | None = None) -> None:
        self.reasons.append(Reason(code, text, rep))


class Engine:
    """Routes leads under one compiled configuration."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config

    def route(self, lead: Lead, state: RoutingState, now: datetime) -> Decision:
        """Decide who gets `lead` at `now`. Never raises for any lead; always one outcome."""
        cfg = self.config
        clock = LocalClock(now)
        facts = enrich(lead, cfg)
        trace = _Trace()
        described = [str(facts[key]) for key in ("region", "segment", "language") if key in facts]
        if described:
            trace.add("enriched", " · ".join(described))

        if self._below_gate(facts, trace):
            return self._decide(Outcome.NURTURE, None, facts, trace, clock, rule="qualification")

        account = find_account(facts, cfg)
        if account is not None:
            pick = self._account_owner(account.owner, account.name, state, clock, trace)
            if pick is not None:
                return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)

        for rule in cfg.rules:
            if not rule.when.matches(facts):
                continue
            if rule.account_owner and account is None:
                trace.add("no_account", f"rule {rule.name}: no known account for this domain")
                continue
            trace.add("rule", f"rule {rule.name}: {rule.when.describe()}")
            return self._route_to(
                rule, account.owner if account and rule.account_owner else None, facts, state, clock, trace
            )

        trace.add("no_rule", "no rule matched")
        return self._fallback(facts, state, clock, trace, tried_team=None)

    # --- the steps ---------------------------------------------------------------------------------

    def _below_gate(self, facts: dict[str, Any], trace: _Trace) -> bool:
        gate = self.config.qualification
        if gate.min_score is None:
            return False
        score = facts.get(gate.field)
        if not isinstance(score, int | float) or isinstance(score, bool):
            if gate.nurture_missing:
                trace.add("nurture", f"no {gate.field}: sent to nurture")
                return True
            return False
        if score < gate.min_score:
            trace.add("nurture", f"{gate.field} {score:g} is below {gate.min_score:g}: sent to nurture")
            return True
        return False

    def _account_owner(
        self, owner_id: str, account: str, state: RoutingState, clock: LocalClock, trace: _Trace
    ) -> _Pick | None:
        owner = self.config.reps[owner_id]
        why = unavailable(owner, state.rep(owner_id), clock, state.tried)
        if why is None:
            trace.add("account_owner", f"account owner of {account}")
            return _Pick(owner, "account_owner", None, "account_owner", fallback=False)
        trace.add("skipped", f"skipped account owner @{owner_id}: {why.text}", owner_id)
        return self._backup_for(owner, why, state, clock, trace, rule="account_owner")

    def _route_to(
        self,
        rule: Rule,
        owner: str | None,
        facts: dict[str, Any],
        state: RoutingState,
        clock: LocalClock,
        trace: _Trace,
    ) -> Decision:
        team = self.config.teams.get(rule.team) if rule.team else None
        target = owner or rule.rep
        members: tuple[str, ...] = team.members if team else (target,) if target else ()
        pick = self._pick_from(
            members, team, rule.name, rule.require, rule.prefer, facts, state, clock, trace
        )
        if pick is not None:
            return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)
        return self._fallback(facts, state, clock, trace, tried_team=team.id if team else None)

    def _fallback(
        self,
        facts: dict[str, Any],
        state: RoutingState,
        clock: LocalClock,
        trace: _Trace,
        tried_team: str | None,
    ) -> Decision:
        cfg = self.config
        if cfg.fallback_team and cfg.fallback_team != tried_team:
            team = cfg.teams[cfg.fallback_team]
            trace.add("fallback", f"fallback team {team.name}")
            pick = self._pick_from(
                team.members, team, "fallback", Requirement(), Requirement(), facts, state, clock, trace
            )
            if pick is not None:
                pick.fallback = True
                return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)
        elif cfg.fallback_rep:
            rep = cfg.reps[cfg.fallback_rep]
            why = unavailable(rep, state.rep(rep.id), clock, state.tried)
            if why is None or why.off_hours_only:
                trace.add("fallback", f"fallback rep @{rep.id}")
                pick = _Pick(rep, "fallback", None, "fallback", fallback=True)
                if why is not None:
                    pick.starts_at = rep.hours.next_open(clock.now, rep.tz)
                return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)
            trace.add("skipped", f"skipped fallback rep @{rep.id}: {why.text}", rep.id)
        queue = tried_team or cfg.fallback_team
        manager = cfg.teams[queue].manager if queue else None
        trace.add("queued", "nobody can take it: manager queue" + (f" (@{manager})" if manager else ""))
        return self._decide(Outcome.QUEUED, None, facts, trace, clock, rule="manager_queue", pool=queue)

    def _pick_from(
        self,
        members: Sequence[str],
        team: Team | None,
        rule: str,
        require: Requirement,
        prefer: Requirement,
        facts: dict[str, Any],
        state: RoutingState,
        clock: LocalClock,
        trace: _Trace,
    ) -> _Pick | None:
        """The best available rep of `members`; else the preferred rep's backup; else the best rep who
        is only off hours. None if nobody at all."""
        cfg = self.config
        pool_state = state.pool(team.id) if team else None
        available: list[Candidate] = []
        off_hours: list[Candidate] = []
        absent: list[str] = []
        first_why: tuple[Rep, Unavailable] | None = None
        needs = _resolve(require, facts)
        for position, rep_id in enumerate(members):
            rep = cfg.reps[rep_id]
            rep_state = state.rep(rep_id)
            missing = _lacks(rep, needs)
            if missing:
                trace.add("skipped", f"skipped @{rep_id}: no {missing}", rep_id)
                continue
            why = unavailable(rep, rep_state, clock, state.tried)
            candidate = Candidate(
                rep,
                rep_state,
                strategies.member(pool_state, rep_id) if pool_state else PoolMember(),
                position,
            )
            if why is None:
                available.append(candidate)
                continue
            trace.add("skipped", f"skipped @{rep_id}: {why.text}", rep_id)
            if first_why is None:
                first_why = (rep, why)
            if why.off_hours_only:
                off_hours.append(candidate)
            if why.code != "tried":
                absent.append(rep_id)

        wanted = _resolve(prefer, facts)
        if wanted and available:
            preferred = [c for c in available if not _lacks(c.rep, wanted)]
            if preferred and len(preferred) < len(available):
                trace.add("preferred", f"preferred {_describe(wanted)}")
                available = preferred
        strategy = team.strategy.value if team else "named_rep"

        if available:
            winner = self._best(team, available, pool_state)
            if team and pool_state is not None:
                trace.add("strategy", strategies.describe_pick(team, winner, available, pool_state))
            return _Pick(
                winner.rep,
                rule,
                team.id if team else None,
                strategy,
                fallback=False,
                rotation=self._rotation(team, winner, available, absent, pool_state),
            )

        if first_why is not None:
            preferred_rep = (
                self._best(
                    team, [self._as_candidate(r, team, state, members) for r in members], pool_state
                ).rep
                if team
                else first_why[0]
            )
            why = unavailable(preferred_rep, state.rep(preferred_rep.id), clock, state.tried) or first_why[1]
            backup = self._backup_for(preferred_rep, why, state, clock, trace, rule=rule)
            if backup is not None:
                return backup

        if off_hours:
            winner = self._best(team, off_hours, pool_state)
            starts = winner.rep.hours.next_open(clock.now, winner.rep.tz)
            trace.add(
                "off_hours",
                f"nobody is at work: @{winner.rep.id} starts "
                f"{_when(starts, winner)}; the SLA counts from then",
            )
            return _Pick(
                winner.rep,
                rule,
                team.id if team else None,
                strategy,
                fallback=True,
                starts_at=starts,
                rotation=self._rotation(team, winner, off_hours, [], pool_state),
            )
        return None

    def _backup_for(
        self, rep: Rep, why: Unavailable, state: RoutingState, clock: LocalClock, trace: _Trace, rule: str
    ) -> _Pick | None:
        if rep.backup is None:
            return None
        backup = self.config.reps[rep.backup]
        backup_why = unavailable(backup, state.rep(backup.id), clock, state.tried)
        if backup_why is not None:
            trace.add("skipped", f"skipped backup @{backup.id}: {backup_why.text}", backup.id)
            return None
        trace.add("backup", f"@{backup.id} covers for @{rep.id} ({why.text})", backup.id)
        return _Pick(backup, rule, None, "backup", fallback=True)

    # --- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _best(team: Team | None, candidates: list[Candidate], pool_state: Any) -> Candidate:
        if team is None or len(candidates) == 1:
            return candidates[0]
        return min(candidates, key=strategies.sort_key(team, candidates))

    def _as_candidate(
        self, rep_id: str, team: Team, state: RoutingState, members: Sequence[str]
    ) -> Candidate:
        pool = state.pool(team.id)
        return Candidate(
            self.config.reps[rep_id],
            state.rep(rep_id),
            strategies.member(pool, rep_id),
            members.index(rep_id),
        )

    def _rotation(
        self,
        team: Team | None,
        winner: Candidate,
        candidates: list[Candidate],
        absent: list[str],
        pool_state: Any,
    ) -> RotationUpdate | None:
        if team is None or pool_state is None:
            return None
        credits: dict[str, float] = {}
        if team.strategy in _WEIGHTED:
            weights = strategies.effective_weights(team, candidates)
            total = sum(weights.values())
            for rep_id in absent:  # deemed to have had their share of this lead
                if rep_id in pool_state.members:
                    credits[rep_id] = self.config.reps[rep_id].weight / total
            if winner.rep.id not in pool_state.members and winner.member.credit:
                credits[winner.rep.id] = winner.member.credit
        return RotationUpdate(pool=team.id, rep=winner.rep.id, turn=pool_state.turn + 1, credits=credits)

    def _decide(
        self,
        outcome: Outcome,
        pick: _Pick | None,
        facts: dict[str, Any],
        trace: _Trace,
        clock: LocalClock,
        rule: str | None = None,
        pool: str | None = None,
    ) -> Decision:
        now = clock.now
        policy = self._policy(facts) if outcome is not Outcome.NURTURE else None
        due_at = remind_at = None
        if policy is not None:
            start = pick.starts_at if pick and pick.starts_at else now
            if pick is not None and policy.business_hours:
                due_at = pick.rep.hours.add_business_time(start, policy.within, pick.rep.tz) or (
                    start + policy.within
                )
                trace.add(
                    "sla", f"SLA {policy.name}: {_span(policy.within)} of @{pick.rep.id}'s working time"
                )
            else:
                due_at = start + policy.within
                trace.add("sla", f"SLA {policy.name}: {_span(policy.within)}")
            if policy.remind_at is not None:
                remind_at = start + (due_at - start) * policy.remind_at
        return Decision(
            outcome=outcome,
            rep=pick.rep.id if pick else None,
            rule=pick.rule if pick else rule,
            pool=pick.pool if pick else pool,
            strategy=pick.strategy if pick else None,
            fallback=pick.fallback if pick else outcome is Outcome.QUEUED,
            sla=policy.name if policy else None,
            due_at=due_at,
            remind_at=remind_at,
            reasons=tuple(trace.reasons),
            facts=facts,
            rotation=pick.rotation if pick else None,
        )

    def _policy(self, facts: dict[str, Any]) -> SlaPolicy:
        for policy in self.config.sla:
            if policy.when.matches(facts):
                return policy
        raise AssertionError("config guarantees a catch-all SLA policy")


def _resolve(requirement: Requirement, facts: dict[str, Any]) -> Requirement:
    """Fill ``{field}`` placeholders from the lead; a placeholder with no value drops out."""
    if not requirement:
        return requirement

    def fill(values: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for value in values:
            if value.startswith("{") and value.endswith("}"):
                fact = facts.get(value[1:-1])
                if fact is None or fact == "":
                    continue
                value = str(fact).casefold()
            out.append(value)
        return tuple(out)

    return Requirement(skills=fill(requirement.skills), languages=fill(requirement.languages))


def _lacks(rep: Rep, needs: Requirement) -> str | None:
    for skill in needs.skills:
        if skill not in rep.skills:
            return f"skill {skill}"
    for language in needs.languages:
        if language not in rep.languages:
            return f"language {language}"
    return None


def _describe(needs: Requirement) -> str:
    parts = [f"skill {s}" for s in needs.skills] + [f"language {lang}" for lang in needs.languages]
    return ", ".join(parts)


def _span(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(moment: datetime | None, candidate: Candidate) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(candidate.rep.tz)
    return f"{local:%a %H:%M} {candidate.rep.tz.key}"
