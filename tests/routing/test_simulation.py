"""`simulate`'s pure core: leads replayed in time order on a virtual clock, with load, claims, expiries
and daily caps kept as an installation would keep them, and the summary it reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing import Engine, Lead, Outcome, Window, parse_config
from routing.simulation import DIRECT, ClaimModel, RepChange, SimLead, Simulation, Summary, _span

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

ENGINE_YAML = """
timezone: UTC
working_hours: "mon-fri 09:00-17:00"
qualification: {min_score: 20}
reps:
  - {id: a, name: A, capacity: 1, daily_cap: 1}
  - {id: b, name: B, capacity: 1}
  - {id: c, name: C, timezone: Asia/Tokyo, working_hours: always}
  - {id: p, name: P}
  - {id: tokyo, name: Tokyo, timezone: Asia/Tokyo, working_hours: always, daily_cap: 1}
teams:
  - {id: t, members: [a, b], strategy: round_robin}
  - {id: spare, members: [c]}
  - {id: japan, members: [tokyo]}
rules:
  - {name: partner, when: {source: partner}, route: {rep: p}}
  - {name: japan, when: {source: jp}, route: {team: japan}}
  - {name: team, when: {source: web}, route: {team: t}}
sla: [{name: default, within: 10m}]
fallback: {team: spare}
"""


def engine() -> Engine:
    """Built per test: see `engine_for` in test_decisions."""
    return Engine(parse_config(ENGINE_YAML))


def lead(
    key: str, minutes: float, source: str = "web", owner: str | None = None, score: float | None = None
) -> SimLead:
    return SimLead(
        key=key,
        lead=Lead(email=f"{key}@shop.com", source=source, score=score),
        created_at=MONDAY_10 + timedelta(minutes=minutes),
        owner=owner,
    )


def replay(sim: Simulation, items: list[SimLead]) -> list[tuple[str, int, str | None, int]]:
    """(key, attempt, rep, minutes after 10:00) per event."""
    return [
        (e.item.key, e.attempt, e.decision.rep, int((e.at - MONDAY_10).total_seconds() // 60)) for e in sim.run(items)
    ]


def test_leads_replay_in_time_order_and_load_stays_until_released() -> None:
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=30)))
    events = replay(sim, [lead("L3", 2), lead("L1", 0), lead("L2", 1), lead("L4", 31)])
    # a and b each hold one lead (capacity 1): L3 goes to the fallback team; by 10:31 a's lead is released,
    # but a's daily cap of 1 is used, so b (released at 10:31 too) takes L4.
    assert events == [("L1", 1, "a", 0), ("L2", 1, "b", 1), ("L3", 1, "c", 2), ("L4", 1, "b", 31)]
    summary = sim.summary
    assert (summary.leads, summary.fallback, summary.expired, summary.queued, summary.nurture) == (4, 1, 0, 0, 0)
    assert summary.assigned == {"b": 2, "a": 1, "c": 1}
    assert summary.by_pool == {"t": {"a": 1, "b": 2}, "spare": {"c": 1}}
    assert summary.by_rule == {"team": 3, "fallback": 1}
    assert summary.fallback_rate == 0.25
    assert sim.state.rep("a").open_load == 0 and sim.state.rep("b").open_load == 0  # all released by the end


def test_an_unclaimed_offer_expires_at_its_sla_and_moves_on_until_the_manager_queue() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(minutes=15)))
    events = replay(sim, [lead("L1", 0)])
    assert events == [("L1", 1, "a", 0), ("L1", 2, "b", 10), ("L1", 3, "c", 20), ("L1", 4, None, 30)]
    summary = sim.summary
    assert (summary.leads, summary.expired, summary.queued, summary.fallback) == (1, 3, 1, 1)
    assert summary.by_rule == {"manager_queue": 1} and summary.assigned == {}
    assert all(sim.state.rep(rep).open_load == 0 for rep in "abc")


def test_a_claimed_offer_keeps_the_rep_loaded_until_released() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(minutes=5), release_after=timedelta(minutes=60)))
    # L1 claimed by a at 10:05, released at 11:05; L2 at 10:30 goes to b; L3 at 10:40 finds both full.
    events = replay(sim, [lead("L1", 0), lead("L2", 30), lead("L3", 40)])
    assert events == [("L1", 1, "a", 0), ("L2", 1, "b", 30), ("L3", 1, "c", 40)]
    assert sim.summary.expired == 0


def test_a_claim_exactly_at_the_deadline_is_in_time() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(minutes=10)))
    assert replay(sim, [lead("L1", 0)]) == [("L1", 1, "a", 0)]
    assert sim.summary.expired == 0


def test_the_daily_cap_resets_when_the_reps_local_day_turns() -> None:
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=1)))
    tuesday = 24 * 60
    events = replay(sim, [lead("L1", 0), lead("L2", 5), lead("L3", 10), lead("L4", tuesday)])
    # a's cap of one a day: L3 on Monday goes to b; on Tuesday a's turn comes with a fresh count.
    assert [rep for _, _, rep, _ in events] == ["a", "b", "b", "a"]


def test_nurture_named_reps_and_owner_agreement_are_tallied() -> None:
    sim = Simulation(engine())
    items = [
        lead("L1", 0, owner="a"),
        lead("L2", 1, owner="a"),
        lead("L3", 2, source="partner", owner="p"),
        lead("L4", 3, score=5, owner="a"),
        lead("L5", 4),
    ]
    events = list(sim.run(items))
    assert [e.decision.outcome for e in events].count(Outcome.NURTURE) == 1
    sim.compare_owners(items)
    summary = sim.summary
    assert (summary.nurture, summary.compared, summary.agreed) == (1, 3, 2)
    assert summary.disagreements == {("a", "b"): 1}
    assert summary.agreement == 2 / 3
    assert summary.by_pool[DIRECT] == {"p": 1}
    assert summary.by_rule["qualification"] == 1


def test_a_lead_left_in_the_queue_disagrees_with_its_owner_as_the_manager_queue() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(hours=1)))
    items = [lead("L1", 0, owner="a")]
    list(sim.run(items))
    sim.compare_owners([*items, lead("unknown", 0, owner="a"), lead("L9", 0)])
    assert sim.summary.disagreements == {("a", "(manager queue)"): 1}
    assert (sim.summary.compared, sim.summary.agreed) == (1, 0)


def test_an_empty_summary_has_no_rates_to_divide_by() -> None:
    assert Summary().fallback_rate == 0.0
    assert Summary().agreement is None


def test_a_claimed_lead_leaves_the_reps_load_when_released() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(minutes=5), release_after=timedelta(minutes=60)))
    items = [lead("P1", 0, source="partner"), lead("P2", 30, source="partner"), lead("X", 66, source="partner")]
    loads = {event.item.key: sim.state.rep("p").open_load for event in sim.run(items)}
    # P1 is claimed at 10:05 and released at 11:05: at 11:06 p holds P2 only.
    assert loads == {"P1": 0, "P2": 1, "X": 1}
    assert sim.state.rep("p").open_load == 0


def test_load_is_released_one_lead_at_a_time() -> None:
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=60)))
    items = [lead(key, minutes, source="partner") for key, minutes in (("P1", 0), ("P2", 30), ("P3", 40), ("X", 61))]
    loads = {event.item.key: sim.state.rep("p").open_load for event in sim.run(items)}
    # P1 leaves p's load at 11:00; P2 and P3 are still there when X arrives.
    assert loads == {"P1": 0, "P2": 1, "P3": 2, "X": 2}


def test_offers_expiring_at_the_same_moment_move_on_in_the_order_they_were_made() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(hours=1)))
    events = replay(sim, [lead("L1", 0), lead("L2", 0)])
    # Both expire at 10:10, L1 first: b still holds L2 (capacity 1), so L1 goes to c; then L2, whose
    # b is now free but had it, finds a at the daily cap: c again. The other way round, L1 would go to b.
    assert events[:4] == [("L1", 1, "a", 0), ("L2", 1, "b", 0), ("L1", 2, "c", 10), ("L2", 2, "c", 10)]


def test_leads_released_at_the_same_moment_are_told_apart_by_arrival() -> None:
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=5)))
    assert [
        rep for _, _, rep, _ in replay(sim, [lead("P1", 0, source="partner"), lead("P2", 0, source="partner")])
    ] == ["p", "p"]
    assert sim.state.rep("p").open_load == 0


def test_the_daily_cap_turns_with_the_reps_own_day() -> None:
    # 14:00 UTC is 23:00 in Tokyo; 15:30 UTC is 00:30 the next day there, though still Monday in UTC.
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=1)))
    events = replay(sim, [lead("J1", 240, source="jp"), lead("J2", 250, source="jp"), lead("J3", 330, source="jp")])
    assert [rep for _, _, rep, _ in events] == ["tokyo", "c", "tokyo"]


def test_every_outcome_is_counted_once_per_lead() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(hours=1)))
    items = [
        lead("N1", 0, score=1, owner="a"),
        lead("N2", 1, score=2),
        lead("Q1", 2, source="partner"),
        lead("Q2", 3, source="partner"),
    ]
    items += [
        lead("F1", 4, source="none", owner="b"),
        lead("F2", 5, source="none", owner="b"),
        lead("F3", 6, source="none", owner="b"),
    ]
    list(sim.run(items))
    sim.compare_owners(items)
    summary = sim.summary
    # Unclaimed, each offer expires until nobody is left: every routed lead ends in the manager queue.
    assert (summary.nurture, summary.queued, summary.expired, summary.fallback) == (2, 5, 7, 5)
    assert summary.disagreements == {("b", "(manager queue)"): 3}
    assert (summary.compared, summary.agreed) == (3, 0)


PERFORMANCE_YAML = """
timezone: UTC
working_hours: always
reps:
  - {id: a, name: A, capacity: 100}
  - {id: b, name: B, capacity: 100}
teams:
  - {id: t, members: [a, b], strategy: performance}
sla: [{name: default, within: 10m}]
fallback: {team: t}
outcomes: {min_sample: 1}
"""


def test_outcomes_in_the_history_feed_win_rates_as_the_replay_goes_and_the_summary_shows_them() -> None:
    performance = Engine(parse_config(PERFORMANCE_YAML))
    # Day one: equal priors, so the pool alternates a, b, a, …; the history won a's leads, lost b's.
    day_one = [
        SimLead(
            key=f"d1-{i}",
            lead=Lead(email=f"d1-{i}@shop.com", source="web" if i < 6 else "ads"),
            created_at=MONDAY_10 + timedelta(minutes=i),
            outcome="won" if i % 2 == 0 else "lost",
        )
        for i in range(10)
    ]
    day_two = [
        SimLead(key=f"d2-{i}", lead=Lead(email=f"d2-{i}@shop.com"), created_at=MONDAY_10 + timedelta(days=2, minutes=i))
        for i in range(20)
    ]

    def second_day(items: list[SimLead]) -> dict[str, int]:
        simulation = Simulation(performance)
        events = list(simulation.run(items + day_two))
        assert [e.decision.rep for e in events[:4]] == ["a", "b", "a", "b"]
        counts = {"a": 0, "b": 0}
        for event in events[10:]:
            assert event.decision.rep is not None
            counts[event.decision.rep] += 1
        return counts

    without = second_day([SimLead(key=i.key, lead=i.lead, created_at=i.created_at) for i in day_one])
    fed = second_day(day_one)
    assert without == {"a": 10, "b": 10}
    assert fed["a"] > 2 * fed["b"]  # a's 5 of 5 against b's 0 of 5 (7/15 against 2/15 smoothed)

    simulation = Simulation(performance)
    list(simulation.run(day_one + day_two))
    rates = simulation.summary.win_rates
    assert simulation.summary.outcomes_fed == 10
    assert {rep: (r.won, r.closed) for rep, r in rates["rep"].items()} == {"a": (5, 5), "b": (0, 5)}
    assert {source: (r.won, r.closed) for source, r in rates["source"].items()} == {"web": (3, 6), "ads": (2, 4)}
    assert rates["rule"]["fallback"].closed == 10  # no rule: every lead fell to the fallback team


SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

HOLD_YAML = """
timezone: UTC
working_hours: "mon-fri 09:00-17:00"
reps:
  - {id: late, name: Late, working_hours: "mon-fri 10:00-18:00"}
  - {id: early, name: Early}
teams:
  - {id: t, members: [late, early], strategy: round_robin, off_hours: hold, hold_window: 2h}
  - {id: s, members: [early, late], strategy: round_robin}
rules:
  - {name: soonest, when: {source: soonest}, route: {team: s}}
sla: [{name: default, within: 10m}]
fallback: {team: t}
"""


def weekend_lead(key: str, after: timedelta, source: str = "web") -> SimLead:
    return SimLead(key=key, lead=Lead(email=f"{key}@shop.com", source=source), created_at=SATURDAY_NOON + after)


def test_held_leads_wait_unassigned_and_are_shared_at_their_release_within_the_hold_window() -> None:
    sim = Simulation(Engine(parse_config(HOLD_YAML)), claim=ClaimModel(claim_after=timedelta(minutes=5)))
    items = [
        weekend_lead("H1", timedelta(0)),
        weekend_lead("H2", timedelta(hours=1)),
        weekend_lead("S1", timedelta(days=1), source="soonest"),  # off hours, not held: to the first to start
    ]
    events = [(e.at, e.item.key, e.attempt, e.decision.outcome, e.decision.rep) for e in sim.run(items)]
    # Both held leads are released at 09:00 Monday, as second attempts, in the order they arrived: H1 to
    # late (first in line, starting at 10:00, within the 2h window), H2 to early, at work.
    assert events == [
        (SATURDAY_NOON, "H1", 1, Outcome.HELD, None),
        (SATURDAY_NOON + timedelta(hours=1), "H2", 1, Outcome.HELD, None),
        (SATURDAY_NOON + timedelta(days=1), "S1", 1, Outcome.ASSIGNED, "early"),
        (MONDAY_9, "H1", 2, Outcome.ASSIGNED, "late"),
        (MONDAY_9, "H2", 2, Outcome.ASSIGNED, "early"),
    ]
    summary = sim.summary
    assert (summary.held, summary.off_hours, summary.offers, summary.expired) == (2, 3, 3, 0)
    # First touch: when a rep at work has the lead (late's shift start for H1), from its arrival.
    assert summary.first_touch == [
        MONDAY_9 - (SATURDAY_NOON + timedelta(days=1)),
        MONDAY_9 + timedelta(hours=1) - SATURDAY_NOON,
        MONDAY_9 - (SATURDAY_NOON + timedelta(hours=1)),
    ]
    # Fairness counts each pool's leads at their arrival (the weekend: off hours), not at release.
    assert [(f.pool, f.leads, f.off_hours, [(r.rep, r.actual) for r in f.reps]) for f in summary.fairness] == [
        ("s", 1, 1, [("early", 1), ("late", 0)]),
        ("t", 2, 2, [("late", 1), ("early", 1)]),
    ]
    assert summary.by_pool == {"t": {"late": 1, "early": 1}, "s": {"early": 1}}


def test_an_offer_to_a_rep_off_hours_is_claimed_after_their_shift_starts_or_expires_at_its_sla() -> None:
    # S1 reaches early at 09:00 Monday and its SLA (10 minutes) counts from then: a claim 10 minutes
    # after that is in time; 11 minutes is late, and so is late's (whose shift starts at 10:00).
    sunday_noon = SATURDAY_NOON + timedelta(days=1)
    sim = Simulation(Engine(parse_config(HOLD_YAML)), claim=ClaimModel(claim_after=timedelta(minutes=10)))
    assert [(e.at, e.decision.rep) for e in sim.run([weekend_lead("S1", timedelta(days=1), source="soonest")])] == [
        (sunday_noon, "early")
    ]
    assert sim.summary.expired == 0
    sim = Simulation(Engine(parse_config(HOLD_YAML)), claim=ClaimModel(claim_after=timedelta(minutes=11)))
    assert [(e.at, e.decision.rep) for e in sim.run([weekend_lead("S1", timedelta(days=1), source="soonest")])] == [
        (sunday_noon, "early"),
        (MONDAY_9 + timedelta(minutes=10), "late"),
        (MONDAY_9 + timedelta(minutes=70), None),
    ]
    assert (sim.summary.expired, sim.summary.held, sim.summary.off_hours) == (2, 0, 1)


CHANGES_YAML = """
timezone: UTC
working_hours: always
reps:
  - {id: a, name: A, capacity: 100}
  - {id: b, name: B, capacity: 100}
teams:
  - {id: t, members: [a, b], strategy: round_robin}
sla: [{name: default, within: 1h}]
fallback: {team: t}
"""


def test_pauses_resumes_and_capacity_changes_take_effect_at_their_moment_in_the_replay() -> None:
    at = MONDAY_10.__add__
    changes = [  # given out of order: the replay applies them in time order
        RepChange(at=at(timedelta(minutes=30)), rep="b", capacity=0),
        RepChange(at=at(timedelta(minutes=5)), rep="a", paused=True),
        RepChange(at=at(timedelta(minutes=20)), rep="a", paused=False),
        RepChange(at=at(timedelta(hours=5)), rep="a", paused=True),  # after the last lead
    ]
    sim = Simulation(Engine(parse_config(CHANGES_YAML)), changes=changes)
    minutes = (0, 10, 15, 20, 30, 35)
    reps = [e.decision.rep for e in sim.run([lead(f"L{m}", m) for m in minutes])]
    # a is paused from 10:05 to 10:20 (b takes both), resumes exactly at 10:20 and takes its turn; from
    # 10:30 b has a capacity of 0 and a takes the rest.
    assert reps == ["a", "b", "b", "a", "a", "a"]
    # Everyone was at work: every lead reached its rep on arrival.
    assert sim.summary.off_hours == 0 and sim.summary.first_touch == [timedelta(0)] * 6
    assert sim.state.rep("b").capacity_override == 0
    assert sim.state.rep("a").paused  # the last change is applied once the replay is over


def test_a_change_falling_due_while_queued_events_run_applies_before_the_next_decision() -> None:
    # L1 goes to a, whose offer expires unclaimed at 10:10. b is paused at 10:05, between the two
    # decisions: the expiry's new offer finds a excluded (a had it) and b paused, so nobody.
    sim = Simulation(
        Engine(parse_config(CHANGES_YAML.replace("within: 1h", "within: 10m"))),
        claim=ClaimModel(claim_after=timedelta(hours=1)),
        changes=[RepChange(at=MONDAY_10 + timedelta(minutes=5), rep="b", paused=True)],
    )
    assert replay(sim, [lead("L1", 0)]) == [("L1", 1, "a", 0), ("L1", 2, None, 10)]
    # A pause at 10:30 is not yet in force at 10:10: b takes it.
    sim = Simulation(
        Engine(parse_config(CHANGES_YAML.replace("within: 1h", "within: 10m"))),
        claim=ClaimModel(claim_after=timedelta(hours=1)),
        changes=[RepChange(at=MONDAY_10 + timedelta(minutes=30), rep="b", paused=True)],
    )
    assert replay(sim, [lead("L1", 0)])[:2] == [("L1", 1, "a", 0), ("L1", 2, "b", 10)]


def test_absences_are_pto_and_the_windows_between_a_pause_and_its_resume() -> None:
    at = MONDAY_10.__add__
    pto = Window(at(timedelta(days=1)), at(timedelta(days=2)))
    changes = [
        RepChange(at=at(timedelta(hours=1)), rep="a", paused=True),
        RepChange(at=at(timedelta(hours=2)), rep="a", paused=True),  # still paused since 11:00
        RepChange(at=at(timedelta(hours=3)), rep="a", paused=False),
        RepChange(at=at(timedelta(hours=4)), rep="b", paused=False),  # a resume with no pause: no window
        RepChange(at=at(timedelta(hours=5)), rep="b", capacity=3),  # not an absence
        RepChange(at=at(timedelta(hours=6)), rep="b", paused=True),  # never resumed
    ]
    sim = Simulation(engine(), pto={"c": [pto]}, changes=changes)
    absences = sim.absences()
    assert absences["a"] == [Window(at(timedelta(hours=1)), at(timedelta(hours=3)))]
    assert absences["c"] == [pto]
    (never_resumed,) = absences["b"]
    assert never_resumed.start == at(timedelta(hours=6)) and never_resumed.end.year == 9000
    assert set(absences) == {"a", "b", "c"}
    assert sim.state.rep("c").pto == (pto,)  # PTO is in the routing state from the start


def test_a_rep_on_pto_in_the_replay_gets_no_lead_and_is_owed_none() -> None:
    pto = Window(MONDAY_10 - timedelta(days=1), MONDAY_10 + timedelta(days=1))
    # A capacity change during the PTO keeps the PTO.
    changes = [RepChange(at=MONDAY_10 - timedelta(hours=1), rep="b", capacity=50)]
    sim = Simulation(Engine(parse_config(CHANGES_YAML)), pto={"b": (pto,)}, changes=changes)
    assert [e.decision.rep for e in sim.run([lead(f"L{i}", i) for i in range(4)])] == ["a"] * 4
    (pool,) = sim.summary.fairness
    assert [(r.rep, r.actual, r.expected) for r in pool.reps] == [("a", 4, 4.0), ("b", 0, 0.0)]
    assert pool.fair


def test_a_change_is_either_a_capacity_or_a_pause_and_at_a_known_moment() -> None:
    with pytest.raises(ValueError, match=r"^at must be timezone-aware$"):
        RepChange(at=datetime(2026, 11, 23, 10, 0), rep="a", capacity=1)
    for both_or_neither in ({"capacity": 1, "paused": True}, {}):
        with pytest.raises(ValueError, match=r"^a change sets either a capacity or pause/resume$"):
            RepChange(at=MONDAY_10, rep="a", **both_or_neither)  # type: ignore[arg-type]
    assert RepChange(at=MONDAY_10, rep="a", paused=False).capacity is None
    assert RepChange(at=MONDAY_10, rep="a", capacity=0).paused is None


def test_an_outcome_is_won_lost_or_disqualified() -> None:
    with pytest.raises(ValueError, match=r"^an outcome that closes a lead is one of disqualified, lost, won$"):
        SimLead(key="x", lead=Lead(email="x@shop.com"), created_at=MONDAY_10, outcome="open")
    assert SimLead(key="x", lead=Lead(email="x@shop.com"), created_at=MONDAY_10, outcome="disqualified")


def test_the_claim_model_is_stated_in_words_with_its_spans() -> None:
    with_claims = ClaimModel(claim_after=timedelta(minutes=90), release_after=timedelta(hours=2))
    assert with_claims.describe("each rep's configured capacity") == (
        "Claim model: reps claim each offer 90m after it reaches them at work (--claim-after); an offer still "
        "unclaimed when its SLA runs out expires to the next rep. Capacity: each rep's configured capacity, "
        "with the overrides given. A lead counts toward its rep's load until 2h after its claim."
    )
    assert ClaimModel().describe("10 each") == (
        "Claim model: no claim model (--claim-after not given): every offer is taken, none expires. "
        "Capacity: 10 each, with the overrides given. A lead counts toward its rep's load until 1d after the offer."
    )


def test_spans_use_the_largest_unit_that_divides_them() -> None:
    spans = [timedelta(days=2), timedelta(hours=24), timedelta(hours=3), timedelta(minutes=1), timedelta(seconds=59)]
    assert [_span(s) for s in spans] == ["2d", "1d", "3h", "1m", "59s"]
    assert [_span(s) for s in (timedelta(minutes=61), timedelta(seconds=61), timedelta(0))] == ["61m", "61s", "0s"]


def test_first_touch_percentiles_are_the_low_median_and_the_90th() -> None:
    minutes = [timedelta(minutes=m) for m in (7, 1, 10, 3, 2, 9, 4, 8, 6, 5)]
    assert Summary(first_touch=minutes).first_touch_percentiles() == (timedelta(minutes=5), timedelta(minutes=9))
    assert Summary(first_touch=minutes[:3]).first_touch_percentiles() == (timedelta(minutes=7), timedelta(minutes=10))
    assert Summary(first_touch=[timedelta(minutes=4)]).first_touch_percentiles() == (timedelta(minutes=4),) * 2
    assert Summary().first_touch_percentiles() is None
    twenty = [timedelta(minutes=m) for m in range(1, 21)]  # the 90th of 20 is the 18th, not the 17th
    assert Summary(first_touch=twenty).first_touch_percentiles() == (timedelta(minutes=10), timedelta(minutes=18))
    assert Summary(expired=1, offers=4).breach_rate == 0.25 and Summary().breach_rate == 0.0


def test_the_rotation_carries_on_across_releases_and_outcomes() -> None:
    # Each lead leaves its rep's load (and feeds their record) before the next arrives: the pool's
    # turn must survive those updates of the state, or a would be first in line every time.
    sim = Simulation(Engine(parse_config(CHANGES_YAML)), claim=ClaimModel(release_after=timedelta(minutes=1)))
    items = [replace(lead(f"L{m}", m), outcome="won" if m < 20 else None) for m in (0, 10, 20, 30)]
    assert [e.decision.rep for e in sim.run(items)] == ["a", "b", "a", "b"]
    a = sim.state.rep("a")
    assert (a.won, a.closed, a.open_load, sim.state.rep("b").closed) == (1, 1, 0, 1)
    assert a.last_assigned_at == MONDAY_10 + timedelta(minutes=20)
    assert sim.final("L30") is not None and sim.final("L30").rep == "b"  # type: ignore[union-attr]
    assert sim.final("unknown") is None


def test_a_lead_at_exactly_the_reps_local_midnight_starts_a_new_day() -> None:
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=1)))
    tokyo_midnight = (15 * 60) - 10 * 60  # 15:00 UTC is 00:00 in Tokyo
    events = replay(sim, [lead("J1", 0, source="jp"), lead("J2", tokyo_midnight, source="jp")])
    assert [rep for _, _, rep, _ in events] == ["tokyo", "tokyo"]


def test_the_reps_day_is_their_local_date_even_when_utc_is_a_day_behind() -> None:
    # 16:00 UTC Monday is 01:00 Tuesday in Tokyo: tokyo's day ends at 15:00 UTC Tuesday, not Monday.
    sim = Simulation(engine(), claim=ClaimModel(release_after=timedelta(minutes=1)))
    events = replay(sim, [lead("J1", 6 * 60, source="jp"), lead("J2", 6 * 60 + 30, source="jp")])
    assert [rep for _, _, rep, _ in events] == ["tokyo", "c"]


def test_moments_are_reported_in_utc_whatever_zone_the_history_used() -> None:
    new_york = SimLead(
        key="L1",
        lead=Lead(email="l1@shop.com", source="partner"),
        created_at=MONDAY_10.astimezone(ZoneInfo("America/New_York")),
    )
    (event,) = Simulation(engine()).run([new_york])
    assert event.at == MONDAY_10 and event.at.tzinfo is UTC


def test_win_rates_of_leads_without_a_source_are_shown_under_unknown() -> None:
    sim = Simulation(engine())
    items = [replace(lead("P1", 0, source="partner"), outcome="won"), replace(lead("P2", 1), outcome="lost")]
    items[1] = replace(items[1], lead=Lead(email="p2@shop.com", source=None))
    list(sim.run(items))
    rates = sim.summary.win_rates
    assert {key: (r.won, r.closed) for key, r in rates["source"].items()} == {"partner": (1, 1), "unknown": (0, 1)}
    assert {key: (r.won, r.closed) for key, r in rates["rule"].items()} == {"partner": (1, 1), "fallback": (0, 1)}


def test_an_expired_offer_leaves_the_reps_load_one_lead_lighter() -> None:
    sim = Simulation(engine(), claim=ClaimModel(claim_after=timedelta(hours=1)))
    items = [lead(key, minutes, source="partner") for key, minutes in (("P1", 0), ("P2", 5), ("X", 11))]
    loads = {(e.item.key, e.attempt): sim.state.rep("p").open_load for e in sim.run(items)}
    # P1 expires at 10:10 (p then holds P2 only); X arrives at 10:11.
    assert (loads["P2", 1], loads["X", 1]) == (1, 1)
