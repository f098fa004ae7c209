"""A small but complete team used across the routing tests (see SCENARIO_YAML)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from routing import Engine, Lead, RoutingConfig, RoutingState, parse_config
from routing.availability import _last_day
from routing.enrich import country_code
from routing.model import Decision
from routing.schedule import _parse_hours, zone

SCENARIO_YAML = """
timezone: America/New_York
working_hours: "mon-fri 09:00-17:00"
qualification: {min_score: 20}
managers:
  - {id: hana, name: Hana Head, slack_id: UHANA01}
  - {id: maria, name: Maria Manager, slack_id: UMARIA1, reports_to: hana}
reps:
  - {id: dieter, name: Dieter, timezone: Europe/Berlin, languages: [en, de], manager: maria}
  - {id: emma, name: Emma, timezone: Europe/London, languages: [en, fr], manager: maria, backup: dieter}
  - {id: ethan, name: Ethan, skills: [fintech], manager: maria}
  - {id: erin, name: Erin, skills: [healthcare], manager: maria}
  - {id: mia, name: Mia, manager: maria, backup: max}
  - {id: max, name: Max, manager: maria}
  - {id: mo, name: Mo, manager: maria}
  - {id: ivy, name: Ivy, manager: maria}
  - {id: kenji, name: Kenji, timezone: Asia/Tokyo, working_hours: "mon-fri 09:00-18:00", languages: [en, ja],
     manager: maria}
  - {id: priya, name: Priya, timezone: Australia/Sydney, manager: maria}
  - {id: paul, name: Paul, manager: maria}
  - {id: fran, name: Fran, manager: maria}
teams:
  - {id: emea, members: [emma, dieter], manager: maria, strategy: round_robin}
  - {id: enterprise, members: [ethan, erin], manager: maria, strategy: weighted}
  - {id: mid-market, members: [mia, max, mo], manager: maria, strategy: round_robin}
  - {id: inside, members: [ivy], manager: maria, strategy: least_loaded}
  - {id: apac, members: [priya, kenji], manager: maria, strategy: least_loaded}
  - {id: catch-all, members: [fran], manager: maria}
accounts:
  - {name: Globex, domain: globex.com, aliases: [globex.de], owner: ethan}
  - {name: Initech, domain: initech.com, owner: mia}
rules:
  - name: partner
    when: {source: partner}
    route: {rep: paul}
  - name: dach
    when: {country: {in: [DE, AT, CH]}}
    route: {team: emea}
    prefer: {languages: ["{language}"]}
  - name: emea
    when: {region: EMEA}
    route: {team: emea}
  - name: apac
    when: {region: APAC}
    route: {team: apac}
  - name: enterprise
    when: {all: [{employees: ">=200"}, {budget: confirmed}]}
    route: {team: enterprise}
    prefer: {skills: ["{industry}"]}
  - name: mid-market
    when: {employees: "20-199"}
    route: {team: mid-market}
  - name: smb-urgent
    when: {all: [{employees: "<20"}, {any: [{intent: demo}, {urgency: high}]}]}
    route: {team: inside}
sla:
  - {name: demo, when: {intent: {in: [demo, pricing]}}, within: 5m}
  - {name: hot-content, when: {all: [{intent: content}, {score: ">=70"}]}, within: 15m}
  - {name: general, within: 1h, business_hours: true}
fallback: {team: catch-all}
"""

# Monday 2026-11-23 15:00 UTC: 10:00 in New York, 16:00 in Berlin, 15:00 in London,
# 02:00 Tuesday in Sydney and 00:00 Tuesday in Tokyo (night).
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


# Every memo in `routing/`. Mutation testing forks each mutant's run from a process that has already
# filled them, and a full memo would answer with the unmutated result, hiding the mutant; clearing
# them at the start of each session and before each test makes every test compute what it checks.
# (The memoised functions themselves are decorated, which mutmut leaves alone; what they call is not.)
ROUTING_CACHES = (_parse_hours, zone, _last_day, country_code)


def _clear_routing_caches() -> None:
    for cached in ROUTING_CACHES:
        cached.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _fresh_caches_for_the_session() -> None:
    """Runs before the session-scoped config below is parsed (autouse fixtures come first in a scope)."""
    _clear_routing_caches()


@pytest.fixture(autouse=True)
def _fresh_caches_for_each_test() -> None:
    _clear_routing_caches()


@pytest.fixture(scope="session")
def config() -> RoutingConfig:
    return parse_config(SCENARIO_YAML)


@pytest.fixture(scope="session")
def engine(config: RoutingConfig) -> Engine:
    return Engine(config)


RouteFn = Callable[..., Decision]


@pytest.fixture
def route(engine: Engine) -> RouteFn:
    def _route(
        lead: Lead | None = None,
        state: RoutingState | None = None,
        now: datetime = MONDAY_10_NY,
        **fields: object,
    ) -> Decision:
        return engine.route(lead or Lead(**fields), state or RoutingState(), now)  # type: ignore[arg-type]

    return _route
