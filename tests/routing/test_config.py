"""Loading the config: every problem is reported with its path, and `check` warns about likely mistakes."""

from __future__ import annotations

import pytest
import yaml

from routing import ConfigError, parse_config
from routing.lint import warnings
from tests.routing.conftest import SCENARIO_YAML


def problems_with(old: str, new: str) -> list[str]:
    assert old in SCENARIO_YAML
    with pytest.raises(ConfigError) as caught:
        parse_config(SCENARIO_YAML.replace(old, new))
    return caught.value.problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'when: {employees: "20-199"}',
            'when: {employees: "lots"}',
            "rules[5].when.employees: expected a range like '>=200', '<20' or '20-199'",
        ),
        ("route: {team: inside}", "route: {team: insde}", "rules[6].route.team: unknown team 'insde'"),
        ("members: [ivy]", "members: [ivy, ghost]", "teams[3].members[1]: unknown rep 'ghost'"),
        ("timezone: Asia/Tokyo", "timezone: Asia/Tokio", "reps[8].timezone: unknown time zone 'Asia/Tokio'"),
        ("within: 5m", "within: 5 parsecs", "sla[0].within: expected a duration like '30s', '5m' or '1h'"),
        ("fallback: {team: catch-all}", "fallback: {}", "fallback: name exactly one of team or rep"),
        (
            'working_hours: "mon-fri 09:00-18:00"',
            'working_hours: "weekdays 9-6"',
            "reps[8].working_hours: expected working hours like 'mon-fri 09:00-17:30'",
        ),
        (
            "{intent: {in: [demo, pricing]}}",
            "{intent: {like: demo}}",
            "sla[0].when.intent: unknown operator 'like'",
        ),
        (
            "{id: mo, name: Mo,",
            "{id: mo, name: Mo, capacity: -1,",
            "reps[6].capacity: Input should be greater than or equal to 0",
        ),
        ("{id: mo, name: Mo,", "{id: mo, name: Mo, colour: blue,", "reps[6].colour: unknown key"),
        ("owner: mia}", "owner: nobody}", "accounts[1].owner: unknown rep 'nobody'"),
    ],
)
def test_errors_name_the_path_and_the_problem(old: str, new: str, expected: str) -> None:
    found = problems_with(old, new)
    assert any(problem.startswith(expected) for problem in found), found


def test_every_problem_is_reported_at_once() -> None:
    broken = SCENARIO_YAML.replace("route: {team: inside}", "route: {team: x}").replace("within: 1h,", "within: soon,")
    with pytest.raises(ConfigError) as caught:
        parse_config(broken)
    assert len(caught.value.problems) == 2


def test_bad_regex_and_bad_yaml_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\]\.when\.email: bad regular expression"):
        parse_config(SCENARIO_YAML.replace("when: {source: partner}", "when: {email: {regex: '(['}}"))
    with pytest.raises(ConfigError, match="YAML"):
        parse_config("reps: [")


def test_an_sla_catch_all_is_required() -> None:
    found = problems_with("  - {name: general, within: 1h, business_hours: true}\n", "")
    assert any(problem.startswith("sla: add a catch-all policy") for problem in found)


def test_check_warns_about_shadowed_rules_orphan_reps_and_unstaffable_teams() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["rules"].insert(3, {"name": "germany-only", "when": {"country": "DE"}, "route": {"team": "emea"}})
    raw["reps"].append({"id": "olga", "name": "Olga"})
    raw["reps"].append({"id": "gone", "name": "Gone", "active": False})
    raw["teams"].append({"id": "ghosts", "members": ["gone"]})
    from routing.config import compile_config

    found = warnings(compile_config(raw))
    assert found == [
        "rules[3] (germany-only): can never match; rules[1] (dach) catches every lead it would",
        "reps[10] (paul): belongs to no team; only named rules, accounts or the fallback reach them",
        "reps[12] (olga): belongs to no team; no team, rule or account reaches them, so they will never get a lead",
        "teams[6] (ghosts): nobody could ever be available (inactive, no capacity, or no working hours); "
        "its leads will always fall back",
        "teams[6] (ghosts): no channel and no manager, so its escalations reach nobody; set one of them",
    ]


def test_the_scenario_config_has_no_warnings_but_the_partner_rep() -> None:
    assert warnings(parse_config(SCENARIO_YAML)) == [
        "reps[10] (paul): belongs to no team; only named rules, accounts or the fallback reach them"
    ]


def test_check_warns_about_a_team_whose_escalations_reach_nobody() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["teams"].append({"id": "orphans", "members": ["paul"]})
    from routing.config import compile_config

    assert (
        "teams[6] (orphans): no channel and no manager, so its escalations reach nobody; set one of them"
        in warnings(compile_config(raw))
    )
