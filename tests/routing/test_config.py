"""Loading the config: every problem is reported with its path, and `check` warns about likely mistakes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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


BROKEN = """
timezone: Mars/Base
working_hours: "weekdays"
segments: {tiny: "lots"}
escalation: {repeat_every: sometimes}
managers:
  - {id: boss, name: Boss, reports_to: ghost}
reps:
  - {id: a, name: A, backup: a, manager: nobody}
  - {id: a, name: A2, backup: zz}
  - {id: boss, name: Clash}
teams:
  - {id: t, members: [a, a, nope], manager: ghost2}
  - {id: t, members: [a], escalation: {repeat_every: never}}
accounts:
  - {name: Acme, domain: acme.com, owner: a}
  - {name: Other, domain: other.com, aliases: [ACME.com], owner: a}
rules:
  - {name: r, route: {team: t, rep: a}}
  - {name: r, route: {team: x}}
  - {name: s, route: {rep: y}}
  - {name: u, route: {}}
sla:
  - {name: only, when: {intent: demo}, within: 5m}
fallback: {team: q, rep: a}
"""


def test_every_cross_reference_problem_is_named_with_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(BROKEN)
    assert caught.value.problems == [
        "timezone: unknown time zone 'Mars/Base' (use an IANA name such as 'Europe/Berlin')",
        "working_hours: expected working hours like 'mon-fri 09:00-17:30', got 'weekdays'",
        "reps[1].id: duplicate id 'a'",
        "reps[2].id: duplicate id 'boss'",
        "reps[0].backup: a rep cannot be their own backup",
        "reps[0].manager: unknown manager 'nobody'",
        "reps[1].backup: unknown rep 'zz'",
        "managers[0].reports_to: unknown manager 'ghost'",
        "teams[0].members[2]: unknown rep 'nope'",
        "teams[0].members: a rep is listed twice",
        "teams[0].manager: unknown manager 'ghost2'",
        "teams[0].escalation.repeat_every: expected a duration like '30s', '5m' or '1h', got 'sometimes'",
        "teams[1].id: duplicate team id 't'",
        "teams[1].escalation.repeat_every: expected a duration like '30s', '5m' or '1h', got 'never'",
        "accounts[1].aliases[0]: domain 'acme.com' already belongs to 'Acme'",
        "rules[0].route: route to exactly one of team, rep or account_owner",
        "rules[1].name: duplicate rule name 'r'",
        "rules[1].route.team: unknown team 'x'",
        "rules[2].route.rep: unknown rep 'y'",
        "rules[3].route: route to exactly one of team, rep or account_owner",
        "sla: add a catch-all policy without 'when', so every lead has an SLA",
        "fallback: name exactly one of team or rep; every lead needs somewhere to go",
        "fallback.team: unknown team 'q'",
        "segments.tiny: expected a range like '>=200', '<20' or '20-199'",
    ]
    assert str(caught.value).startswith(
        "invalid configuration:\n  timezone: unknown time zone 'Mars/Base' (use an IANA name such as 'Europe/Berlin')\n"
        "  working_hours: expected"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- just a list", "(top): expected a mapping with reps, teams, rules, sla and fallback"),
        (
            "reps: [{id: 'bad id', name: X}]\nteams: [{id: t, members: [x]}]\nsla: [{name: d, within: 1h}]\nfallback: {rep: x}",
            "reps[0].id: 'bad id' is not a valid value here",
        ),
        (
            "reps: []\nteams: [{id: t, members: [x]}]\nsla: [{name: d, within: 1h}]\nfallback: {rep: x}",
            "reps: List should have at least 1 item",
        ),
        (
            "reps: [{id: a, name: A}]\nteams: [{id: t, members: [a]}]\nsla: [{name: d, within: 1h}]",
            "fallback: Field required",
        ),
    ],
)
def test_shape_problems_are_named_with_their_path(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert problem in [p[: len(problem)] for p in caught.value.problems], caught.value.problems


def test_an_unreadable_file_is_a_config_error_naming_it(tmp_path: object) -> None:
    from pathlib import Path

    from routing import load_config

    missing = Path(str(tmp_path)) / "nope.yml"
    with pytest.raises(ConfigError) as caught:
        load_config(str(missing))
    assert caught.value.problems == [f"{missing}: cannot read the file (No such file or directory)"]
    present = Path(str(tmp_path)) / "ok.yml"
    present.write_text(SCENARIO_YAML, encoding="utf-8")
    assert set(load_config(str(present)).teams) == {"emea", "enterprise", "mid-market", "inside", "apac", "catch-all"}


def test_yaml_1_2_booleans_keep_norway_a_country() -> None:
    config = parse_config(SCENARIO_YAML.replace("when: {source: partner}", "when: {country: [NO, yes], vip: true}"))
    assert config.rules[0].when.describe() == "country in [NO, yes] and vip = True"


def test_the_compiled_config_holds_what_the_file_says() -> None:
    config = parse_config(
        SCENARIO_YAML.replace(
            "{id: mo, name: Mo,",
            "{id: mo, name: Mo, slack_id: UMO1, email: mo@x.com, capacity: 3, daily_cap: 9, weight: 2.5, active: false,",
        )
        .replace(
            "{id: inside, members: [ivy], manager: maria, strategy: least_loaded}",
            "{id: inside, name: Inside Sales, members: [ivy], manager: maria, channel: C1, strategy: least_loaded, "
            "tie_breaks: [least_loaded, weighted], performance_floor: 0.3, escalation: {after_expiries: 3, repeat_every: 10m, pings_per_level: 4}}",
        )
        .replace(
            "  - {name: Initech, domain: initech.com, owner: mia}",
            "  - {domain: Initech.com, aliases: ['https://www.Initech.de:443/about'], owner: mia}",
        )
        .replace(
            "qualification: {min_score: 20}",
            "qualification: {min_score: 20, field: fit, missing: nurture}\n"
            "regions: {NORDICS: [no, se]}\nfree_mail_domains: [Mail.Example]\nnumeric_fields: [seats]\n"
            "segments: {small: '<50', big: '>=50'}",
        )
        .replace("within: 5m}", "within: 5m, remind_at: 0.8}")
        .replace(
            'route: {team: enterprise}\n    prefer: {skills: ["{industry}"]}',
            "route: {team: enterprise}\n    require: {skills: [FinTech], languages: [EN]}",
        )
    )
    mo = config.reps["mo"]
    assert (mo.slack_id, mo.email, mo.capacity, mo.daily_cap, mo.weight, mo.active) == (
        "UMO1",
        "mo@x.com",
        3,
        9,
        2.5,
        False,
    )
    assert (mo.manager, mo.backup, mo.tz.key) == ("maria", None, "America/New_York")
    assert config.reps["mia"].backup == "max" and config.slack_id("mo") == "UMO1"
    kenji, dieter = config.reps["kenji"], config.reps["dieter"]
    assert (kenji.tz.key, kenji.languages, kenji.skills) == ("Asia/Tokyo", frozenset({"en", "ja"}), frozenset())
    assert config.reps["ethan"].skills == frozenset({"fintech"})
    assert kenji.hours.intervals[0] == ((540, 1080),) and dieter.hours.intervals[0] == ((540, 1020),)
    assert mo.schedule_key == config.reps["ivy"].schedule_key != dieter.schedule_key != kenji.schedule_key
    assert dieter.schedule_key != config.reps["emma"].schedule_key  # same hours, another zone
    inside = config.teams["inside"]
    assert (inside.name, inside.members, inside.member_set, inside.manager, inside.channel) == (
        "Inside Sales",
        ("ivy",),
        frozenset({"ivy"}),
        "maria",
        "C1",
    )
    assert (inside.strategy.value, [s.value for s in inside.tie_breaks], inside.performance_floor) == (
        "least_loaded",
        ["weighted"],
        0.3,
    )
    assert (inside.escalation.after_expiries, inside.escalation.repeat_every, inside.escalation.pings_per_level) == (
        3,
        timedelta(minutes=10),
        4,
    )
    emea = config.teams["emea"]
    assert (
        emea.name,
        emea.escalation.after_expiries,
        emea.escalation.repeat_every,
        emea.escalation.pings_per_level,
    ) == ("emea", 2, None, 2)
    initech = config.accounts["initech.com"]
    assert (initech.name, initech.domain, initech.owner) == ("Initech.com", "initech.com", "mia")
    assert config.accounts["initech.de"] is initech
    assert config.accounts["globex.de"] is config.accounts["globex.com"]
    assert (config.qualification.min_score, config.qualification.field, config.qualification.nurture_missing) == (
        20,
        "fit",
        True,
    )
    assert (config.country_region["NO"], config.country_region["SE"], config.country_region["DE"]) == (
        "NORDICS",
        "NORDICS",
        "EMEA",
    )
    assert "mail.example" in config.free_mail and "gmail.com" in config.free_mail
    assert {"seats", "employees", "score"} <= config.numeric_fields
    assert [(s.field, s.describe()) for s in config.segments] == [("small", "small <50"), ("big", "big >=50")]
    demo = config.sla[0]
    assert (demo.name, demo.within, demo.business_hours, demo.remind_at) == ("demo", timedelta(minutes=5), False, 0.8)
    assert (config.sla[2].business_hours, config.sla[2].remind_at) == (True, None)
    enterprise = config.rules[4]
    assert (enterprise.name, enterprise.index, enterprise.team, enterprise.rep, enterprise.account_owner) == (
        "enterprise",
        4,
        "enterprise",
        None,
        False,
    )
    assert (enterprise.require.skills, enterprise.require.languages, bool(enterprise.prefer)) == (
        ("fintech",),
        ("en",),
        False,
    )
    assert config.rules[0].rep == "paul" and config.rules[1].prefer.languages == ("{language}",)
    assert (config.fallback_team, config.fallback_rep) == ("catch-all", None)
    assert config.teams_of["emma"] == ("emea",) and "paul" not in config.teams_of


def test_people_names_slack_ids_and_escalation_chains() -> None:
    config = parse_config(SCENARIO_YAML)
    assert config.person_name("mia") == "Mia" and config.person_name("hana") == "Hana Head"
    assert config.person_name("stranger") == "stranger"
    assert config.slack_id("maria") == "UMARIA1" and config.slack_id("mia") is None and config.slack_id("x") is None
    assert config.escalation_chain("emea") == ("maria", "hana")
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["managers"][0]["reports_to"] = "maria"  # a cycle stops where it started
    raw["teams"][0]["manager"] = "dieter"  # a rep as a team's manager escalates to their own manager
    from routing.config import compile_config

    cyclic = compile_config(raw)
    assert cyclic.escalation_chain("emea") == ("dieter", "maria", "hana")
    assert cyclic.escalation_chain("mid-market") == ("maria", "hana")
    raw["teams"][0].pop("manager")
    assert compile_config(raw).escalation_chain("emea") == ()


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.com.", "acme.com"),
        ("  ACME.com:8443/x ", "acme.com"),
        ("git+ssh://shop.acme.co.uk", "shop.acme.co.uk"),
        ("www2.acme.com", "www2.acme.com"),
        ("acme.com/a/b", "acme.com"),
        ("acme.com:8443:x", "acme.com"),
    ],
)
def test_domains_are_normalised_to_a_bare_host(text: str, domain: str) -> None:
    from routing.config import normalise_domain

    assert normalise_domain(text) == domain


def test_format_path_reads_like_the_file() -> None:
    from routing.config import format_path

    assert format_path(()) == "(top)"
    assert format_path(("rules", 3, "when", "employees")) == "rules[3].when.employees"
    assert format_path((0, "x")) == "[0].x"


def test_check_finds_teams_nobody_can_staff_for_each_reason() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["reps"] += [
        {"id": "full", "name": "Full", "capacity": 0},
        {"id": "capped", "name": "Capped", "daily_cap": 0},
        {"id": "never", "name": "Never", "working_hours": []},
        {"id": "gone", "name": "Gone", "active": False},
        {"id": "ok", "name": "Ok", "daily_cap": 1, "capacity": 1},
    ]
    raw["teams"] += [
        {"id": f"only-{rep}", "members": [rep], "manager": "maria"} for rep in ("full", "capped", "never", "gone")
    ]
    raw["teams"].append({"id": "mixed", "members": ["full", "ok"], "channel": "C1"})
    raw["teams"].append({"id": "just-ok", "members": ["ok"], "channel": "C2"})
    from routing.config import compile_config

    found = warnings(compile_config(raw))
    unstaffable = [w.split(" ")[0] for w in found if "nobody could ever be available" in w]
    assert unstaffable == ["teams[6]", "teams[7]", "teams[8]", "teams[9]"]
    assert not any(w.startswith(("teams[10]", "teams[11]")) for w in found)


def test_an_account_owner_rule_shadows_nothing_and_a_fallback_rep_is_reached() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["rules"].insert(0, {"name": "owners", "route": {"account_owner": True}})
    raw["fallback"] = {"rep": "paul"}
    raw["rules"] = [rule for rule in raw["rules"] if rule["name"] != "partner"]
    from routing.config import compile_config

    assert warnings(compile_config(raw)) == [
        "reps[10] (paul): belongs to no team; only named rules, accounts or the fallback reach them"
    ]
    raw["fallback"] = {"team": "catch-all"}
    assert warnings(compile_config(raw)) == [
        "reps[10] (paul): belongs to no team; no team, rule or account reaches them, so they will never get a lead"
    ]


def test_check_warns_about_win_rates_with_no_outcome_source_and_outcome_settings_compile() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["teams"].append({"id": "closers", "members": ["paul"], "strategy": "performance", "manager": "maria"})
    from routing.config import ConfigError, compile_config

    expected = "teams[6] (closers): ranks by win rate, but no outcome source is configured"
    assert any(line.startswith(expected) for line in warnings(compile_config(raw)))
    assert f"{expected} (outcomes.source): every rep has the same prior rate until outcomes arrive" in warnings(
        compile_config(raw)
    )
    with_source = compile_config({**raw, "outcomes": {"source": "api", "performance_window": "30d", "min_sample": 3}})
    assert not any(line.startswith(expected) for line in warnings(with_source))
    assert (with_source.outcomes.performance_window.days, with_source.outcomes.min_sample) == (30, 3)
    assert not with_source.outcomes.close_load_by_window
    with pytest.raises(ConfigError) as bad:
        compile_config({**raw, "outcomes": {"load_window": "2h"}, "dedupe": {"window": "soon"}})
    assert "outcomes.load_window: must be at least a day" in str(bad.value)
    assert "dedupe.window: expected a duration" in str(bad.value)
    off = compile_config({**raw, "dedupe": {"window": False, "plus_tag_domains": ["GMail.com"]}})
    assert off.dedupe.window is None
    assert off.dedupe.email_key("Jo+Pricing@gmail.com") == "jo@gmail.com"
    assert off.dedupe.email_key("jo+pricing@acme.com") == "jo+pricing@acme.com"


def test_a_plus_tag_is_everything_from_the_first_plus_of_the_part_before_the_last_at() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    from routing.config import compile_config

    dedupe = compile_config({**raw, "dedupe": {"plus_tag_domains": ["gmail.com"]}}).dedupe
    assert dedupe.email_key("jo+pricing+q3@gmail.com") == "jo@gmail.com"
    assert dedupe.email_key('"jo@home"+x@gmail.com') == '"jo@home"@gmail.com'


def test_a_manager_manages_their_reps_and_anyone_else_nobody() -> None:
    config = parse_config(SCENARIO_YAML)
    assert config.manages("maria") == frozenset(config.reps)
    assert config.manages("hana") == frozenset() and config.manages("mia") == frozenset()


def problems(raw: dict[str, Any]) -> list[str]:
    from routing.config import compile_config

    with pytest.raises(ConfigError) as caught:
        compile_config(raw)
    return caught.value.problems


def test_a_teams_own_time_zone_and_hold_window_and_their_mistakes_named_with_the_teams_path() -> None:
    from zoneinfo import ZoneInfo

    from routing.config import compile_config

    raw = yaml.safe_load(SCENARIO_YAML)
    raw["teams"][0].update(timezone="Europe/Berlin", hold_window="3h")
    config = compile_config(raw)
    assert config.teams["emea"].tz == ZoneInfo("Europe/Berlin")
    assert config.teams["inside"].tz == ZoneInfo("America/New_York")  # the top-level zone
    assert config.teams["emea"].hold_window == timedelta(hours=3)
    raw["teams"][0].update(timezone="Mars/Olympus", hold_window="soon")
    found = problems(raw)
    assert any(line.startswith("teams[0].timezone: ") for line in found), found
    assert any(line.startswith("teams[0].hold_window: expected a duration") for line in found), found


def test_the_top_level_policy_window_reports_and_managers_compile_as_written() -> None:
    from datetime import time

    from routing.config import OffHours, compile_config
    from routing.config.compiled import Digest, Thresholds

    raw = yaml.safe_load(SCENARIO_YAML)
    raw.update(off_hours="hold", hold_window="3h")
    alerts = {"window": "2h", "assignment": "5m", "min_leads": 7, "fallback": 0.2, "sla_breach": 0.3}
    raw["reports"] = {
        "digest": {"weekday": "fri", "at": "16:30"},
        "alerts": {**alerts, "reassignment": 0.4, "clear_below": 0.5},
    }
    raw["managers"][1]["email"] = "maria@example.com"
    config = compile_config(raw)
    assert (config.off_hours, config.hold_window) == (OffHours.HOLD, timedelta(hours=3))
    assert config.digest == Digest(weekday=4, at=time(16, 30))
    assert config.thresholds == Thresholds(
        window=timedelta(hours=2),
        min_leads=7,
        fallback=0.2,
        sla_breach=0.3,
        reassignment=0.4,
        assignment=timedelta(minutes=5),
        clear_below=0.5,
    )
    maria = config.managers["maria"]
    assert (maria.id, maria.email, maria.reports_to) == ("maria", "maria@example.com", "hana")
    raw["reports"] = {"digest": None, "alerts": None}
    assert (compile_config(raw).digest, compile_config(raw).thresholds) == (None, None)
    raw["reports"] = {"alerts": {"window": "soon", "assignment": "later"}}
    assert problems(raw) == [
        "reports.alerts.window: expected a duration like '30s', '5m' or '1h', got 'soon'",
        "reports.alerts.assignment: expected a duration like '30s', '5m' or '1h', got 'later'",
    ]


def test_a_domain_claimed_twice_is_named_at_the_domain_or_alias_that_repeats_it() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["accounts"].append({"name": "Copycat", "domain": "GLOBEX.com", "aliases": ["initech.com"], "owner": "mo"})
    assert [line for line in problems(raw) if line.startswith("accounts")] == [
        "accounts[2].domain: domain 'globex.com' already belongs to 'Globex'",
        "accounts[2].aliases[0]: domain 'initech.com' already belongs to 'Initech'",
    ]


def test_an_unknown_fallback_rep_is_named_at_its_path() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["fallback"] = {"rep": "ghost"}
    assert "fallback.rep: unknown rep 'ghost'" in problems(raw)


def test_a_yaml_error_is_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("a: [")
    assert caught.value.problems == [
        "YAML: while parsing a flow node expected the node content, but found '<stream end>'   "
        'in "<unicode string>", line 1, column 5:     a: [         ^'
    ]


def test_a_teams_manager_manages_its_members_even_when_they_report_to_someone_else() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    raw["teams"].append({"id": "closers", "members": ["paul", "fran"], "manager": "hana"})
    from routing.config import compile_config

    config = compile_config(raw)
    assert config.manages("hana") == frozenset({"paul", "fran"})
    assert config.manages("maria") == frozenset(config.reps)


def test_an_unreadable_outcome_window_is_refused_with_its_path_and_the_parse_error() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    assert problems({**raw, "outcomes": {"load_window": "soon"}}) == [
        "outcomes.load_window: expected a duration like '30s', '5m' or '1h', got 'soon'"
    ]
    assert problems({**raw, "outcomes": {"performance_window": "-3d"}}) == [
        "outcomes.performance_window: expected a duration like '30s', '5m' or '1h', got '-3d'"
    ]


def test_a_load_window_of_exactly_a_day_is_enough_and_less_is_refused_in_words() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    from routing.config import compile_config

    assert compile_config({**raw, "outcomes": {"load_window": "1d"}}).outcomes.load_window == timedelta(days=1)
    assert compile_config({**raw, "outcomes": {"load_window": "25h"}}).outcomes.load_window == timedelta(hours=25)
    assert problems({**raw, "outcomes": {"load_window": "23h"}}) == [
        "outcomes.load_window: must be at least a day (the day's count never reaches past it)"
    ]


def test_a_dedupe_window_is_a_duration_off_or_refused_with_its_path() -> None:
    raw = yaml.safe_load(SCENARIO_YAML)
    from routing.config import compile_config

    assert compile_config(raw).dedupe.window == timedelta(days=30)
    assert compile_config({**raw, "dedupe": {"window": "14d"}}).dedupe.window == timedelta(days=14)
    assert compile_config({**raw, "dedupe": {"window": "off"}}).dedupe.window is None
    assert compile_config({**raw, "dedupe": {"window": None}}).dedupe.window is None
    assert problems({**raw, "dedupe": {"window": True}}) == ["dedupe.window: expected a duration like '30d', or off"]
    assert problems({**raw, "dedupe": {"window": "soon"}}) == [
        "dedupe.window: expected a duration like '30s', '5m' or '1h', got 'soon'"
    ]
