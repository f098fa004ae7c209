"""The engine's decisions on small, purpose-built teams: each test pins one step of the chain (a rule's
requirements, the backup, the off-hours pick and its SLA, each fallback form, the manager queue) by
the decision it must produce: rep, rule, pool, strategy, fallback flag, deadlines and reason codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import (
    Engine,
    Lead,
    Outcome,
    PoolMember,
    PoolState,
    RepState,
    RotationUpdate,
    RoutingState,
    Window,
    parse_config,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # every rep below works mon-fri 09:00-17:00 UTC
SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
NEXT_MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LEAD = Lead(email="buyer@shop.com")


def engine_for(yaml: str) -> Engine:
    """Built inside each test, never at import: mutation runs fork after the import, and an engine
    built before the fork would hide mutants in parsing and in the engine's set-up."""
    return Engine(parse_config('timezone: UTC\nworking_hours: "mon-fri 09:00-17:00"\n' + yaml))


def away() -> RepState:
    """On PTO all of Monday the 23rd."""
    return RepState(pto=(Window(MONDAY_10 - timedelta(hours=10), MONDAY_10 + timedelta(hours=14)),))


def codes(decision: object) -> list[tuple[str, str | None]]:
    return [(reason.code, reason.rep) for reason in decision.reasons]  # type: ignore[attr-defined]


GERMAN = """
reps:
  - {id: anna, name: Anna, languages: [en]}
  - {id: bernd, name: Bernd, languages: [en, de], backup: dora}
  - {id: carl, name: Carl, languages: [de]}
  - {id: dora, name: Dora, languages: [de]}
  - {id: eve, name: Eve, languages: [en]}
teams:
  - {id: dach, members: [anna, bernd, carl], strategy: round_robin}
rules:
  - name: german
    when: {country: DE}
    route: {team: dach}
    require: {languages: [de]}
  - name: by-language
    when: {country: AT}
    route: {team: dach}
    require: {languages: ["{language}"]}
sla: [{name: default, within: 1h}]
fallback: {rep: eve}
"""


def test_rule_requiring_german_skips_reps_without_it() -> None:
    decision = engine_for(GERMAN).route(Lead(email="a@autohaus.de", country="DE"), RoutingState(), MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.fallback) == ("bernd", "german", "dach", False)
    assert ("skipped", "anna") in codes(decision)
    assert any(r.text == "skipped @anna: no language de" for r in decision.reasons)


def test_rule_requiring_german_passes_over_a_busy_german_speaker_to_the_next_one() -> None:
    state = RoutingState(reps={"bernd": RepState(paused=True)})
    decision = engine_for(GERMAN).route(Lead(email="a@autohaus.de", country="DE"), state, MONDAY_10)
    assert (decision.rep, decision.pool, decision.fallback) == ("carl", "dach", False)
    assert decision.rotation == RotationUpdate(
        pool="dach", rep="carl", turn=1, credits=dict.fromkeys(["anna", "bernd", "carl"], 0.0)
    )


def test_a_requirement_read_from_the_lead_needs_its_language() -> None:
    # Austria speaks German: `{language}` becomes `de`, so Anna (first in line) is skipped.
    decision = engine_for(GERMAN).route(Lead(email="a@wien.at", country="AT"), RoutingState(), MONDAY_10)
    assert (decision.rep, decision.rule) == ("bernd", "by-language")


def test_a_requirement_whose_placeholder_the_lead_lacks_drops_out() -> None:
    # An unknown language leaves no requirement: the first in line takes it.
    from routing.config import Requirement
    from routing.walk import resolve as _resolve

    assert _resolve(Requirement(languages=("{language}", "en")), {"language": ""}) == Requirement(languages=("en",))
    assert _resolve(Requirement(skills=("{industry}",)), {"industry": "FinTech"}) == Requirement(skills=("fintech",))
    assert _resolve(Requirement(skills=("{industry}",)), {}) == Requirement()
    # Only a whole `{field}` is a placeholder.
    assert _resolve(Requirement(skills=("c++}", "{x")), {"": "no", "x": "no"}) == Requirement(skills=("c++}", "{x"))


def test_preferences_are_described_as_a_list() -> None:
    from routing.config import Requirement
    from routing.explain import describe as _describe

    assert (
        _describe(Requirement(skills=("fintech",), languages=("de", "fr"))) == "skill fintech, language de, language fr"
    )


def test_when_every_german_speaker_is_away_the_first_ones_backup_covers() -> None:
    state = RoutingState(reps={"bernd": away(), "carl": away()})
    decision = engine_for(GERMAN).route(Lead(email="a@autohaus.de", country="DE"), state, MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        "dora",
        "german",
        None,
        "backup",
        True,
    )
    assert decision.rotation is None  # a backup's cover is outside the rotation
    assert ("backup", "dora") in codes(decision)
    assert any(r.text.startswith("@dora covers for @bernd (on PTO until") for r in decision.reasons)
    assert decision.due_at == MONDAY_10 + timedelta(hours=1)


def test_a_backup_without_the_required_language_is_skipped_and_the_lead_falls_back() -> None:
    engine = engine_for("""
reps:
  - {id: anna, name: Anna, languages: [de], backup: eve}
  - {id: eve, name: Eve, languages: [en]}
  - {id: fay, name: Fay}
teams:
  - {id: dach, members: [anna]}
  - {id: rest, members: [fay]}
rules:
  - {name: german, when: {country: DE}, route: {team: dach}, require: {languages: [de]}}
sla: [{name: default, within: 1h}]
fallback: {team: rest}
""")
    decision = engine.route(Lead(email="a@autohaus.de", country="DE"), RoutingState(reps={"anna": away()}), MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.fallback) == ("fay", "fallback", "rest", True)
    assert ("skipped", "skipped backup @eve: no language de", "eve") in decision.reasons


def test_a_backup_who_is_away_too_is_skipped() -> None:
    state = RoutingState(reps={"bernd": away(), "carl": away(), "dora": RepState(open_load=20)})
    decision = engine_for(GERMAN).route(Lead(email="a@autohaus.de", country="DE"), state, MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.fallback) == ("eve", "fallback", None, True)
    assert ("skipped", "skipped backup @dora: at capacity 20/20", "dora") in decision.reasons


# --- nobody at work: the rep whose shift starts soonest ----------------------------------------------

NIGHT = """
reps:
  - {id: late, name: Late, timezone: America/Los_Angeles}
  - {id: early, name: Early, timezone: Europe/Berlin}
  - {id: never, name: Never, working_hours: []}
  - {id: night, name: Night, skills: [fintech]}
  - {id: day, name: Day}
teams:
  - {id: world, members: [never, late, early], strategy: round_robin}
  - {id: uk, members: [day, night], strategy: round_robin}
rules:
  - {name: world, when: {source: web}, route: {team: world}}
  - {name: uk, when: {source: event}, route: {team: uk}, prefer: {skills: ["{industry}"]}}
sla:
  - {name: demo, when: {intent: demo}, within: 5m, remind_at: 0.8}
  - {name: general, within: 1h, business_hours: true, remind_at: 0.5}
fallback: {team: uk}
"""


def test_nobody_at_work_goes_to_the_rep_whose_shift_starts_soonest_not_the_first_in_line() -> None:
    # Saturday noon UTC: Berlin opens Monday 08:00 UTC, Los Angeles Monday 17:00 UTC, `never` never.
    decision = engine_for(NIGHT).route(
        Lead(email="a@b.com", source="web", intent="demo"), RoutingState(), SATURDAY_NOON
    )
    berlin_opens = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert (decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        "early",
        "world",
        "world",
        "round_robin",
        True,
    )
    # A demo request's 5 minutes count from the shift start, not from Saturday noon.
    assert decision.due_at == berlin_opens + timedelta(minutes=5)
    assert decision.remind_at == berlin_opens + timedelta(minutes=4)
    off_hours = [r.text for r in decision.reasons if r.code == "off_hours"]
    assert off_hours == [
        "nobody is at work (off_hours: soonest): @early starts Mon 09:00 Europe/Berlin; the SLA counts from then"
    ]


def test_off_hours_picks_take_turns() -> None:
    state, picked = RoutingState(), []
    for minute in range(4):
        now = SATURDAY_NOON + timedelta(minutes=minute)
        decision = engine_for(NIGHT).route(Lead(email="a@b.com", source="event"), state, now)
        assert decision.rotation is not None and decision.rotation.rep == decision.rep
        picked.append(decision.rep)
        state = state.after(decision, now)
    assert picked == ["day", "night", "day", "night"]


def test_off_hours_business_time_sla_runs_from_the_shift_start() -> None:
    decision = engine_for(NIGHT).route(Lead(email="a@b.com", source="event"), RoutingState(), SATURDAY_NOON)
    assert decision.rep == "day" and decision.sla == "general"
    assert decision.due_at == NEXT_MONDAY_9 + timedelta(hours=1)
    assert decision.remind_at == NEXT_MONDAY_9 + timedelta(minutes=30)
    assert ("sla", None) in codes(decision)
    assert [r.text for r in decision.reasons if r.code == "sla"] == ["SLA general: 1h of @day's working time"]


def test_off_hours_with_equal_shift_starts_prefers_the_rep_with_the_preferred_skill() -> None:
    decision = engine_for(NIGHT).route(
        Lead(email="a@b.com", source="event", industry="Fintech"), RoutingState(), SATURDAY_NOON
    )
    assert (decision.rep, decision.fallback) == ("night", True)


def test_only_a_rep_who_never_works_is_still_chosen_with_the_sla_from_now() -> None:
    engine = engine_for("""
reps:
  - {id: never, name: Never, working_hours: []}
teams:
  - {id: t, members: [never]}
sla: [{name: default, within: 1h, business_hours: true}]
fallback: {team: t}
""")
    decision = engine.route(LEAD, RoutingState(), MONDAY_10)
    assert (decision.rep, decision.fallback) == ("never", True)
    assert decision.due_at == MONDAY_10 + timedelta(hours=1)  # no business time to count: plain time
    assert any("@never starts never" in r.text for r in decision.reasons)


# --- each fallback form -------------------------------------------------------------------------------

FALLBACK_REP = """
reps:
  - {id: anna, name: Anna}
  - {id: zed, name: Zed}
  - {id: rita, name: Rita}
teams:
  - {id: sales, members: [anna], manager: zed}
rules:
  - {name: big, when: {employees: ">200"}, route: {team: sales}}
  - {name: named, when: {source: partner}, route: {rep: rita}}
sla: [{name: default, within: 30m}]
fallback: {rep: zed}
"""


def test_a_lead_no_rule_matches_goes_to_the_fallback_rep() -> None:
    decision = engine_for(FALLBACK_REP).route(Lead(email="a@b.com", employees=200), RoutingState(), MONDAY_10)
    assert (decision.outcome, decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        Outcome.ASSIGNED,
        "zed",
        "fallback",
        None,
        "named_rep",
        True,
    )
    assert [code for code, _ in codes(decision)] == ["enriched", "no_rule", "fallback", "sla"]
    assert decision.reasons[2] == ("fallback", "fallback rep @zed", None)
    assert decision.facts["email_domain"] == "b.com" and decision.facts["employees"] == 200
    assert decision.due_at == MONDAY_10 + timedelta(minutes=30) and decision.rotation is None


def test_a_team_rule_whose_team_is_away_goes_to_the_fallback_rep() -> None:
    decision = engine_for(FALLBACK_REP).route(
        Lead(email="a@b.com", employees=201), RoutingState(reps={"anna": away()}), MONDAY_10
    )
    assert (decision.rep, decision.rule, decision.fallback) == ("zed", "fallback", True)
    assert ("skipped", "skipped @anna: on PTO until Nov 23", "anna") in decision.reasons


def test_a_named_rep_rule_gives_the_lead_to_that_rep_as_a_normal_pick() -> None:
    decision = engine_for(FALLBACK_REP).route(Lead(email="a@b.com", source="partner"), RoutingState(), MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        "rita",
        "named",
        None,
        "named_rep",
        False,
    )
    assert decision.rotation is None


def test_when_the_fallback_rep_is_away_too_the_lead_waits_in_the_rule_teams_manager_queue() -> None:
    state = RoutingState(reps={"anna": away(), "zed": away()})
    decision = engine_for(FALLBACK_REP).route(Lead(email="a@b.com", employees=500), state, MONDAY_10)
    assert (decision.outcome, decision.rep, decision.rule, decision.pool, decision.fallback) == (
        Outcome.QUEUED,
        None,
        "manager_queue",
        "sales",
        True,
    )
    assert decision.reasons[-2].text == "nobody can take it: manager queue (@zed)"
    assert decision.due_at == MONDAY_10 + timedelta(minutes=30)


def test_with_no_team_tried_and_the_fallback_rep_away_the_queue_has_no_pool_or_manager() -> None:
    decision = engine_for(FALLBACK_REP).route(LEAD, RoutingState(reps={"zed": away()}), MONDAY_10)
    assert (decision.outcome, decision.pool, decision.rule) == (Outcome.QUEUED, None, "manager_queue")
    assert decision.reasons[-2].text == "nobody can take it: manager queue"


def test_a_fallback_team_that_was_the_rules_own_team_is_not_tried_twice() -> None:
    engine = engine_for("""
reps:
  - {id: anna, name: Anna}
  - {id: zed, name: Zed}
teams:
  - {id: sales, members: [anna], manager: zed}
rules:
  - {name: all, route: {team: sales}}
sla: [{name: default, within: 30m}]
fallback: {team: sales}
""")
    decision = engine.route(LEAD, RoutingState(reps={"anna": away()}), MONDAY_10)
    assert (decision.outcome, decision.pool, decision.rule) == (Outcome.QUEUED, "sales", "manager_queue")
    assert [code for code, _ in codes(decision)] == ["rule", "skipped", "queued", "sla"]


def test_the_fallback_team_pick_is_marked_fallback_with_the_teams_pool() -> None:
    decision = engine_for(NIGHT).route(Lead(email="a@b.com", source="nowhere"), RoutingState(), MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        "day",
        "fallback",
        "uk",
        "round_robin",
        True,
    )
    assert decision.rotation is not None and decision.rotation.pool == "uk"
    assert ("fallback", "fallback team uk", None) in decision.reasons


def test_a_normal_pick_is_not_marked_fallback_and_carries_its_rotation() -> None:
    decision = engine_for(NIGHT).route(Lead(email="a@b.com", source="event"), RoutingState(), MONDAY_10)
    assert (decision.rep, decision.rule, decision.pool, decision.fallback) == ("day", "uk", "uk", False)
    assert decision.rotation == RotationUpdate(pool="uk", rep="day", turn=1, credits={"day": 0.0, "night": 0.0})
    assert decision.due_at == MONDAY_10 + timedelta(hours=1)
    assert decision.remind_at == MONDAY_10 + timedelta(minutes=30)


@pytest.mark.parametrize("employees", [0, 200, 10**6])
def test_the_fallback_rep_config_never_raises(employees: int) -> None:
    for state in (RoutingState(), RoutingState(reps={r: away() for r in ("anna", "zed", "rita")})):
        decision = engine_for(FALLBACK_REP).route(Lead(email="a@b.com", employees=employees), state, SATURDAY_NOON)
        assert decision.outcome in (Outcome.ASSIGNED, Outcome.QUEUED)


# --- weighted pools: who is owed a lead while away ----------------------------------------------------

WEIGHTED = """
reps:
  - {id: a, name: A, weight: 1}
  - {id: b, name: B, weight: 1}
  - {id: c, name: C, weight: 2}
teams:
  - {id: pool, members: [a, b, c], strategy: weighted}
sla: [{name: default, within: 1h}]
fallback: {team: pool}
"""


def test_a_heavier_rep_away_is_credited_their_share_of_the_lead_they_missed() -> None:
    # Fresh pool: c (weight 2) ranks first, but is on PTO; a takes it. c is owed 2 / (4 - 2) = 1 lead.
    decision = engine_for(WEIGHTED).route(LEAD, RoutingState(reps={"c": away()}), MONDAY_10)
    assert decision.rep == "a"
    assert decision.rotation == RotationUpdate(pool="pool", rep="a", turn=1, credits={"a": 0.0, "b": 0.0, "c": 1.0})


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_a_rep_away_from_an_unweighted_pool_is_owed_no_share_of_the_lead(strategy: str) -> None:
    # The same pool and absence as above, unweighted: no target shares, so c is owed nothing (the
    # credits only register the three newcomers), and c's round-robin turn is what brings c back.
    decision = engine_for(WEIGHTED.replace("weighted", strategy)).route(
        LEAD, RoutingState(reps={"c": away()}), MONDAY_10
    )
    assert decision.rep == "a"
    assert decision.rotation == RotationUpdate(pool="pool", rep="a", turn=1, credits={"a": 0.0, "b": 0.0, "c": 0.0})


def test_a_rep_who_already_had_the_lead_earns_no_credit() -> None:
    decision = engine_for(WEIGHTED).route(LEAD, RoutingState(tried=frozenset({"c"})), MONDAY_10)
    assert decision.rep == "a"
    assert decision.rotation is not None and decision.rotation.credits == {"a": 0.0, "b": 0.0, "c": 0.0}


def test_credit_shares_divide_by_the_weight_of_those_present() -> None:
    members = {rep: PoolMember(assigned=2, last_turn=1) for rep in ("a", "b", "c")}
    state = RoutingState(pools={"pool": PoolState(turn=3, members=members)}, reps={"c": away(), "a": away()})
    decision = engine_for(WEIGHTED).route(LEAD, state, MONDAY_10)
    # Shortfalls: a 0.5, b 0.5, c 1.0 (order c, a, b); c and a away; b takes it, turn 4.
    assert decision.rotation == RotationUpdate(pool="pool", rep="b", turn=4, credits={"c": 2.0, "a": 1.0})


def test_route_to_a_named_rep_stays_outside_the_rotation() -> None:
    decision = engine_for(WEIGHTED).route_to(
        LEAD, "b", RoutingState(), MONDAY_10, chosen_by="boss", exclude=frozenset()
    )
    assert (decision.rep, decision.rule, decision.pool, decision.strategy, decision.fallback) == (
        "b",
        "suggested",
        None,
        "suggested",
        False,
    )
    assert decision.reasons[0] == ("suggested", "suggested by @boss", "b")


# --- the qualification gate, accounts and the explanation ---------------------------------------------

GATED = """
qualification: {min_score: 20, field: fit, missing: nurture}
reps:
  - {id: anna, name: Anna}
  - {id: owner, name: Owner}
teams:
  - {id: sales, members: [anna]}
accounts:
  - {name: Acme, domain: acme.com, owner: owner}
rules:
  - {name: owners, route: {account_owner: true}}
  - {name: rest, route: {team: sales}}
sla:
  - {name: quick, when: {intent: demo}, within: 90s}
  - {name: slow, when: {intent: later}, within: 2h, business_hours: true}
  - {name: default, within: 45m}
fallback: {team: sales}
"""


@pytest.mark.parametrize(
    ("fit", "outcome", "text"),
    [
        (None, Outcome.NURTURE, "no fit: sent to nurture"),
        ("high", Outcome.NURTURE, "no fit: sent to nurture"),
        (True, Outcome.NURTURE, "no fit: sent to nurture"),
        (19.5, Outcome.NURTURE, "fit 19.5 is below 20: sent to nurture"),
        (20, Outcome.ASSIGNED, None),
    ],
)
def test_the_score_gate_sends_low_or_missing_scores_to_nurture_when_so_configured(
    fit: object, outcome: Outcome, text: str | None
) -> None:
    extra = {} if fit is None else {"fit": fit}
    decision = engine_for(GATED).route(Lead(email="a@shop.com", extra=extra), RoutingState(), MONDAY_10)  # type: ignore[arg-type]
    assert decision.outcome is outcome
    if text is not None:
        assert (decision.rule, decision.rep, decision.due_at, decision.sla, decision.fallback) == (
            "qualification",
            None,
            None,
            None,
            False,
        )
        assert [(r.code, r.text) for r in decision.reasons] == [("nurture", text)]
        assert decision.facts["email_domain"] == "shop.com"  # the audit keeps what the gate read


def test_a_missing_score_is_routed_when_missing_scores_route() -> None:
    engine = engine_for("""
qualification: {min_score: 20}
reps: [{id: anna, name: Anna}]
teams: [{id: sales, members: [anna]}]
sla: [{name: default, within: 1h}]
fallback: {team: sales}
""")
    assert engine.route(Lead(email="a@b.com"), RoutingState(), MONDAY_10).rep == "anna"
    assert engine.route(Lead(email="a@b.com", score=19), RoutingState(), MONDAY_10).outcome is Outcome.NURTURE


def test_an_account_owner_rule_routes_a_known_domain_to_its_owner_and_steps_aside_otherwise() -> None:
    known = engine_for(GATED).route(Lead(email="cto@acme.com", extra={"fit": 50}), RoutingState(), MONDAY_10)
    assert (known.rep, known.rule, known.pool, known.strategy, known.fallback) == (
        "owner",
        "account_owner",
        None,
        "account_owner",
        False,
    )
    assert known.reasons[0] == ("account_owner", "account owner of Acme", None)
    assert [r.code for r in known.reasons] == ["account_owner", "sla"]
    unknown = engine_for(GATED).route(Lead(email="cto@other.com", extra={"fit": 50}), RoutingState(), MONDAY_10)
    assert (unknown.rep, unknown.rule) == ("anna", "rest")
    assert [(r.code, r.text) for r in unknown.reasons][:2] == [
        ("no_account", "rule owners: no known account for this domain"),
        ("rule", "rule rest: always"),
    ]


def test_a_rule_naming_a_rep_gives_an_accounts_lead_to_that_rep_when_the_owner_cannot_take_it() -> None:
    named = GATED.replace(
        "  - {name: owners,", "  - {name: demo, when: {intent: demo}, route: {rep: anna}}\n  - {name: owners,"
    )
    state = RoutingState(reps={"owner": away()})
    decision = engine_for(named).route(Lead(email="cto@acme.com", intent="demo", extra={"fit": 50}), state, MONDAY_10)
    assert (decision.rep, decision.rule, decision.fallback) == ("anna", "demo", False)


def test_a_reminder_in_working_time_counts_the_reps_own_hours() -> None:
    # 21:30 UTC Monday is 16:30 in New York: 30 minutes today, the rest from 09:00 New York on Tuesday.
    engine = engine_for("""
reps: [{id: ny, name: NY, timezone: America/New_York}]
teams: [{id: t, members: [ny]}]
sla: [{name: slow, within: 2h, business_hours: true, remind_at: 0.5}]
fallback: {team: t}
""")
    decision = engine.route(LEAD, RoutingState(), MONDAY_10.replace(hour=21, minute=30))
    tuesday_9_ny = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    assert (decision.remind_at, decision.due_at) == (
        tuesday_9_ny + timedelta(minutes=30),
        tuesday_9_ny + timedelta(minutes=90),
    )


def test_an_account_owner_rule_after_the_owner_was_tried_falls_through_to_the_owners_rule() -> None:
    # The owner already had the lead: the account step passes them over (no backup), and the
    # account-owner rule names them again, so the rule's pick is the owner's backup or the fallback.
    state = RoutingState(tried=frozenset({"owner"}))
    decision = engine_for(GATED).route(Lead(email="cto@acme.com", extra={"fit": 50}), state, MONDAY_10)
    assert (decision.rep, decision.rule, decision.fallback) == ("anna", "fallback", True)
    assert decision.reasons[0] == ("skipped", "skipped account owner @owner: already had this lead", "owner")


@pytest.mark.parametrize(
    ("intent", "sla", "due", "text"),
    [
        ("demo", "quick", timedelta(seconds=90), "SLA quick: 90s"),
        ("later", "slow", timedelta(hours=2), "SLA slow: 2h of @anna's working time"),
        (None, "default", timedelta(minutes=45), "SLA default: 45m"),
    ],
)
def test_the_first_matching_sla_policy_sets_the_deadline_and_names_itself(
    intent: str | None, sla: str, due: timedelta, text: str
) -> None:
    decision = engine_for(GATED).route(
        Lead(email="a@b.com", intent=intent, extra={"fit": 90}), RoutingState(), MONDAY_10
    )
    assert (decision.sla, decision.due_at, decision.remind_at) == (sla, MONDAY_10 + due, None)
    assert decision.reasons[-1] == ("sla", text, None)


def test_the_manager_queue_has_an_sla_too_counted_from_now() -> None:
    decision = engine_for(GATED).route(
        Lead(email="a@b.com", intent="later", extra={"fit": 90}), RoutingState(reps={"anna": away()}), MONDAY_10
    )
    assert (decision.outcome, decision.sla, decision.due_at) == (Outcome.QUEUED, "slow", MONDAY_10 + timedelta(hours=2))
    assert decision.reasons[-1] == ("sla", "SLA slow: 2h", None)


def test_enrichment_is_explained_first() -> None:
    decision = engine_for(GATED).route(
        Lead(email="a@b.com", country="DE", employees=5, extra={"fit": 90}), RoutingState(), MONDAY_10
    )
    assert decision.reasons[0] == ("enriched", "EMEA · smb · de", None)
    plain = engine_for(GATED).route(Lead(email="a@b.com", extra={"fit": 90}), RoutingState(), MONDAY_10)
    assert plain.reasons[0].code == "no_account"


def test_route_to_an_unknown_rep_raises_key_error() -> None:
    with pytest.raises(KeyError):
        engine_for(GATED).route_to(LEAD, "ghost", RoutingState(), MONDAY_10, chosen_by="boss", exclude=frozenset())


def test_a_suggested_rep_who_cannot_take_it_is_named_first_and_the_lead_routed_without_them() -> None:
    state = RoutingState(reps={"owner": RepState(open_load=20)})
    decision = engine_for(GATED).route_to(
        Lead(email="a@b.com", extra={"fit": 90}), "owner", state, MONDAY_10, chosen_by="boss", exclude=frozenset({"x"})
    )
    assert decision.reasons[0] == ("suggestion", "suggested @owner cannot take it: at capacity 20/20", "owner")
    assert (decision.rep, decision.rule) == ("anna", "rest")
    excluded = engine_for(GATED).route_to(
        Lead(email="a@b.com", extra={"fit": 90}),
        "anna",
        RoutingState(),
        MONDAY_10,
        chosen_by="boss",
        exclude=frozenset({"anna"}),
    )
    assert excluded.outcome is Outcome.QUEUED  # anna is excluded from the usual route too


def test_a_preference_nobody_available_meets_gives_the_best_available_rep_without_saying_preferred() -> None:
    engine = engine_for("""
reps:
  - {id: anna, name: Anna, languages: [en]}
  - {id: bob, name: Bob, languages: [en, fr]}
  - {id: cleo, name: Cleo, languages: [en]}
teams: [{id: t, members: [anna, bob, cleo]}]
rules: [{name: r, route: {team: t}, prefer: {languages: [fr]}}]
sla: [{name: default, within: 1h}]
fallback: {team: t}
""")
    french = engine.route(LEAD, RoutingState(), MONDAY_10)
    assert french.rep == "bob"
    assert ("preferred", "preferred language fr: @bob over @anna", None) in french.reasons
    nobody = engine.route(
        LEAD, RoutingState(reps={"bob": RepState(paused=True), "anna": RepState(paused=True)}), MONDAY_10
    )
    assert nobody.rep == "cleo" and "preferred" not in [r.code for r in nobody.reasons]
    # Skipped reps are explained only if they ranked ahead of the winner.
    assert [r.rep for r in nobody.reasons if r.code == "skipped"] == ["anna", "bob"]
    assert [r.rep for r in french.reasons if r.code == "skipped"] == []


def test_a_newcomer_to_a_weighted_pool_ranks_with_its_joining_credit() -> None:
    engine = engine_for(WEIGHTED.replace("weight: 2", "weight: 1"))
    # a had three leads and b one; c joins owed its share (2): b is furthest below par. Without the
    # joining credit c, with nothing, would rank first and take a burst.
    stored = {"a": PoolMember(assigned=3, last_turn=4), "b": PoolMember(assigned=1, last_turn=3)}
    decision = engine.route(LEAD, RoutingState(pools={"pool": PoolState(turn=4, members=stored)}), MONDAY_10)
    assert decision.rep == "b"
    assert decision.rotation == RotationUpdate(pool="pool", rep="b", turn=5, credits={"c": 2.0})


def test_a_newcomer_away_on_joining_is_credited_its_joining_share_and_the_lead_it_missed() -> None:
    stored = {"a": PoolMember(assigned=2), "b": PoolMember(assigned=2)}
    state = RoutingState(pools={"pool": PoolState(turn=4, members=stored)}, reps={"c": away()})
    decision = engine_for(WEIGHTED).route(LEAD, state, MONDAY_10)
    # c joins with 4 x 2/2 = 4 and, ranked first but away, is owed 2 / (4 - 2) = 1 more.
    assert decision.rep == "a"
    assert decision.rotation == RotationUpdate(pool="pool", rep="a", turn=5, credits={"c": 5.0})
