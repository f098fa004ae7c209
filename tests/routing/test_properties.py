"""Properties that hold for every lead, state and moment (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import Engine, Lead, Outcome, RepState, RoutingState, Window
from routing.availability import LocalClock, unavailable
from tests.routing.test_strategies import run, team_engine

REPS = ["dieter", "emma", "ethan", "erin", "mia", "max", "mo", "ivy", "kenji", "priya", "paul", "fran"]
text = st.one_of(st.none(), st.text(max_size=20))

leads = st.builds(
    Lead,
    email=st.one_of(st.none(), st.emails(), st.sampled_from(["a@globex.com", "b@gmail.com", "c@x.initech.com"])),
    company=text,
    domain=st.one_of(st.none(), st.sampled_from(["globex.com", "www.initech.com", "nope", ""])),
    country=st.one_of(st.none(), st.sampled_from(["DE", "Germany", "JP", "US", "FR", "BR", "zz", ""])),
    employees=st.one_of(st.none(), st.integers(0, 100_000)),
    industry=st.one_of(st.none(), st.sampled_from(["fintech", "healthcare", "Retail"])),
    source=st.one_of(st.none(), st.sampled_from(["partner", "web", "event"])),
    intent=st.one_of(st.none(), st.sampled_from(["demo", "pricing", "content", "general"])),
    score=st.one_of(st.none(), st.floats(0, 100)),
    extra=st.dictionaries(
        st.sampled_from(["budget", "urgency", "notes"]),
        st.sampled_from(["confirmed", "high", "<!channel>"]),
        max_size=3,
    ),
)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@st.composite
def states(draw: st.DrawFn) -> RoutingState:
    reps = {}
    for rep in draw(st.lists(st.sampled_from(REPS), unique=True)):
        start = draw(moments)
        pto = (Window(start, start + timedelta(days=draw(st.integers(1, 20)))),) if draw(st.booleans()) else ()
        reps[rep] = RepState(
            open_load=draw(st.integers(0, 30)),
            assigned_today=draw(st.integers(0, 30)),
            pto=pto,
            paused=draw(st.booleans()),
            capacity_override=draw(st.one_of(st.none(), st.integers(0, 40))),
        )
    tried = frozenset(draw(st.lists(st.sampled_from(REPS), max_size=4)))
    return RoutingState(reps=reps, tried=tried)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(lead=leads, state=states(), now=moments)
def test_every_lead_gets_exactly_one_outcome_and_never_an_unavailable_rep_silently(
    engine: Engine, lead: Lead, state: RoutingState, now: datetime
) -> None:
    decision = engine.route(lead, state, now)
    assert decision.outcome in Outcome
    assert (decision.rep is None) == (decision.outcome is not Outcome.ASSIGNED)
    assert decision.reasons, "every decision explains itself"
    if decision.outcome is Outcome.ASSIGNED:
        assert decision.due_at is not None and decision.due_at > now
        why = unavailable(engine.config.reps[decision.rep], state.rep(decision.rep), LocalClock(now), state.tried)
        if why is not None:
            assert decision.fallback, f"@{decision.rep} is unavailable ({why.text}) but not marked fallback"
            assert why.off_hours_only, "only an off-hours rep may be picked, and only as a fallback"
    assert engine.route(lead, state, now) == decision  # deterministic


@settings(max_examples=25, deadline=None)
@given(weights=st.lists(st.integers(1, 5), min_size=2, max_size=6))
def test_weighted_shares_stay_within_5_percent_of_weights_over_1000_leads(weights: list[int]) -> None:
    members = {f"r{i}": float(w) for i, w in enumerate(weights)}
    counts, _ = run(team_engine("weighted", members), 1000)
    total = sum(members.values())
    for rep, weight in members.items():
        assert abs(counts[rep] / 1000 - weight / total) <= 0.05, (counts, members)


@settings(max_examples=25, deadline=None)
@given(reps=st.integers(1, 12), leads=st.integers(1, 200))
def test_round_robin_over_equal_reps_is_exact_to_within_one(reps: int, leads: int) -> None:
    counts, _ = run(team_engine("round_robin", {f"r{i}": 1.0 for i in range(reps)}), leads)
    per_rep = [counts[f"r{i}"] for i in range(reps)]
    assert max(per_rep) - min(per_rep) <= 1, per_rep
