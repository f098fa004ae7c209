"""The routing decision: who gets this lead, now, and why.

`Engine.route(lead, state, now)` is pure and deterministic: the same input always gives the same
`Decision`. The order of work is enrich → qualify → account owner → rules (first match wins) →
availability → strategy → fallback → SLA. When nobody in the chosen pool can take the lead, the chain
is: the preferred rep's backup, then the pool's `off_hours` policy when only working hours stand in the
way (`soonest`: the rep whose shift starts first; `pool`: the strategy's pick among everyone; both count
the SLA from that rep's shift; `hold`: no rep until the first shift starts, a HELD decision), then the
fallback team, then the manager queue, so a lead never falls into a black hole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from routing import strategies
from routing.availability import LocalClock, Unavailable, unavailable
from routing.conditions import Prefilter, fields_of
from routing.config import OffHours, Rep, Requirement, RoutingConfig, Rule, SlaPolicy, Team
from routing.enrich import enrich, find_account
from routing.explain import rule_sentence, span, when, win_rate_reason
from routing.model import (
    Decision,
    Lead,
    Outcome,
    PoolState,
    Reason,
    RepState,
    RotationUpdate,
    RoutingState,
    RuleSentence,
)
from routing.strategies import Candidate, Ranking
from routing.walk import Walk, ahead_of, first_to_start, lacks, resolve, walk_ranking

_FRESH = RepState()
_NO_POOL = PoolState()


@dataclass(slots=True)
class _Pick:
    rep: Rep
    rule: str
    pool: str | None
    strategy: str
    fallback: bool
    starts_at: datetime | None = None  # for an off-hours pick: when the rep's shift starts
    rotation: RotationUpdate | None = None
    hold: bool = False  # `off_hours: hold`: nobody gets it yet; `rep` starts first, at `starts_at`


class Engine:
    """Routes leads under one compiled configuration."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._rankers = {
            team_id: strategies.PoolRanker(team, config.reps, min_sample=config.outcomes.min_sample)
            for team_id, team in config.teams.items()
        }
        self._rule_filter = Prefilter([rule.when for rule in config.rules])
        self._rule_reasons = [Reason("rule", f"rule {rule.name}: {rule.when.describe()}") for rule in config.rules]
        self._sentences = {
            rule.name: RuleSentence(rule=rule.name, template=rule_sentence(rule, config), fields=fields_of(rule.when))
            for rule in config.rules
        }
        self._sla = [(policy, f"SLA {policy.name}: {span(policy.within)}") for policy in config.sla]

    def route(self, lead: Lead, state: RoutingState, now: datetime) -> Decision:
        """Decide who gets `lead` at `now`. Never raises for any lead; always exactly one outcome."""
        cfg = self.config
        clock = LocalClock(now)
        facts = enrich(lead, cfg)
        trace: list[Reason] = []
        described = [str(facts[key]) for key in ("region", "segment", "language") if key in facts]
        if described:
            trace.append(Reason("enriched", " · ".join(described)))

        if self._below_gate(facts, trace):
            return self._decide(Outcome.NURTURE, None, facts, trace, clock, rule="qualification")

        account = find_account(facts, cfg)
        if account is not None:
            pick = self._account_owner(account.owner, account.name, state, clock, trace)
            if pick is not None:
                return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)

        for i, rest in self._rule_filter.candidates(facts):
            if rest is not None and not rest.matches(facts):
                continue
            rule = cfg.rules[i]
            if rule.account_owner and account is None:
                trace.append(Reason("no_account", f"rule {rule.name}: no known account for this domain"))
                continue
            trace.append(self._rule_reasons[i])
            owner = account.owner if account and rule.account_owner else None
            return self._route_by_rule(rule, owner, facts, state, clock, trace)

        trace.append(Reason("no_rule", "no rule matched"))
        return self._fallback(facts, state, clock, trace, tried_team=None)

    def route_to(
        self, lead: Lead, rep_id: str, state: RoutingState, now: datetime, *, chosen_by: str, exclude: frozenset[str]
    ) -> Decision:
        """A person's pick (a manager's Assign, a rep's suggested colleague): `rep_id` gets the lead if
        they can take it now, outside the rules and the rotation, so nobody loses a turn; otherwise the
        lead is routed as usual (nobody in `exclude` either) and the trace says first why the pick was
        passed over (and it is never held by `off_hours: hold`). A pick may go back to a rep who had the
        lead before (`state.tried`): only `exclude` rules them out. Raises KeyError for an unknown rep."""
        rep = self.config.reps[rep_id]
        clock = LocalClock(now)
        why = unavailable(rep, state.rep(rep_id), clock, exclude)
        if why is None:
            pick = _Pick(rep, "suggested", None, "suggested", fallback=False)
            trace = [Reason("suggested", f"suggested by @{chosen_by}", rep_id)]
            return self._decide(Outcome.ASSIGNED, pick, enrich(lead, self.config), trace, clock)
        # Routed as usual, but never held off hours: a person chose to route it now.
        decision = self.route(lead, replace(state, tried=state.tried | exclude, released=True), now)
        passed_over = Reason("suggestion", f"suggested @{rep_id} cannot take it: {why.text}", rep_id)
        return replace(decision, reasons=(passed_over, *decision.reasons))

    # --- the steps ---------------------------------------------------------------------------------

    def _below_gate(self, facts: dict[str, Any], trace: list[Reason]) -> bool:
        gate = self.config.qualification
        if gate.min_score is None:
            return False
        score = facts.get(gate.field)
        if not isinstance(score, int | float) or isinstance(score, bool):
            if gate.nurture_missing:
                trace.append(Reason("nurture", f"no {gate.field}: sent to nurture"))
                return True
            return False
        if score < gate.min_score:
            trace.append(Reason("nurture", f"{gate.field} {score:g} is below {gate.min_score:g}: sent to nurture"))
            return True
        return False

    def _account_owner(
        self, owner_id: str, account: str, state: RoutingState, clock: LocalClock, trace: list[Reason]
    ) -> _Pick | None:
        owner = self.config.reps[owner_id]
        why = unavailable(owner, state.rep(owner_id), clock, state.tried)
        if why is None:
            trace.append(Reason("account_owner", f"account owner of {account}"))
            return _Pick(owner, "account_owner", None, "account_owner", fallback=False)
        trace.append(Reason("skipped", f"skipped account owner @{owner_id}: {why.text}", owner_id))
        return self._backup_for(owner, why, Requirement(), state, clock, trace, rule="account_owner")

    def _route_by_rule(
        self,
        rule: Rule,
        owner: str | None,
        facts: dict[str, Any],
        state: RoutingState,
        clock: LocalClock,
        trace: list[Reason],
    ) -> Decision:
        team = self.config.teams.get(rule.team) if rule.team else None
        target = owner or rule.rep
        pick = self._pick(
            team,
            (target,) if target else (),
            rule.name,
            rule.require,
            rule.prefer,
            facts,
            state,
            clock,
            trace,
        )
        if pick is not None:
            return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)
        return self._fallback(facts, state, clock, trace, tried_team=team.id if team else None)

    def _fallback(
        self,
        facts: dict[str, Any],
        state: RoutingState,
        clock: LocalClock,
        trace: list[Reason],
        tried_team: str | None,
    ) -> Decision:
        cfg = self.config
        if cfg.fallback_team and cfg.fallback_team != tried_team:
            team = cfg.teams[cfg.fallback_team]
            trace.append(Reason("fallback", f"fallback team {team.name}"))
            pick = self._pick(team, (), "fallback", Requirement(), Requirement(), facts, state, clock, trace)
            if pick is not None:
                pick.fallback = True
                return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)
        elif cfg.fallback_rep:
            trace.append(Reason("fallback", f"fallback rep @{cfg.fallback_rep}"))
            pick = self._pick(
                None,
                (cfg.fallback_rep,),
                "fallback",
                Requirement(),
                Requirement(),
                facts,
                state,
                clock,
                trace,
            )
            if pick is not None:
                pick.fallback = True
                return self._decide(Outcome.ASSIGNED, pick, facts, trace, clock)
        queue = tried_team or cfg.fallback_team
        manager = cfg.teams[queue].manager if queue else None
        trace.append(Reason("queued", "nobody can take it: manager queue" + (f" (@{manager})" if manager else "")))
        return self._decide(Outcome.QUEUED, None, facts, trace, clock, rule="manager_queue", pool=queue)

    def _pick(
        self,
        team: Team | None,
        named: Sequence[str],
        rule: str,
        require: Requirement,
        prefer: Requirement,
        facts: dict[str, Any],
        state: RoutingState,
        clock: LocalClock,
        trace: list[Reason],
    ) -> _Pick | None:
        """The best available rep of the team (or the named reps); else the preferred rep's backup;
        else, when only working hours stand in the way, what the `off_hours` policy says (a hold is a
        pick with `hold` set). A lead released from a hold may go to a rep ranked ahead of anyone at
        work who starts within the hold window. None if nobody at all."""
        cfg = self.config
        needs, wanted = resolve(require, facts), resolve(prefer, facts)
        pool = state.pool(team.id) if team else _NO_POOL
        joining = strategies.joining_credits(team, pool, cfg.reps) if team else {}
        ranker = self._rankers[team.id] if team else None
        if ranker:
            ranking = ranker.rank(state.reps, pool, joining)
        else:
            ranking = Ranking.in_order([cfg.reps[r] for r in named], [state.rep(r) for r in named])
        walk = walk_ranking(ranking, needs, wanted, state.tried, clock, trace)
        strategy = team.strategy.value if team else "named_rep"
        pool_id = team.id if team else None

        if walk.winner is not None:
            winner = walk.winner
            ahead = walk.passed[: walk.passed_first]
            if state.released and team is not None:
                early = self._release_pick(team, ahead, rule, ranking, walk, pool, joining, clock, trace)
                if early is not None:
                    return early
            for candidate, why in ahead:
                trace.append(Reason("skipped", f"skipped @{candidate.rep.id}: {why.text}", candidate.rep.id))
            if ranker:
                trace.append(Reason("strategy", ranker.describe(winner, ranking, pool)))
                if ranker.uses_win_rates:
                    trace.append(
                        win_rate_reason(ranker, winner.rep.id, winner.state, self.config.outcomes.performance_window)
                    )
            return _Pick(
                winner.rep,
                rule,
                pool_id,
                strategy,
                fallback=False,
                rotation=self._rotation(team, winner, ranking, walk.passed, pool, joining),
            )

        if state.released and team is not None and walk.off_hours:
            early = self._release_pick(team, walk.passed, rule, ranking, walk, pool, joining, clock, trace)
            if early is not None:
                return early
        for candidate, why in walk.passed:
            trace.append(Reason("skipped", f"skipped @{candidate.rep.id}: {why.text}", candidate.rep.id))
        if walk.best_qualified is not None:
            preferred = walk.best_qualified
            why = next(w for c, w in walk.passed if c is preferred)
            backup = self._backup_for(preferred.rep, why, needs, state, clock, trace, rule=rule)
            if backup is not None:
                return backup
        if walk.off_hours:
            return self._off_hours(team, rule, wanted, ranking, walk, pool, joining, state, clock, trace)
        return None

    def _off_hours(
        self,
        team: Team | None,
        rule: str,
        wanted: Requirement,
        ranking: Ranking,
        walk: Walk,
        pool: PoolState,
        joining: dict[str, float],
        state: RoutingState,
        clock: LocalClock,
        trace: list[Reason],
    ) -> _Pick:
        """Nobody who could take the lead is at work: apply the pool's `off_hours` policy.

        `soonest` gives it to the rep who starts first; `pool` to the rep the strategy ranks first
        (a preferred skill or language first); both count the SLA from that rep's shift. `hold` keeps it
        for everyone until the first shift starts (a lead being released is never held again)."""
        policy = team.off_hours if team else self.config.off_hours
        strategy = team.strategy.value if team else "named_rep"
        pool_id = team.id if team else None
        soonest, starts = first_to_start(walk.off_hours, wanted, clock)
        if policy is OffHours.HOLD and not state.released and starts is not None:
            window = team.hold_window if team else self.config.hold_window
            trace.append(
                Reason(
                    "held",
                    f"nobody is at work (off_hours: hold): held until @{soonest.rep.id} starts "
                    f"{when(starts, soonest.rep)}, then shared among reps starting within {span(window)}",
                )
            )
            return _Pick(soonest.rep, rule, pool_id, strategy, fallback=False, starts_at=starts, hold=True)
        if policy is OffHours.POOL:
            winner = next((c for c in walk.off_hours if not (wanted and lacks(c.rep, wanted))), walk.off_hours[0])
            starts = winner.rep.hours.next_open(clock.now, winner.rep.tz)
            how = f"the {strategy.replace('_', ' ')} pick @{winner.rep.id} starts"
        else:
            winner, policy = soonest, OffHours.SOONEST
            how = f"@{winner.rep.id} starts"
        trace.append(
            Reason(
                "off_hours",
                f"nobody is at work (off_hours: {policy.value}): {how} {when(starts, winner.rep)}; "
                "the SLA counts from then",
            )
        )
        passed = ahead_of(winner, walk.passed) if policy is OffHours.POOL else walk.passed
        return _Pick(
            winner.rep,
            rule,
            pool_id,
            strategy,
            fallback=True,
            starts_at=starts,
            rotation=self._rotation(team, winner, ranking, passed, pool, joining),
        )

    def _release_pick(
        self,
        team: Team,
        passed: list[tuple[Candidate, Unavailable]],
        rule: str,
        ranking: Ranking,
        walk: Walk,
        pool: PoolState,
        joining: dict[str, float],
        clock: LocalClock,
        trace: list[Reason],
    ) -> _Pick | None:
        """For a held lead being released: the best-ranked rep in `passed` (ranked ahead of anyone at
        work) who is off hours only and starts within the team's hold window, so a night's backlog is
        shared by weight among the morning's first shifts. None if there is nobody such."""
        horizon = clock.now + team.hold_window
        for candidate, why in passed:
            if why.code != "off_hours":
                continue
            starts = candidate.rep.hours.next_open(clock.now, candidate.rep.tz)
            if starts is None or starts > horizon:
                continue
            trace.append(
                Reason(
                    "released",
                    f"released from hold (off_hours: hold): the {team.strategy.value.replace('_', ' ')} pick "
                    f"@{candidate.rep.id} starts {when(starts, candidate.rep)}, within {span(team.hold_window)}; "
                    "the SLA counts from then",
                )
            )
            return _Pick(
                candidate.rep,
                rule,
                team.id,
                team.strategy.value,
                fallback=False,
                starts_at=starts,
                rotation=self._rotation(team, candidate, ranking, ahead_of(candidate, walk.passed), pool, joining),
            )
        return None

    def _backup_for(
        self,
        rep: Rep,
        why: Unavailable,
        needs: Requirement,
        state: RoutingState,
        clock: LocalClock,
        trace: list[Reason],
        rule: str,
    ) -> _Pick | None:
        if rep.backup is None:
            return None
        backup = self.config.reps[rep.backup]
        if needs and (missing := lacks(backup, needs)):
            trace.append(Reason("skipped", f"skipped backup @{backup.id}: no {missing}", backup.id))
            return None
        backup_why = unavailable(backup, state.rep(backup.id), clock, state.tried)
        if backup_why is not None:
            trace.append(Reason("skipped", f"skipped backup @{backup.id}: {backup_why.text}", backup.id))
            return None
        trace.append(Reason("backup", f"@{backup.id} covers for @{rep.id} ({why.text})", backup.id))
        return _Pick(backup, rule, None, "backup", fallback=True)

    def _rotation(
        self,
        team: Team | None,
        winner: Candidate,
        ranking: Ranking,
        passed: list[tuple[Candidate, Unavailable]],
        pool: PoolState,
        joining: dict[str, float],
    ) -> RotationUpdate | None:
        """The pool's next turn goes to `winner`. Credits register newcomers (at their joining credit)
        and, under weighted distribution, give each absent rep ranked ahead of the winner their share
        of this lead. Those are the reps the pool owes leads, who would get a burst on return; a rep
        ranked behind is above target, and earns credit once its absence lets it fall behind.
        `passed` is who was passed over for `winner` (a walk's winner: everyone the walk passed)."""
        if team is None:
            return None
        credits = dict(joining)
        if ranking.weights:  # a weighted pool
            absent = [c for c, why in passed if why.code != "tried" and c is not winner]
            present = ranking.total_weight - sum(ranking.weights[c.position] for c in absent)
            for candidate in absent:
                rep_id = candidate.rep.id
                credits[rep_id] = credits.get(rep_id, 0.0) + ranking.weights[candidate.position] / present
        return RotationUpdate(pool=team.id, rep=winner.rep.id, turn=pool.turn + 1, credits=credits)

    def _decide(
        self,
        outcome: Outcome,
        pick: _Pick | None,
        facts: dict[str, Any],
        trace: list[Reason],
        clock: LocalClock,
        rule: str | None = None,
        pool: str | None = None,
    ) -> Decision:
        now = clock.now
        if pick is not None and pick.hold:
            # Held: nobody has it, so no SLA runs yet; it starts when the lead is released and routed.
            return Decision(
                outcome=Outcome.HELD,
                rep=None,
                rule=pick.rule,
                pool=pick.pool,
                strategy=pick.strategy,
                fallback=False,
                sla=None,
                due_at=None,
                remind_at=None,
                reasons=tuple(trace),
                facts=facts,
                starts_at=pick.starts_at,
                because=self._sentences.get(pick.rule) if pick.rule else None,
            )
        policy, headline = self._policy(facts) if outcome is not Outcome.NURTURE else (None, "")
        due_at = remind_at = None
        if policy is not None:
            start = pick.starts_at if pick and pick.starts_at else now
            if pick is not None and policy.business_hours:
                hours, tz = pick.rep.hours, pick.rep.tz
                due_at = hours.add_business_time(start, policy.within, tz) or start + policy.within
                if policy.remind_at is not None:
                    remind_at = hours.add_business_time(start, policy.within * policy.remind_at, tz)
                trace.append(Reason("sla", f"{headline} of @{pick.rep.id}'s working time"))
            else:
                due_at = start + policy.within
                if policy.remind_at is not None:
                    remind_at = start + policy.within * policy.remind_at
                trace.append(Reason("sla", headline))
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
            reasons=tuple(trace),
            facts=facts,
            rotation=pick.rotation if pick else None,
            starts_at=pick.starts_at if pick else None,
            because=self._sentences.get(pick.rule) if pick and pick.rule else None,
        )

    def _policy(self, facts: dict[str, Any]) -> tuple[SlaPolicy, str]:
        """The lead's SLA policy, and how the explanation names it ("SLA demo: 5m")."""
        for policy, headline in self._sla:
            if policy.when.matches(facts):
                return policy, headline
        raise AssertionError("config guarantees a catch-all SLA policy")
