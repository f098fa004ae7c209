"""The `off_hours` policy: who gets a lead when nobody in the pool is at work, and when its SLA starts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from routing import ConfigError, Engine, Lead, Outcome, RepState, RotationUpdate, RoutingState, Window, parse_config

TEAM = """
working_hours: "mon-fri 09:00-17:00"
off_hours: {policy}
hold_window: {window}
reps:
  - {{id: ny1, name: N1, timezone: America/New_York}}
  - {{id: berlin, name: B, timezone: Europe/Berlin}}
  - {{id: ny2, name: N2, timezone: America/New_York}}
teams:
  - {{id: inbound, members: [ny1, berlin, ny2], strategy: weighted}}
rules: [{{name: all, route: {{team: inbound}}}}]
sla: [{{name: general, within: 1h}}]
fallback: {{team: inbound}}
"""
NIGHT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday: 04:00 in Berlin, 22:00 Monday in New York
BERLIN_STARTS = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
NY_STARTS = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
LEAD = Lead(email="a@shop.com", country="US")


def engine(policy: str, window: str = "2h") -> Engine:
    return Engine(parse_config(TEAM.format(policy=policy, window=window)))


def test_soonest_gives_the_night_to_the_first_shift_and_says_so() -> None:
    decision = engine("soonest").route(LEAD, RoutingState(), NIGHT)
    assert (decision.rep, decision.starts_at, decision.due_at) == (
        "berlin",
        BERLIN_STARTS,
        BERLIN_STARTS.replace(hour=9),
    )
    off = next(r for r in decision.reasons if r.code == "off_hours")
    assert off.text.startswith("nobody is at work (off_hours: soonest): @berlin starts Tue 09:00 Europe/Berlin")


def test_pool_lets_the_strategy_pick_among_everyone_with_the_sla_from_that_reps_shift() -> None:
    decision = engine("pool").route(LEAD, RoutingState(), NIGHT)
    assert (decision.rep, decision.starts_at, decision.due_at) == ("ny1", NY_STARTS, NY_STARTS.replace(hour=15))
    assert "off_hours: pool" in decision.summary
    # The next night lead goes to the next rep in the rotation, not to the same early bird.
    state = RoutingState().after(decision, NIGHT)
    assert engine("pool").route(LEAD, state, NIGHT).rep == "berlin"


def test_hold_gives_nobody_the_lead_until_the_first_shift() -> None:
    decision = engine("hold", "7h").route(LEAD, RoutingState(), NIGHT)
    assert decision.outcome is Outcome.HELD and decision.rep is None and decision.due_at is None
    assert decision.starts_at == BERLIN_STARTS and decision.rotation is None
    assert "off_hours: hold" in decision.summary and "within 7h" in decision.summary


@pytest.mark.parametrize(("window", "rep", "starts"), [("7h", "ny1", NY_STARTS), ("2h", "berlin", None)])
def test_a_released_lead_is_shared_among_reps_starting_within_the_window(
    window: str, rep: str, starts: datetime | None
) -> None:
    released = replace(RoutingState(), released=True)
    decision = engine("hold", window).route(LEAD, released, BERLIN_STARTS)
    assert decision.outcome is Outcome.ASSIGNED and (decision.rep, decision.starts_at) == (rep, starts)
    if starts is not None:
        assert decision.due_at == NY_STARTS.replace(hour=15)
        assert any(r.code == "released" for r in decision.reasons)


def test_a_released_lead_with_nobody_at_work_is_never_held_again() -> None:
    decision = engine("hold").route(LEAD, replace(RoutingState(), released=True), NIGHT)
    assert (decision.outcome, decision.rep) == (Outcome.ASSIGNED, "berlin")


def test_a_team_overrides_the_default_and_a_bad_policy_is_named_with_its_path() -> None:
    text = TEAM.format(policy="soonest", window="2h").replace(
        "strategy: weighted}", "strategy: weighted, off_hours: hold}"
    )
    assert parse_config(text).teams["inbound"].off_hours.value == "hold"
    with pytest.raises(ConfigError, match=r"teams\[0\]\.off_hours"):
        parse_config(text.replace("off_hours: hold}", "off_hours: later}"))
    with pytest.raises(ConfigError, match="hold_window: expected a duration"):
        parse_config(TEAM.format(policy="hold", window="soon"))


def test_a_held_decision_names_the_pool_rule_and_first_shift_and_has_no_rep() -> None:
    decision = engine("hold", "7h").route(LEAD, RoutingState(), NIGHT)
    assert (decision.outcome, decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        Outcome.HELD,
        None,
        "all",
        "inbound",
        "weighted",
        False,
    )
    assert decision.reasons[-1] == (
        "held",
        "nobody is at work (off_hours: hold): held until @berlin starts Tue 09:00 Europe/Berlin, "
        "then shared among reps starting within 7h",
        None,
    )
    assert decision.summary.startswith("all rule (any lead) → weighted share in inbound; nobody is at work")
    assert decision.facts["country"] == "US"


def test_a_named_rep_off_hours_is_held_under_the_default_policy_as_a_named_rep_pick() -> None:
    text = TEAM.format(policy="hold", window="2h").replace("route: {team: inbound}", "route: {rep: ny1}")
    decision = Engine(parse_config(text)).route(LEAD, RoutingState(), NIGHT)
    assert (decision.outcome, decision.pool, decision.strategy, decision.starts_at) == (
        Outcome.HELD,
        None,
        "named_rep",
        NY_STARTS,
    )


def test_a_teams_own_policy_and_hold_window_override_the_defaults() -> None:
    text = TEAM.format(policy="soonest", window="2h").replace(
        "strategy: weighted}", "strategy: weighted, off_hours: hold, hold_window: 5h}"
    )
    decision = Engine(parse_config(text)).route(LEAD, RoutingState(), NIGHT)
    assert decision.outcome is Outcome.HELD
    assert decision.reasons[-1].text.endswith("then shared among reps starting within 5h")


RELEASE = """
working_hours: "mon-fri 09:00-17:00"
off_hours: hold
reps:
  - {id: away, name: Away, timezone: America/New_York}
  - {id: late, name: Late, working_hours: "mon-fri 16:00-17:00"}
  - {id: ny1, name: N1, timezone: America/New_York}
  - {id: ny2, name: N2, timezone: America/New_York}
  - {id: berlin, name: B, timezone: Europe/Berlin}
teams:
  - {id: inbound, members: [away, late, ny1, ny2, berlin], strategy: weighted, hold_window: 6h}
rules: [{name: all, route: {team: inbound}}]
sla: [{name: general, within: 1h}]
fallback: {team: inbound}
"""


def test_a_release_skips_reps_away_or_starting_after_the_window_and_credits_those_ranked_ahead() -> None:
    # At 08:00 UTC berlin is at work, but the pool ranks three reps ahead: away (on PTO), late (starts at
    # 16:00, after the 6h window) and ny1 (starts at 14:00, exactly at the window's end): ny1 gets it.
    away = RepState(pto=(Window(NIGHT - timedelta(days=1), NIGHT + timedelta(days=1)),))
    decision = Engine(parse_config(RELEASE)).route(
        LEAD, RoutingState(reps={"away": away}, released=True), BERLIN_STARTS
    )
    assert (decision.outcome, decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        Outcome.ASSIGNED,
        "ny1",
        "all",
        "inbound",
        "weighted",
        False,
    )
    assert (decision.starts_at, decision.due_at) == (NY_STARTS, NY_STARTS.replace(hour=15))
    assert decision.reasons[-2] == (
        "released",
        "released from hold (off_hours: hold): the weighted pick @ny1 starts Tue 09:00 America/New_York, "
        "within 6h; the SLA counts from then",
        None,
    )
    # The two reps passed over ahead of ny1 are owed their share (1 of the 3 present); ny2 (off hours
    # too, but ranked behind ny1) and berlin are owed nothing.
    assert decision.rotation == RotationUpdate(
        pool="inbound", rep="ny1", turn=1, credits={"away": 1 / 3, "late": 1 / 3, "ny1": 0.0, "ny2": 0.0, "berlin": 0.0}
    )


POOL_GERMAN = TEAM.format(policy="pool", window="2h").replace(
    "timezone: Europe/Berlin}", "timezone: Europe/Berlin, languages: [en, de]}"
)


@pytest.mark.parametrize(("language", "rep", "credits"), [("de", "berlin", {"ny1": 0.5}), ("ja", "ny1", {})])
def test_pool_prefers_the_first_ranked_rep_with_the_preferred_language_else_the_first_ranked(
    language: str, rep: str, credits: dict[str, float]
) -> None:
    text = POOL_GERMAN.replace(
        "route: {team: inbound}", f"route: {{team: inbound}}, prefer: {{languages: [{language}]}}"
    )
    decision = Engine(parse_config(text)).route(LEAD, RoutingState(), NIGHT)
    assert (decision.rep, decision.fallback) == (rep, True)
    # Only the reps ranked ahead of the pick are owed a share of the lead.
    assert decision.rotation == RotationUpdate(
        pool="inbound", rep=rep, turn=1, credits={"ny1": 0.0, "berlin": 0.0, "ny2": 0.0, **credits}
    )


def test_soonest_is_outside_the_ranking_so_every_rep_it_passed_is_owed_a_share() -> None:
    decision = engine("soonest").route(LEAD, RoutingState(), NIGHT)
    assert decision.rotation == RotationUpdate(
        pool="inbound", rep="berlin", turn=1, credits={"ny1": 1.0, "berlin": 0.0, "ny2": 1.0}
    )


def test_a_pool_pick_off_hours_names_the_strategy_in_words() -> None:
    text = TEAM.format(policy="pool", window="2h").replace("strategy: weighted", "strategy: round_robin")
    decision = Engine(parse_config(text)).route(LEAD, RoutingState(), NIGHT)
    assert decision.reasons[-2] == (
        "off_hours",
        "nobody is at work (off_hours: pool): the round robin pick @ny1 starts Tue 09:00 America/New_York; "
        "the SLA counts from then",
        None,
    )


def test_a_persons_pick_that_cannot_take_it_is_routed_now_and_never_held() -> None:
    decision = engine("hold").route_to(LEAD, "ny1", RoutingState(), NIGHT, chosen_by="boss", exclude=frozenset())
    assert (decision.outcome, decision.rep, decision.starts_at) == (Outcome.ASSIGNED, "berlin", BERLIN_STARTS)
    assert decision.reasons[0] == ("suggestion", "suggested @ny1 cannot take it: outside working hours", "ny1")


def test_a_lead_released_before_anyone_is_at_work_goes_to_the_first_shift_in_the_window_not_as_a_fallback() -> None:
    # 07:30 UTC, window 6h: only berlin (08:00) starts within it; the four ranked ahead are passed over.
    decision = Engine(parse_config(RELEASE)).route(
        LEAD, RoutingState(released=True), BERLIN_STARTS - timedelta(minutes=30)
    )
    assert (decision.outcome, decision.rep, decision.rule, decision.fallback, decision.starts_at) == (
        Outcome.ASSIGNED,
        "berlin",
        "all",
        False,
        BERLIN_STARTS,
    )
    assert decision.reasons[-2].code == "released"
    assert decision.rotation == RotationUpdate(
        pool="inbound", rep="berlin", turn=1, credits={"away": 1.0, "late": 1.0, "ny1": 1.0, "ny2": 1.0, "berlin": 0.0}
    )


def test_a_lead_not_being_released_goes_to_the_rep_at_work_though_others_start_within_the_window() -> None:
    decision = Engine(parse_config(RELEASE)).route(LEAD, RoutingState(), BERLIN_STARTS)
    assert (decision.rep, decision.starts_at, decision.fallback) == ("berlin", None, False)


def test_a_release_names_the_strategy_in_words() -> None:
    away = RepState(pto=(Window(NIGHT - timedelta(days=1), NIGHT + timedelta(days=1)),))
    engine = Engine(parse_config(RELEASE.replace("strategy: weighted", "strategy: least_loaded")))
    decision = engine.route(LEAD, RoutingState(reps={"away": away}, released=True), BERLIN_STARTS)
    assert decision.reasons[-2].text.startswith("released from hold (off_hours: hold): the least loaded pick @ny1 ")
