"""The words of a decision's explanation: requirements, a rule's "why you" sentence, spans and local
times, and what a win rate was based on, as the trace and the rep's DM give them."""

from __future__ import annotations

from datetime import datetime, timedelta

from routing.config import Rep, Requirement, RoutingConfig, Rule, Strategy
from routing.model import Reason, RepState
from routing.strategies import PoolRanker


def describe(needs: Requirement) -> str:
    parts = [f"skill {s}" for s in needs.skills] + [f"language {lang}" for lang in needs.languages]
    return ", ".join(parts)


_STRATEGY_WORDS = {
    Strategy.ROUND_ROBIN: "round robin",
    Strategy.WEIGHTED: "weighted share",
    Strategy.LEAST_LOADED: "fewest open leads",
    Strategy.PERFORMANCE: "win-rate share",
}


def rule_sentence(rule: Rule, config: RoutingConfig) -> str:
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


def win_rate_reason(ranker: PoolRanker, rep_id: str, state: RepState, window: timedelta) -> Reason:
    """What a rep's win rate was based on, for the "why" of a team that ranks by it: their won / closed
    in the window, or the prior when they have closed fewer than the team's minimum sample there."""
    rate, closed, within = ranker.win_rate(state), state.closed, f"in {days(window)}"
    if closed < ranker.min_sample:
        text = f"@{rep_id}'s win rate {rate:.0%} is the prior: {closed} closed {within}, fewer than {ranker.min_sample}"
    else:
        text = f"@{rep_id}'s win rate {rate:.0%}: {state.won} won of {closed} closed {within}, smoothed"
    return Reason("win_rate", text, rep_id)


def days(duration: timedelta) -> str:
    """A window in whole days when it is one ("90d"), else as `span` says it."""
    return (
        f"{duration.days}d"
        if duration >= timedelta(days=1) and duration % timedelta(days=1) == timedelta(0)
        else span(duration)
    )


def span(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def when(moment: datetime | None, rep: Rep) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(rep.tz)
    return f"{local:%a %H:%M} {rep.tz.key}"
