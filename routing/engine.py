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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from routing import strategies
from routing.availability import LocalClock, Unavailable, unavailable
from routing.conditions import Prefilter, fields_of
from routing.config import OffHours, Rep, Requirement, RoutingConfig, Rule, SlaPolicy, Strategy, Team
from routing.enrich import enrich, find_account
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


@dataclass(slots=True)
class _Walk:
    """What walking a ranking found: the winner, and everyone it had to pass over on the way."""

    winner: Candidate | None = None
    passed_first: int = 0  # how many of `passed` rank ahead of the winner
    best_qualified: Candidate | None = None  # first-ranked rep who meets the requirements
    passed: list[tuple[Candidate, Unavailable]] = field(default_factory=list)
    off_hours: list[Candidate] = field(default_factory=list)


class Engine:
    """Routes leads under one compiled configuration."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._rankers = {team_id: strategies.PoolRanker(team, config.reps) for team_id, team in config.teams.items()}
        self._rule_filter = Prefilter([rule.when for rule in config.rules])
        self._rule_reasons = [Reason("rule", f"rule {rule.name}: {rule.when.describe()}") for rule in config.rules]
        self._sentences = {
            rule.name: RuleSentence(rule=rule.name, template=_rule_sentence(rule, config), fields=fields_of(rule.when))
            for rule in config.rules
        }
        self._sla = [(policy, f"SLA {policy.name}: {_span(policy.within)}") for policy in config.sla]

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
        needs, wanted = _resolve(require, facts), _resolve(prefer, facts)
        pool = state.pool(team.id) if team else _NO_POOL
        joining = strategies.joining_credits(team, pool, cfg.reps) if team else {}
        ranker = self._rankers[team.id] if team else None
        if ranker:
            ranking = ranker.rank(state.reps, pool, joining)
        else:
            ranking = Ranking.in_order([cfg.reps[r] for r in named], [state.rep(r) for r in named])
        walk = self._walk(ranking, needs, wanted, state.tried, clock, trace)
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
            return _Pick(
                winner.rep,
                rule,
                pool_id,
                strategy,
                fallback=False,
                rotation=self._rotation(team, winner, ranking, walk, pool, joining),
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
        walk: _Walk,
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
        soonest, starts = self._soonest(walk.off_hours, wanted, clock)
        if policy is OffHours.HOLD and not state.released and starts is not None:
            window = team.hold_window if team else self.config.hold_window
            trace.append(
                Reason(
                    "held",
                    f"nobody is at work (off_hours: hold): held until @{soonest.rep.id} starts "
                    f"{_when(starts, soonest.rep)}, then shared among reps starting within {_span(window)}",
                )
            )
            return _Pick(soonest.rep, rule, pool_id, strategy, fallback=False, starts_at=starts, hold=True)
        if policy is OffHours.POOL:
            winner = next((c for c in walk.off_hours if not (wanted and _lacks(c.rep, wanted))), walk.off_hours[0])
            starts = winner.rep.hours.next_open(clock.now, winner.rep.tz)
            how = f"the {strategy.replace('_', ' ')} pick @{winner.rep.id} starts"
        else:
            winner, policy = soonest, OffHours.SOONEST
            how = f"@{winner.rep.id} starts"
        trace.append(
            Reason(
                "off_hours",
                f"nobody is at work (off_hours: {policy.value}): {how} {_when(starts, winner.rep)}; "
                "the SLA counts from then",
            )
        )
        passed = _ahead_of(winner, walk.passed) if policy is OffHours.POOL else walk.passed
        return _Pick(
            winner.rep,
            rule,
            pool_id,
            strategy,
            fallback=True,
            starts_at=starts,
            rotation=self._rotation(team, winner, ranking, walk, pool, joining, passed),
        )

    def _release_pick(
        self,
        team: Team,
        passed: list[tuple[Candidate, Unavailable]],
        rule: str,
        ranking: Ranking,
        walk: _Walk,
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
                    f"@{candidate.rep.id} starts {_when(starts, candidate.rep)}, within {_span(team.hold_window)}; "
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
                rotation=self._rotation(
                    team, candidate, ranking, walk, pool, joining, _ahead_of(candidate, walk.passed)
                ),
            )
        return None

    @staticmethod
    def _walk(
        ranking: Ranking,
        needs: Requirement,
        wanted: Requirement,
        tried: frozenset[str],
        clock: LocalClock,
        trace: list[Reason],
    ) -> _Walk:
        # The hot loop of every decision: lookups and one availability check per rep, best-first,
        # stopping at the first available rep who also has what the rule prefers. Plain locals, and
        # the requirements' truth tested once, because this runs for several reps per decision.
        walk = _Walk()
        passed, off_hours = walk.passed, walk.off_hours
        check_needs, check_wanted = bool(needs), bool(wanted)
        winner = best_qualified = fallback_choice = None
        passed_first = fallback_passed = 0
        for candidate in ranking:
            rep = candidate.rep
            if check_needs and (missing := _lacks(rep, needs)):
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
            if not check_wanted or not _lacks(rep, wanted):
                winner, passed_first = candidate, len(passed)
                break
            if fallback_choice is None:
                fallback_choice, fallback_passed = candidate, len(passed)
        if winner is None and fallback_choice is not None:
            # Nobody has the preferred skill or language: the best available rep it is.
            winner, passed_first = fallback_choice, fallback_passed
        elif winner is not None and fallback_choice is not None:
            trace.append(
                Reason("preferred", f"preferred {_describe(wanted)}: @{winner.rep.id} over @{fallback_choice.rep.id}")
            )
        walk.winner, walk.passed_first = winner, passed_first
        walk.best_qualified = None if winner is not None else best_qualified
        return walk

    def _soonest(
        self, candidates: list[Candidate], wanted: Requirement, clock: LocalClock
    ) -> tuple[Candidate, datetime | None]:
        """The off-hours rep who starts first; a preferred skill or language, then rank, break ties."""
        far = clock.now + timedelta(days=365)
        starts = {c.rep.id: c.rep.hours.next_open(clock.now, c.rep.tz) for c in candidates}
        best = min(candidates, key=lambda c: (starts[c.rep.id] or far, bool(wanted and _lacks(c.rep, wanted))))
        return best, starts[best.rep.id]

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
        if needs and (missing := _lacks(backup, needs)):
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
        walk: _Walk,
        pool: PoolState,
        joining: dict[str, float],
        passed: list[tuple[Candidate, Unavailable]] | None = None,
    ) -> RotationUpdate | None:
        """The pool's next turn goes to `winner`. Credits register newcomers (at their joining credit)
        and, under weighted distribution, give each absent rep ranked ahead of the winner their share
        of this lead. Those are the reps the pool owes leads, who would get a burst on return; a rep
        ranked behind is above target, and earns credit once its absence lets it fall behind.
        `passed` is who was passed over for `winner` (default: everyone the walk passed)."""
        if team is None:
            return None
        credits = dict(joining)
        if ranking.weights:  # a weighted pool
            passed = walk.passed if passed is None else passed
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


def _resolve(requirement: Requirement, facts: dict[str, Any]) -> Requirement:
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


def _ahead_of(winner: Candidate, passed: list[tuple[Candidate, Unavailable]]) -> list[tuple[Candidate, Unavailable]]:
    """The reps of `passed` ranked ahead of `winner` (`passed` is in rank order)."""
    for i, (candidate, _why) in enumerate(passed):
        if candidate is winner:
            return passed[:i]
    return passed


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


_STRATEGY_WORDS = {
    Strategy.ROUND_ROBIN: "round robin",
    Strategy.WEIGHTED: "weighted share",
    Strategy.LEAST_LOADED: "fewest open leads",
    Strategy.PERFORMANCE: "win-rate share",
}


def _rule_sentence(rule: Rule, config: RoutingConfig) -> str:
    """ "{rule} rule ({}) → how it picks": the rep's "why you" for a lead this rule routed, with "{}"
    for the lead's values of the fields the rule read (filled in by `Decision.summary`)."""
    name = rule.name.replace("{", "{{").replace("}", "}}")
    if rule.account_owner:
        target = "the account owner"
    elif rule.rep is not None:
        target = f"@{rule.rep}"
    else:
        team = config.teams[rule.team] if rule.team is not None else None
        target = f"{_STRATEGY_WORDS[team.strategy]} in {team.name}" if team is not None else "the fallback"
    return f"{name} rule ({{}}) → {target}"


def _span(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(moment: datetime | None, rep: Rep) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(rep.tz)
    return f"{local:%a %H:%M} {rep.tz.key}"
