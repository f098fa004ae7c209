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
