"""Warnings for `leadrelay check`: configurations that load but will not route as their author meant."""

from __future__ import annotations

from routing import conditions
from routing.config import RoutingConfig, Strategy


def warnings(config: RoutingConfig) -> list[str]:
    """Human-readable warnings, each starting with the path it concerns, in file order."""
    return [
        *_shadowed_rules(config),
        *_reps_without_team(config),
        *_teams_never_available(config),
        *_teams_nobody_hears(config),
        *_win_rates_without_outcomes(config),
    ]


def _win_rates_without_outcomes(config: RoutingConfig) -> list[str]:
    """A team ranked by win rate when nothing reports outcomes: every rep has the prior, so the
    strategy is a plain weighted share (or the tie-break does nothing)."""
    if config.outcomes.source is not None:
        return []
    return [
        f"teams[{index}] ({team.id}): ranks by win rate, but no outcome source is configured "
        "(outcomes.source): every rep has the same prior rate until outcomes arrive"
        for index, team in enumerate(config.teams.values())
        if Strategy.PERFORMANCE in (team.strategy, *team.tie_breaks)
    ]


def _shadowed_rules(config: RoutingConfig) -> list[str]:
    out: list[str] = []
    for later in config.rules:
        for earlier in config.rules[: later.index]:
            # An account-owner rule steps aside when no account matches, so it shadows nothing.
            if not earlier.account_owner and conditions.implies(later.when, earlier.when):
                out.append(
                    f"rules[{later.index}] ({later.name}): can never match; rules[{earlier.index}] "
                    f"({earlier.name}) catches every lead it would"
                )
                break
    return out


def _reps_without_team(config: RoutingConfig) -> list[str]:
    reached = {rule.rep for rule in config.rules if rule.rep}
    reached |= {account.owner for account in config.accounts.values()}
    reached |= {config.fallback_rep} if config.fallback_rep else set()
    out = []
    for index, rep in enumerate(config.reps.values()):
        if rep.id in config.teams_of or not rep.active:
            continue
        how = (
            "only named rules, accounts or the fallback reach them"
            if rep.id in reached
            else ("no team, rule or account reaches them, so they will never get a lead")
        )
        out.append(f"reps[{index}] ({rep.id}): belongs to no team; {how}")
    return out


def _teams_nobody_hears(config: RoutingConfig) -> list[str]:
    out = []
    for index, team in enumerate(config.teams.values()):
        if team.channel is None and team.manager is None:
            out.append(
                f"teams[{index}] ({team.id}): no channel and no manager, so its escalations reach nobody; "
                "set one of them"
            )
    return out


def _teams_never_available(config: RoutingConfig) -> list[str]:
    out = []
    for index, team in enumerate(config.teams.values()):
        reps = [config.reps[member] for member in team.members]
        if any(rep.active and rep.capacity > 0 and not rep.hours.is_empty and rep.daily_cap != 0 for rep in reps):
            continue
        out.append(
            f"teams[{index}] ({team.id}): nobody could ever be available (inactive, no capacity, "
            "or no working hours); its leads will always fall back"
        )
    return out
