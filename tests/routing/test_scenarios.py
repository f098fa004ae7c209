"""The routing scenarios the seeds describe, table-driven: one lead in, the expected rep and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import Engine, Lead, Outcome, RepState, RoutingState, Window
from tests.routing.conftest import MONDAY_10_NY, RouteFn

# Tue 03:00 New York: 17:00 in Tokyo (Kenji works until 18:00), 19:00 in Sydney (Priya has left).
TOKYO_AT_3AM_EASTERN = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "fields", "now", "rep", "rule", "reason_code"),
    [
        (
            "Munich goes to the German-speaking EMEA rep",
            {"email": "lena@autohaus.de", "country": "Germany", "employees": 80},
            MONDAY_10_NY,
            "dieter",
            "dach",
            "preferred",
        ),
        (
            "an existing customer's colleague goes to the account owner, whatever the territory",
            {"email": "cfo@globex.de", "country": "DE", "employees": 5000},
            MONDAY_10_NY,
            "ethan",
            "account_owner",
            "account_owner",
        ),
        (
            "200+ employees with budget goes to enterprise, matching the industry",
            {
                "email": "a@clinic.com",
                "country": "US",
                "employees": 900,
                "industry": "Healthcare",
                "extra": {"budget": "confirmed"},
            },
            MONDAY_10_NY,
            "erin",
            "enterprise",
            "preferred",
        ),
        (
            "20-199 employees goes round robin across mid-market",
            {"email": "b@shop.com", "country": "US", "employees": 50},
            MONDAY_10_NY,
            "mia",
            "mid-market",
            "strategy",
        ),
        (
            "under 20 employees with an urgent signal goes to inside sales",
            {"email": "c@tiny.io", "country": "US", "employees": 8, "intent": "demo"},
            MONDAY_10_NY,
            "ivy",
            "smb-urgent",
            "rule",
        ),
        (
            "a lead from Tokyo at 03:00 US Eastern goes to the APAC rep at work",
            {"email": "k@kaisha.jp", "country": "JP", "employees": 40},
            TOKYO_AT_3AM_EASTERN,
            "kenji",
            "apac",
            "strategy",
        ),
        (
            "a lead matching no rule goes to the fallback team",
            {"email": "d@nowhere.com", "country": "US", "employees": 5},
            MONDAY_10_NY,
            "fran",
            "fallback",
            "no_rule",
        ),
        (
            "a partner lead goes to the named partner rep",
            {"email": "p@reseller.com", "source": "partner"},
            MONDAY_10_NY,
            "paul",
            "partner",
            "rule",
        ),
    ],
)
def test_seed_scenarios(
    route: RouteFn, name: str, fields: dict[str, object], now: datetime, rep: str, rule: str, reason_code: str
) -> None:
    decision = route(now=now, **fields)
    assert (decision.rep, decision.rule) == (rep, rule), name
    assert reason_code in [reason.code for reason in decision.reasons], decision.reasons


def test_rep_on_pto_is_replaced_by_their_backup(route: RouteFn) -> None:
    # Emma is away Monday to Wednesday: the window ends at Thursday 00:00 in her zone.
    pto = Window(datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
    state = RoutingState(reps={"emma": RepState(pto=(pto,)), "dieter": RepState(open_load=20)})
    decision = route(email="x@bank.fr", country="FR", state=state)
    assert decision.outcome is Outcome.ASSIGNED
    skipped = [r.text for r in decision.reasons if r.code == "skipped"]
    assert any(text == "skipped @emma: on PTO until Nov 25" for text in skipped), skipped


def test_account_owner_on_pto_is_replaced_by_their_backup(route: RouteFn) -> None:
    pto = Window(MONDAY_10_NY - timedelta(days=1), MONDAY_10_NY + timedelta(days=2))
    state = RoutingState(reps={"mia": RepState(pto=(pto,))})
    decision = route(email="ops@initech.com", country="GB", employees=50, state=state)
    assert (decision.rep, decision.rule, decision.fallback) == ("max", "account_owner", True)
    assert any(r.code == "backup" and "covers for @mia (on PTO" in r.text for r in decision.reasons)


def test_account_owner_without_backup_steps_aside_for_the_rules(route: RouteFn) -> None:
    pto = Window(MONDAY_10_NY - timedelta(days=1), MONDAY_10_NY + timedelta(days=2))
    decision = route(
        email="cfo@globex.com",
        country="US",
        employees=50,
        state=RoutingState(reps={"ethan": RepState(pto=(pto,))}),
    )
    assert (decision.rep, decision.rule) == ("mia", "mid-market")
    assert "skipped account owner @ethan: on PTO" in decision.reasons[1].text


def test_nobody_at_work_goes_to_the_best_off_hours_rep_with_sla_from_their_shift(route: RouteFn) -> None:
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    decision = route(email="x@bank.fr", country="FR", now=saturday)
    assert decision.rep in ("emma", "dieter")
    assert decision.fallback is True
    # The general SLA is one business hour of the rep's own week: Monday 09:00 local + 1h.
    assert decision.due_at is not None and decision.due_at.weekday() == 0
    assert any(r.code == "off_hours" for r in decision.reasons)


def test_below_the_score_gate_goes_to_nurture_with_no_rep(route: RouteFn) -> None:
    decision = route(email="x@shop.com", employees=50, score=5)
    assert decision.outcome is Outcome.NURTURE and decision.rep is None and decision.due_at is None
    assert "below 20" in decision.summary


def test_nobody_anywhere_goes_to_the_manager_queue(route: RouteFn) -> None:
    full = RepState(open_load=999)
    state = RoutingState(reps={rep: full for rep in ("mia", "max", "mo", "fran")})
    decision = route(email="x@shop.com", country="US", employees=50, state=state)
    assert decision.outcome is Outcome.QUEUED and decision.rep is None
    assert decision.fallback is True and decision.due_at is not None
    assert decision.pool == "mid-market"
    assert "manager queue (@maria)" in decision.summary


def test_free_mail_never_matches_an_account(route: RouteFn) -> None:
    decision = route(email="someone@gmail.com", company="Globex", employees=50)
    assert decision.rule != "account_owner"


def test_subdomain_and_website_find_the_account(route: RouteFn) -> None:
    assert route(email="a@eu.globex.com").rep == "ethan"
    assert route(full_name="Al", domain="https://www.Globex.com/contact").rep == "ethan"


def test_already_tried_reps_are_excluded(route: RouteFn) -> None:
    state = RoutingState(tried=frozenset({"mia"}))
    decision = route(email="x@shop.com", employees=50, state=state)
    assert decision.rep == "max"
    assert any("@mia: already had this lead" in r.text for r in decision.reasons)


def test_sla_policies_pick_by_intent_and_score(route: RouteFn) -> None:
    assert route(email="a@b.com", employees=50, intent="demo").due_at == MONDAY_10_NY + timedelta(minutes=5)
    hot = route(email="a@b.com", employees=50, intent="content", score=80)
    assert hot.sla == "hot-content" and hot.due_at == MONDAY_10_NY + timedelta(minutes=15)
    assert route(email="a@b.com", employees=50, intent="content", score=40).sla == "general"


def test_business_hours_sla_runs_into_the_next_shift() -> None:
    from routing import Engine, parse_config
    from tests.routing.conftest import SCENARIO_YAML

    engine = Engine(parse_config(SCENARIO_YAML.replace("within: 5m}", "within: 5m, business_hours: true}")))
    at_1658 = datetime(2026, 11, 23, 21, 58, tzinfo=UTC)  # Monday 16:58 in New York
    decision = engine.route(Lead(email="a@shop.com", employees=50, intent="demo"), RoutingState(), at_1658)
    # 2 minutes today, 3 minutes into Tuesday's shift at 09:00 New York (14:00 UTC).
    assert decision.due_at == datetime(2026, 11, 24, 14, 3, tzinfo=UTC)


def test_same_input_gives_the_same_decision(route: RouteFn) -> None:
    lead = Lead(email="x@bank.fr", country="FR", employees=50)
    assert route(lead) == route(lead)


def test_a_persons_pick_gets_the_lead_outside_the_rotation_with_the_leads_sla(engine: Engine) -> None:
    lead = Lead(email="a@shop.com", employees=50, intent="demo")  # mid-market's rotation would give it to mia
    state = RoutingState(tried=frozenset({"mo"}))
    decision = engine.route_to(lead, "mo", state, MONDAY_10_NY, chosen_by="maria", exclude=frozenset())
    assert (decision.outcome, decision.rep, decision.rule, decision.rotation) == (
        Outcome.ASSIGNED,
        "mo",
        "suggested",
        None,
    )
    assert decision.due_at == MONDAY_10_NY + timedelta(minutes=5) and decision.sla == "demo"
    assert [r.code for r in decision.reasons] == ["suggested", "sla"]  # had it before: only `exclude` rules out


def test_a_pick_who_cannot_take_it_is_passed_over_and_the_lead_routed_as_usual(engine: Engine) -> None:
    lead = Lead(email="a@shop.com", employees=50)
    away = RoutingState(reps={"mo": RepState(paused=True)})
    decision = engine.route_to(lead, "mo", away, MONDAY_10_NY, chosen_by="maria", exclude=frozenset())
    assert decision.rep == "mia" and decision.rule == "mid-market"
    assert decision.reasons[0].text == "suggested @mo cannot take it: paused"
    excluded = engine.route_to(lead, "mia", RoutingState(), MONDAY_10_NY, chosen_by="mo", exclude=frozenset({"mia"}))
    assert excluded.rep == "max" and excluded.reasons[0].code == "suggestion"
