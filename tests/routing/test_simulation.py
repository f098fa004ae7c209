"""`simulate`'s pure core: leads replayed in time order on a virtual clock, with load, claims, expiries
and daily caps kept as an installation would keep them, and the summary it reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing import Engine, Lead, Outcome, parse_config
from routing.simulation import DIRECT, ClaimModel, SimLead, Simulation, Summary

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
