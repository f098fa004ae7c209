"""Distribution strategies, including scenarios ported from peers' own test suites."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from routing import Engine, Lead, PoolMember, PoolState, RepState, RoutingState, Window, parse_config
from tests.routing.conftest import MONDAY_10_NY


def team_engine(strategy: str, members: dict[str, float], extra: str = "") -> Engine:
    reps = "\n".join(
        f"  - {{id: {rep}, name: {rep}, weight: {weight}, capacity: 1000}}" for rep, weight in members.items()
    )
    return Engine(
        parse_config(f"""
working_hours: always
reps:
{reps}
teams:
  - {{id: pool, members: [{", ".join(members)}], strategy: {strategy}{extra}}}
sla: [{{name: default, within: 1h}}]
fallback: {{team: pool}}
""")
    )


def run(
    engine: Engine, leads: int, state: RoutingState | None = None, release: dict[str, int] | None = None
) -> tuple[Counter[str], RoutingState]:
    state = state or RoutingState()
    counts: Counter[str] = Counter()
    for i in range(leads):
        now = MONDAY_10_NY + timedelta(seconds=i)
        decision = engine.route(Lead(email=f"lead{i}@example.com"), state, now)
        assert decision.rep is not None
        counts[decision.rep] += 1
        state = state.after(decision, now)
    return counts, state


def test_round_robin_is_exact_and_a_skipped_rep_keeps_their_turn() -> None:
    engine = team_engine("round_robin", {"a": 1, "b": 1, "c": 1})
    counts, state = run(engine, 3)
    assert counts == {"a": 1, "b": 1, "c": 1}
    # b goes on PTO for two leads: a and c share them; on return b is next in line, not last.
    away = Window(MONDAY_10_NY, MONDAY_10_NY + timedelta(minutes=1))
    on_pto = replace(state, reps={**state.reps, "b": replace(state.rep("b"), pto=(away,))})
    counts, state = run(engine, 2, on_pto)
    assert counts == {"a": 1, "c": 1}
    back = replace(state, reps={**state.reps, "b": replace(state.rep("b"), pto=())})
    decision = engine.route(Lead(email="x@y.com"), back, MONDAY_10_NY + timedelta(hours=1))
    assert decision.rep == "b"
    assert decision.summary.endswith("round robin: next after @c")


def test_frappe_load_balancing_refills_the_rep_whose_items_closed() -> None:
    # frappe/automation/doctype/assignment_rule/test_assignment_rule.py::test_load_balancing
    engine = team_engine("least_loaded", {"test": 1, "test1": 1, "test2": 1})
    counts, state = run(engine, 30)
    assert counts == {"test": 10, "test1": 10, "test2": 10}
    closed = replace(state, reps={**state.reps, "test": replace(state.rep("test"), open_load=5)})
    counts, _ = run(engine, 5, closed)
    assert counts == {"test": 5}


def test_calcom_weights_200_100_with_history_3_2_pick_the_heavier_rep() -> None:
    # calcom packages/lib/server/getLuckyUser.test.ts: "can find lucky user if hosts have different weights"
    engine = team_engine("weighted", {"u1": 200, "u2": 100})
    state = RoutingState(
        pools={
            "pool": PoolState(
                turn=5,
                members={
                    "u1": PoolMember(assigned=3, last_turn=5),
                    "u2": PoolMember(assigned=2, last_turn=4),
                },
            )
        }
    )
    assert engine.route(Lead(email="a@b.com"), state, MONDAY_10_NY).rep == "u1"


def test_calcom_ooo_calibration_flips_the_pick_to_the_rep_who_stayed() -> None:
    # getLuckyUser.test.ts: "applies calibration when user had OOO entries this month":
    # u1 was out while u2 took two bookings; u1 then took one. Calibration 2 makes u2 next.
    engine = team_engine("weighted", {"u1": 1, "u2": 1})
    start = RoutingState(pools={"pool": PoolState(members={"u1": PoolMember(), "u2": PoolMember()})})
    away = Window(MONDAY_10_NY - timedelta(days=1), MONDAY_10_NY + timedelta(minutes=1))
    on_pto = replace(start, reps={"u1": RepState(pto=(away,))})
    counts, state = run(engine, 2, on_pto)
    assert counts == {"u2": 2}
    assert state.pool("pool").members["u1"].credit == 2.0
    back = replace(state, reps={**state.reps, "u1": RepState(open_load=0)})
    counts, state = run(engine, 1, back)
    assert counts == {"u1": 1}
    # u1 has 1 lead to u2's 2, yet is at par thanks to calibration: u2 gets the next one.
    assert engine.route(Lead(email="n@b.com"), state, MONDAY_10_NY).rep == "u2"
    uncalibrated = replace(
        state,
        pools={
            "pool": PoolState(
                turn=3,
                members={
                    "u1": PoolMember(assigned=1, last_turn=3),
                    "u2": PoolMember(assigned=2, last_turn=2),
                },
            )
        },
    )
    assert engine.route(Lead(email="n@b.com"), uncalibrated, MONDAY_10_NY).rep == "u1"


def test_a_rep_back_from_pto_gets_no_burst_under_weighted() -> None:
    engine = team_engine("weighted", {"a": 1, "b": 1, "c": 1})
    _, state = run(engine, 3)
    away = Window(MONDAY_10_NY - timedelta(days=1), MONDAY_10_NY + timedelta(hours=1))
    _, state = run(engine, 60, replace(state, reps={**state.reps, "c": RepState(pto=(away,))}))
    state = replace(state, reps={**state.reps, "c": RepState()})
    counts, _ = run(engine, 30, state)
    # Without calibration c would take the next 30 leads; at par it takes its third.
    assert counts == {"a": 10, "b": 10, "c": 10}


def test_a_rep_new_to_a_weighted_pool_joins_at_par() -> None:
    engine = team_engine("weighted", {"a": 1, "b": 1})
    _, state = run(engine, 40)
    bigger = team_engine("weighted", {"a": 1, "b": 1, "n": 1})
    counts, _ = run(bigger, 30, state)
    assert counts == {"a": 10, "b": 10, "n": 10}


def test_odoo_two_equal_reps_over_30_leads_split_15_15() -> None:
    # odoo addons/crm/tests/test_crm_lead_assignment.py::test_assign_fairness_member_order_bias
    # asserts 11/19 under random.seed(1000); a deterministic tie-break gives the fair split.
    engine = team_engine("round_robin", {"senior": 1, "junior": 1})
    counts, _ = run(engine, 30)
    assert counts == {"senior": 15, "junior": 15}


def test_performance_favours_winners_but_keeps_a_floor_for_new_reps() -> None:
    engine = team_engine("performance", {"star": 1, "average": 1, "new": 1})
    state = RoutingState(reps={"star": RepState(won=40, closed=100), "average": RepState(won=10, closed=100)})
    counts, _ = run(engine, 300, state)
    assert counts["star"] > counts["new"] > counts["average"] > 0


def test_tie_breaks_run_in_the_configured_order() -> None:
    engine = team_engine("least_loaded", {"a": 1, "b": 3}, ", tie_breaks: [weighted]")
    # Equal load: the heavier rep wins the tie, where round robin alone would pick a.
    assert engine.route(Lead(email="x@y.com"), RoutingState(), MONDAY_10_NY).rep == "b"


def test_float_noise_cannot_break_an_exact_weighted_tie() -> None:
    # Shortfalls: a 0.9 * 1/6 - 0 = 0.15 and c 0.9 * 3/6 - 0.3 = 0.15, which floats compute as
    # 0.15 and 0.14999999999999997. They are tied, so the heavier rep wins, as in Cal.com.
    engine = team_engine("weighted", {"a": 1, "b": 2, "c": 3})
    members = {"a": PoolMember(), "b": PoolMember(credit=0.6), "c": PoolMember(credit=0.3)}
    state = RoutingState(pools={"pool": PoolState(members=members)})
    assert engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "c"


def test_win_rates_are_smoothed_toward_20_percent_and_never_below_the_floor() -> None:
    from routing.strategies import win_rates

    states = [RepState(), RepState(won=8, closed=10), RepState(won=0, closed=90), RepState(won=1, closed=10)]
    assert win_rates(states, 0.1) == [0.2, 0.5, 0.1, 0.15]
    assert win_rates(states, 0.15) == [0.2, 0.5, 0.15, 0.15]


def test_a_rep_under_the_minimum_sample_ranks_on_the_prior_and_the_why_says_so() -> None:
    # b won 3 of 3, but three closed leads are under the default sample of 5: b's rate is the prior
    # (20 %), below a's 10 of 30 (12 of 40 smoothed, 30 %), so a wins the fresh pool.
    engine = team_engine("performance", {"a": 1, "b": 1})
    state = RoutingState(reps={"a": RepState(won=10, closed=30), "b": RepState(won=3, closed=3)})
    first = engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY)
    assert first.rep == "a"
    assert first.summary.endswith("@a's win rate 30%: 10 won of 30 closed in 90d, smoothed")
    lone = team_engine("performance", {"b": 1}).route(Lead(email="x@y.com"), state, MONDAY_10_NY)
    assert lone.summary.endswith("@b's win rate 20% is the prior: 3 closed in 90d, fewer than 5")
    # Without a minimum, b's 3 of 3 (5 of 13 smoothed, 38 %) beats a's 30 %.
    without_minimum = Engine(replace(engine.config, outcomes=replace(engine.config.outcomes, min_sample=0)))
    assert without_minimum.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "b"


def test_performance_as_a_tie_break_picks_the_better_closer_among_equally_loaded_reps() -> None:
    engine = team_engine("least_loaded", {"a": 1, "b": 1, "c": 1}, ", tie_breaks: [performance]")
    state = RoutingState(
        reps={
            "a": RepState(won=1, closed=20),
            "b": RepState(won=9, closed=20),
            "c": RepState(open_load=1, won=20, closed=20),
        }
    )
    assert engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "b"


def test_a_performance_floor_lifts_a_poor_record_to_the_floor() -> None:
    # With a 0.5 floor both records (a: 0.1, b: 0.2) count as 0.5: tied, so list order picks a.
    engine = team_engine("least_loaded", {"a": 1, "b": 1}, ", tie_breaks: [performance], performance_floor: 0.5")
    state = RoutingState(reps={"a": RepState(won=0, closed=10), "b": RepState()})
    assert engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "a"
    state = RoutingState(reps={"a": RepState(won=0, closed=10), "b": RepState(won=10, closed=10)})
    assert engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "b"


def test_performance_routing_ranks_by_shortfall_of_the_win_weighted_share() -> None:
    engine = team_engine("performance", {"a": 1, "b": 1})
    state = RoutingState(reps={"a": RepState(), "b": RepState(won=8, closed=10)})
    first = engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY)
    # Fresh pool: equal shortfall, so the heavier effective weight (b: 1 x 0.5 over a: 1 x 0.2) wins.
    assert first.rep == "b"
    assert first.summary.endswith(
        "performance-weighted: @b is furthest below a target share of 71% (short 0.0); "
        "@b's win rate 50%: 8 won of 10 closed in 90d, smoothed"
    )


def test_least_loaded_picks_the_fewest_open_leads_and_says_so() -> None:
    engine = team_engine("least_loaded", {"a": 1, "b": 1, "c": 1})
    state = RoutingState(reps={"a": RepState(open_load=3), "b": RepState(open_load=1), "c": RepState(open_load=2)})
    decision = engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY)
    assert decision.rep == "b"
    assert decision.summary.endswith("least loaded: @b has 1 open")


def test_each_strategy_explains_its_pick() -> None:
    assert (
        team_engine("round_robin", {"solo": 1})
        .route(Lead(email="x@y.com"), RoutingState(), MONDAY_10_NY)
        .summary.endswith("@solo is the team's only member")
    )
    rr = team_engine("round_robin", {"a": 1, "b": 1})
    assert rr.route(Lead(email="x@y.com"), RoutingState(), MONDAY_10_NY).summary.endswith(
        "round robin: @a is first in line"
    )
    weighted = team_engine("weighted", {"a": 1, "b": 3})
    members = {"a": PoolMember(assigned=1), "b": PoolMember(assigned=1)}
    decision = weighted.route(
        Lead(email="x@y.com"), RoutingState(pools={"pool": PoolState(turn=2, members=members)}), MONDAY_10_NY
    )
    assert decision.rep == "b"
    assert decision.summary.endswith("weighted: @b is furthest below a target share of 75% (short 0.5)")


def test_a_newcomer_joins_a_weighted_pool_with_its_weights_share_of_what_was_handed_out() -> None:
    from routing.strategies import joining_credits

    engine = team_engine("weighted", {"a": 1, "b": 3, "n": 2})
    team, reps = engine.config.teams["pool"], engine.config.reps
    pool = PoolState(turn=8, members={"a": PoolMember(assigned=2, credit=1.0), "b": PoolMember(assigned=5)})
    assert joining_credits(team, pool, reps) == {"n": 8 * 2 / 4}
    assert joining_credits(team, PoolState(), reps) == {"a": 0.0, "b": 0.0, "n": 0.0}
    full = PoolState(members={rep: PoolMember() for rep in ("a", "b", "n")})
    assert joining_credits(team, full, reps) == {}
    rr = team_engine("round_robin", {"a": 1, "b": 3, "n": 2})
    assert joining_credits(rr.config.teams["pool"], pool, rr.config.reps) == {"n": 0.0}


def test_tie_safe_rounds_only_values_close_enough_to_tie() -> None:
    from routing.strategies import _tie_safe

    apart = [0.5, 0.25, 0.5]
    assert _tie_safe(apart) is apart
    close = [0.15, 0.14999999999999997, 1.0]
    assert _tie_safe(close) == [0.15, 0.15, 1.0]
    assert _tie_safe([1.0, 1.0 + 3e-9]) == [1.0, 1.0 + 3e-9]
    assert _tie_safe([0.1000000001, 0.1000000004, 2.0]) == [0.1, 0.1, 2.0]  # nine decimals


def test_the_key_plan_runs_primary_then_tie_breaks_then_round_robin_once_each() -> None:
    from routing.config import Strategy
    from routing.strategies import _key_plan

    engine = team_engine("least_loaded", {"a": 1}, ", tie_breaks: [weighted, round_robin, weighted]")
    assert _key_plan(engine.config.teams["pool"]) == (Strategy.LEAST_LOADED, Strategy.WEIGHTED, Strategy.ROUND_ROBIN)


def test_a_weighted_tie_break_under_round_robin_prefers_the_heavier_rep_on_an_equal_turn() -> None:
    engine = team_engine("round_robin", {"a": 1, "b": 2}, ", tie_breaks: [weighted]")
    assert engine.route(Lead(email="x@y.com"), RoutingState(), MONDAY_10_NY).rep == "b"


def test_round_robin_names_the_rep_served_last_as_the_one_before() -> None:
    engine = team_engine("round_robin", {"a": 1, "b": 1, "c": 1})
    members = {"a": PoolMember(last_turn=1, assigned=1), "b": PoolMember(), "c": PoolMember()}
    decision = engine.route(
        Lead(email="x@y.com"), RoutingState(pools={"pool": PoolState(turn=1, members=members)}), MONDAY_10_NY
    )
    assert decision.rep == "b"
    assert decision.summary.endswith("round robin: next after @a")


def test_the_minimum_sample_holds_for_the_performance_tie_break_too() -> None:
    # b's 3 of 3 is under the sample of 5: the prior (20 %) ranks it below a's 30 %, whatever its 100 %.
    engine = team_engine("least_loaded", {"a": 1, "b": 1}, ", tie_breaks: [performance]")
    state = RoutingState(reps={"a": RepState(won=10, closed=30), "b": RepState(won=3, closed=3)})
    assert engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "a"


def test_a_rep_with_exactly_the_minimum_sample_ranks_on_their_own_record() -> None:
    from routing.strategies import win_rates

    at_minimum, under = RepState(won=5, closed=5), RepState(won=4, closed=4)
    assert win_rates([at_minimum, under], 0.0, min_sample=5) == [7 / 15, 0.2]


def test_the_why_of_a_rep_with_exactly_the_minimum_sample_is_their_own_record() -> None:
    from routing.explain import win_rate_reason
    from routing.strategies import PoolRanker

    config = team_engine("performance", {"a": 1, "b": 1}).config
    ranker = PoolRanker(config.teams["pool"], config.reps, min_sample=5)
    window = timedelta(days=90)
    assert win_rate_reason(ranker, "a", RepState(won=5, closed=5), window) == (
        "win_rate",
        "@a's win rate 47%: 5 won of 5 closed in 90d, smoothed",
        "a",
    )
    assert win_rate_reason(ranker, "b", RepState(won=4, closed=4), window).text == (
        "@b's win rate 20% is the prior: 4 closed in 90d, fewer than 5"
    )


def test_a_window_is_said_in_whole_days_only_when_it_is_whole_days() -> None:
    from routing.explain import days

    spans = [timedelta(days=1), timedelta(days=3), timedelta(days=90), timedelta(hours=36), timedelta(hours=12)]
    assert [days(span) for span in spans] == ["1d", "3d", "90d", "36h", "12h"]


def test_a_weighted_tie_is_broken_by_a_least_loaded_tie_break() -> None:
    engine = team_engine("weighted", {"a": 1, "b": 1}, ", tie_breaks: [least_loaded]")
    state = RoutingState(reps={"a": RepState(open_load=3), "b": RepState(open_load=1)})
    assert engine.route(Lead(email="x@y.com"), state, MONDAY_10_NY).rep == "b"
