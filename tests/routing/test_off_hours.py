"""The `off_hours` policy: who gets a lead when nobody in the pool is at work, and when its SLA starts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from routing import ConfigError, Engine, Lead, Outcome, RoutingState, parse_config

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
