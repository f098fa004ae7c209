"""The "why you" line: one human sentence built from what the engine already decided; the full trace
(regex text, conditions, skips) stays in `reasons` for the audit."""

from __future__ import annotations

from routing import Lead
from tests.routing.conftest import RouteFn


def test_a_rule_says_its_name_the_leads_values_it_read_and_how_its_team_chose(route: RouteFn) -> None:
    decision = route(Lead(email="cto@firma.de", country="DE"))
    assert decision.summary == "dach rule (country DE) → round robin in emea; preferred language de: @dieter over @emma"
    assert any(r.text == "rule dach: country in [DE, AT, CH]" for r in decision.reasons)  # the trace keeps it


def test_values_not_condition_text_for_nested_rules(route: RouteFn) -> None:
    decision = route(Lead(email="a@tiny.io", employees=8, intent="demo"))
    assert decision.summary.startswith("smb-urgent rule (employees 8, intent demo) → fewest open leads in inside")
    assert "any(" not in decision.summary and "True" not in decision.summary


def test_a_rule_to_a_rep_names_them_and_the_fallback_says_so(route: RouteFn) -> None:
    assert route(Lead(email="p@partner.io", source="partner")).summary == "partner rule (source partner) → @paul"
    fallback = route(Lead(email="x@shop.com"))
    assert fallback.summary.startswith("no rule matched; fallback team")


VALUES = """
timezone: UTC
working_hours: always
reps: [{id: a, name: A}]
teams: [{id: t, members: [a]}]
rules:
  - {name: vp, when: {any: [{title: {contains: vp}}, {score: ">=100"}, {intent: demo}]}, route: {rep: a}}
sla: [{name: d, within: 1h}]
fallback: {team: t}
"""


def test_the_why_shows_whole_numbers_plainly_cuts_long_values_at_40_and_leaves_out_empty_ones() -> None:
    from datetime import UTC, datetime

    from routing import Engine, RoutingState, parse_config

    engine, now = Engine(parse_config(VALUES)), datetime(2026, 11, 23, 10, tzinfo=UTC)

    def why(lead: Lead) -> str:
        return engine.route(lead, RoutingState(), now).summary

    forty, forty_one = "VP " + "x" * 37, "VP " + "x" * 38
    assert why(Lead(email="a@b.com", title=forty, score=120.0)) == f"vp rule (title {forty}, score 120) → @a"
    assert (
        why(Lead(email="a@b.com", title=forty_one, score=87.5)) == f"vp rule (title {forty_one[:39]}…, score 87.5) → @a"
    )
    assert why(Lead(email="a@b.com", title="", intent="demo")) == "vp rule (intent demo) → @a"
