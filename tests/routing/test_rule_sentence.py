"""The "why you" sentence of a rule: the rule's name as written (braces and all), the lead's values it
read, and how it picked: a team's strategy, or the rep it names."""

from __future__ import annotations

from datetime import UTC, datetime

from routing import Engine, Lead, RoutingState, parse_config

BRACED = """
timezone: UTC
working_hours: always
reps:
  - {id: ana, name: Ana}
teams:
  - {id: sales, name: Sales Team, members: [ana]}
rules:
  - {name: "vip {gold}", when: {source: vip}, route: {team: sales}}
  - {name: partner, when: {source: partner}, route: {rep: ana}}
sla: [{name: standard, within: 15m}]
fallback: {team: sales}
"""


def test_a_rule_named_with_braces_is_quoted_as_written_in_the_why_you_sentence() -> None:
    engine = Engine(parse_config(BRACED))
    lead = Lead(email="jo@example.com", first_name="Jo", company="Example", score=50, source="vip")

    decision = engine.route(lead, RoutingState(), datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    assert decision.summary == "vip {gold} rule (source vip) → round robin in Sales Team"


def test_a_rule_naming_a_rep_says_so_in_the_why_you_sentence() -> None:
    engine = Engine(parse_config(BRACED))
    lead = Lead(email="jo@example.com", first_name="Jo", company="Example", score=50, source="partner")

    decision = engine.route(lead, RoutingState(), datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    assert decision.summary == "partner rule (source partner) → @ana"


OWNED = """
timezone: UTC
working_hours: "mon-fri 09:00-17:00"
reps:
  - {id: ana, name: Ana}
  - {id: ben, name: Ben}
teams:
  - {id: sales, name: Sales Team, members: [ana, ben]}
accounts:
  - {name: Globex, domain: globex.com, owner: ben}
rules:
  - {name: owners, route: {account_owner: true}}
sla: [{name: standard, within: 15m}]
fallback: {team: sales}
"""


def test_an_account_owner_rule_off_hours_says_the_account_owner_gets_it_when_they_start() -> None:
    engine = Engine(parse_config(OWNED))
    lead = Lead(email="jo@globex.com", first_name="Jo", company="Globex", score=50)

    decision = engine.route(lead, RoutingState(), datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # a Saturday

    assert decision.rep == "ben"
    assert decision.summary.startswith("owners rule (any lead) → the account owner; nobody is at work")
