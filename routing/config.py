"""The routing configuration: YAML in, a validated and compiled `RoutingConfig` out.

Loading happens in two passes. Pydantic checks the shape and types of the file; `_compile` then checks
what pydantic cannot (references between reps, teams and rules, conditions, time zones, working hours)
and builds the immutable runtime objects the engine reads on every decision. Every problem from either
pass is reported together as ``path: problem`` lines, e.g. ``rules[3].when.employees: expected a range
like '>=200', '<20' or '20-199'``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from routing import conditions
from routing.conditions import Condition, ConditionError, Range
from routing.geo import COUNTRY_REGION, FREE_MAIL_DOMAINS
from routing.schedule import WeeklyHours, parse_duration, zone

NUMERIC_FIELDS = frozenset({"employees", "score", "revenue", "annual_revenue", "deal_size"})
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    LEAST_LOADED = "least_loaded"
    PERFORMANCE = "performance"


class OffHours(StrEnum):
    """What happens to a lead when nobody in its pool is at work.

    * ``soonest``: the rep whose shift starts first gets it, the SLA counting from their shift;
    * ``pool``: the team's strategy picks among everyone off hours, the SLA counting from that rep's shift;
    * ``hold``: the lead waits, unassigned, until the first shift starts, and is then shared by the
      strategy among the reps who start within the hold window.
    """

    SOONEST = "soonest"
    POOL = "pool"
    HOLD = "hold"


class ConfigError(ValueError):
    """The configuration is invalid; `problems` holds one ``path: problem`` line per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


# --- the file's shape (pydantic) ------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequirementSpec(_Model):
    skills: list[str] = []
    languages: list[str] = []


class RepSpec(_Model):
    id: str = Field(pattern=_ID)
    name: str
    slack_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    email: str | None = Field(default=None, pattern=_EMAIL)
    timezone: str | None = None
    working_hours: list[str] | str | None = None
    languages: list[str] = []
    skills: list[str] = []
    capacity: int = Field(default=20, ge=0)
    daily_cap: int | None = Field(default=None, ge=0)
    weight: float = Field(default=1.0, gt=0)
    backup: str | None = None
    manager: str | None = None
    active: bool = True


class ManagerSpec(_Model):
    id: str = Field(pattern=_ID)
    name: str
    slack_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    email: str | None = Field(default=None, pattern=_EMAIL)
    reports_to: str | None = None


class EscalationSpec(_Model):
    after_expiries: int = Field(default=2, ge=1)
    repeat_every: str | None = None
    pings_per_level: int = Field(default=2, ge=1)


class TeamSpec(_Model):
    id: str = Field(pattern=_ID)
    name: str | None = None
    members: list[str] = Field(min_length=1)
    manager: str | None = None
    channel: str | None = None
    timezone: str | None = None  # the team's weekly digest and weeks: default the top-level timezone
    strategy: Strategy = Strategy.ROUND_ROBIN
    tie_breaks: list[Strategy] = []
    escalation: EscalationSpec | None = None
    performance_floor: float = Field(default=0.1, gt=0, le=1)
    off_hours: OffHours | None = None
    hold_window: str | int | None = None


class AccountSpec(_Model):
    name: str | None = None
    domain: str
    aliases: list[str] = []
    owner: str


class RouteSpec(_Model):
    team: str | None = None
    rep: str | None = None
    account_owner: bool = False


class RuleSpec(_Model):
    name: str
    when: dict[str, Any] | None = None
    route: RouteSpec
    require: RequirementSpec = RequirementSpec()
    prefer: RequirementSpec = RequirementSpec()


class QualificationSpec(_Model):
    min_score: float | None = None
    field: str = "score"
    missing: Literal["route", "nurture"] = "route"


class SlaSpec(_Model):
    name: str
    when: dict[str, Any] | None = None
    within: str | int
    business_hours: bool = False
    remind_at: float | None = Field(default=None, gt=0, lt=1)


class DigestSpec(_Model):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: str = Field(default="09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class AlertsSpec(_Model):
    window: str | int = "1h"
    min_leads: int = Field(default=5, ge=1)
    fallback: float = Field(default=0.10, gt=0, lt=1)
    sla_breach: float = Field(default=0.15, gt=0, lt=1)
    reassignment: float = Field(default=0.20, gt=0, lt=1)
    assignment: str | int = "2m"
    clear_below: float = Field(default=0.8, gt=0, lt=1)


class ReportsSpec(_Model):
    digest: DigestSpec | None = DigestSpec()
    alerts: AlertsSpec | None = AlertsSpec()


class FallbackSpec(_Model):
    team: str | None = None
    rep: str | None = None


class ConfigSpec(_Model):
    timezone: str = "UTC"
    working_hours: list[str] | str = ["mon-fri 09:00-17:00"]
    regions: dict[str, list[str]] = {}
    segments: dict[str, str] = {"smb": "<20", "mid_market": "20-199", "enterprise": ">=200"}
    numeric_fields: list[str] = []
    free_mail_domains: list[str] = []
    qualification: QualificationSpec = QualificationSpec()
    escalation: EscalationSpec = EscalationSpec()
    off_hours: OffHours = OffHours.SOONEST
    hold_window: str | int = "2h"
    managers: list[ManagerSpec] = []
    reps: list[RepSpec] = Field(min_length=1)
    teams: list[TeamSpec] = Field(min_length=1)
    accounts: list[AccountSpec] = []
    rules: list[RuleSpec] = []
    sla: list[SlaSpec] = Field(min_length=1)
    fallback: FallbackSpec
    reports: ReportsSpec = ReportsSpec()


# --- the compiled, immutable runtime objects --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Rep:
    id: str
    name: str
    slack_id: str | None
    email: str | None
    tz: ZoneInfo
    hours: WeeklyHours
    schedule_key: int  # equal for reps with the same hours and zone: one availability check serves all
    languages: frozenset[str]
    skills: frozenset[str]
    capacity: int
    daily_cap: int | None
    weight: float
    backup: str | None
    manager: str | None
    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Manager:
    id: str
    name: str
    slack_id: str | None
    email: str | None
    reports_to: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    after_expiries: int
    repeat_every: timedelta | None
    pings_per_level: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    id: str
    name: str
    members: tuple[str, ...]
    member_set: frozenset[str]
    manager: str | None
    channel: str | None
    tz: ZoneInfo  # where the team's weeks start and its digest goes out
    strategy: Strategy
    tie_breaks: tuple[Strategy, ...]
    escalation: Escalation
    performance_floor: float
    off_hours: OffHours = OffHours.SOONEST
    hold_window: timedelta = timedelta(hours=2)  # under `hold`: who shares a backlog, by shift start


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """When each team's weekly digest goes out, in the team's own time zone."""

    weekday: int  # Monday is 0
    at: time


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Live alert thresholds over a rolling `window` per team (the seeds' values by default). An alert is
    raised when a rate goes above its threshold over at least `min_leads` leads, and cleared only once it
    falls below `clear_below` times the threshold, so a value hovering at the line does not flap."""

    window: timedelta = timedelta(hours=1)
    min_leads: int = 5
    fallback: float = 0.10
    sla_breach: float = 0.15
    reassignment: float = 0.20
    assignment: timedelta = timedelta(minutes=2)
    clear_below: float = 0.8


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    name: str
    domain: str
    owner: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """Skills and languages; a value written ``{field}`` is read from the lead at routing time."""

    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.skills or self.languages)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    name: str
    index: int
    when: Condition
    team: str | None
    rep: str | None
    account_owner: bool
    require: Requirement
    prefer: Requirement


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaPolicy:
    name: str
    when: Condition
    within: timedelta
    business_hours: bool
    remind_at: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Qualification:
    min_score: float | None
    field: str
    nurture_missing: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingConfig:
    """Everything the engine needs, validated, indexed and immutable."""

    reps: Mapping[str, Rep]
    managers: Mapping[str, Manager]
    teams: Mapping[str, Team]
    accounts: Mapping[str, Account]  # every domain and alias, lower-case, to its account
    rules: tuple[Rule, ...]
    sla: tuple[SlaPolicy, ...]
    qualification: Qualification
    fallback_team: str | None
    fallback_rep: str | None
    country_region: Mapping[str, str]
    segments: tuple[Range, ...]
    numeric_fields: frozenset[str]
    free_mail: frozenset[str]
    digest: Digest | None = None  # None: no weekly digests
    thresholds: Thresholds | None = field(default_factory=Thresholds)  # None: no live alerts
    teams_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # manager id: the reps they manage (whose `manager` they are, or members of a team they manage)
    managed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    off_hours: OffHours = OffHours.SOONEST  # for leads outside any team (named reps, account owners)
    hold_window: timedelta = timedelta(hours=2)

    def manages(self, person_id: str) -> frozenset[str]:
        """The reps `person_id` manages; empty for anyone who manages nobody."""
        return self.managed.get(person_id, frozenset())

    def person_name(self, person_id: str) -> str:
        person = self.reps.get(person_id) or self.managers.get(person_id)
        return person.name if person else person_id

    def slack_id(self, person_id: str) -> str | None:
        person = self.reps.get(person_id) or self.managers.get(person_id)
        return person.slack_id if person else None

    def escalation_chain(self, team_id: str) -> tuple[str, ...]:
        """The team's manager, then who they report to, and so on (no cycles)."""
        chain: list[str] = []
        person = self.teams[team_id].manager
        while person and person not in chain:
            chain.append(person)
            manager = self.managers.get(person)
            rep = self.reps.get(person)
            person = manager.reports_to if manager else rep.manager if rep else None
        return tuple(chain)


def load_config(path: str) -> RoutingConfig:
    """Read and compile a YAML config file. Raises ConfigError (also for unreadable YAML)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file ({exc.strerror})"]) from exc
    return parse_config(text)


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so `country: [NO]` stays Norway."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_config(text: str) -> RoutingConfig:
    """Parse and compile YAML text. Raises ConfigError listing every problem found."""
    try:
        raw = yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        raise ConfigError([f"YAML: {exc}".replace("\n", " ")]) from exc
    return compile_config(raw)


def compile_config(raw: Any) -> RoutingConfig:
    """Validate a config mapping and compile it. Raises ConfigError."""
    if not isinstance(raw, Mapping):
        raise ConfigError(["(top): expected a mapping with reps, teams, rules, sla and fallback"])
    try:
        spec = ConfigSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_pydantic_problem(error) for error in exc.errors()]) from None
    problems: list[str] = []
    config = _compile(spec, problems)
    if problems:
        raise ConfigError(problems)
    return config


def format_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _pydantic_problem(error: Any) -> str:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function")))
    message = error["msg"]
    if error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} is not a valid value here"
    elif error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    return f"{format_path(loc)}: {message}"


class _Problems:
    """Collects ``path: problem`` lines while compiling."""

    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def add(self, loc: tuple[str | int, ...], message: str) -> None:
        self.sink.append(f"{format_path(loc)}: {message}")


def _compile(spec: ConfigSpec, sink: list[str]) -> RoutingConfig:
    problems = _Problems(sink)
    numeric = NUMERIC_FIELDS | frozenset(spec.numeric_fields)
    default_tz = _zone(spec.timezone, ("timezone",), problems)
    default_hours = _hours(spec.working_hours, ("working_hours",), problems)
    default_window = _window(spec.hold_window, ("hold_window",), problems)

    managers = {
        m.id: Manager(id=m.id, name=m.name, slack_id=m.slack_id, email=m.email, reports_to=m.reports_to)
        for m in spec.managers
    }
    reps: dict[str, Rep] = {}
    schedules: dict[tuple[WeeklyHours, ZoneInfo], int] = {}
    for i, r in enumerate(spec.reps):
        loc = ("reps", i)
        if r.id in reps or r.id in managers:
            problems.add((*loc, "id"), f"duplicate id {r.id!r}")
        tz = _zone(r.timezone, (*loc, "timezone"), problems) if r.timezone else default_tz
        hours = (
            _hours(r.working_hours, (*loc, "working_hours"), problems) if r.working_hours is not None else default_hours
        )
        reps[r.id] = Rep(
            id=r.id,
            name=r.name,
            slack_id=r.slack_id,
            email=r.email,
            tz=tz,
            hours=hours,
            schedule_key=schedules.setdefault((hours, tz), len(schedules)),
            languages=frozenset(lang.casefold() for lang in r.languages),
            skills=frozenset(skill.casefold() for skill in r.skills),
            capacity=r.capacity,
            daily_cap=r.daily_cap,
            weight=r.weight,
            backup=r.backup,
            manager=r.manager,
            active=r.active,
        )
    people = reps.keys() | managers.keys()
    for i, r in enumerate(spec.reps):
        if r.backup is not None and r.backup not in reps:
            problems.add(("reps", i, "backup"), f"unknown rep {r.backup!r}")
        if r.backup == r.id:
            problems.add(("reps", i, "backup"), "a rep cannot be their own backup")
        if r.manager is not None and r.manager not in people:
            problems.add(("reps", i, "manager"), f"unknown manager {r.manager!r}")
    for i, m in enumerate(spec.managers):
        if m.reports_to is not None and m.reports_to not in people:
            problems.add(("managers", i, "reports_to"), f"unknown manager {m.reports_to!r}")

    teams: dict[str, Team] = {}
    for i, t in enumerate(spec.teams):
        loc = ("teams", i)
        if t.id in teams:
            problems.add((*loc, "id"), f"duplicate team id {t.id!r}")
        for j, member in enumerate(t.members):
            if member not in reps:
                problems.add((*loc, "members", j), f"unknown rep {member!r}")
        if len(set(t.members)) != len(t.members):
            problems.add((*loc, "members"), "a rep is listed twice")
        if t.manager is not None and t.manager not in people:
            problems.add((*loc, "manager"), f"unknown manager {t.manager!r}")
        teams[t.id] = Team(
            id=t.id,
            name=t.name or t.id,
            members=tuple(t.members),
            member_set=frozenset(t.members),
            manager=t.manager,
            channel=t.channel,
            tz=_zone(t.timezone, (*loc, "timezone"), problems) if t.timezone else default_tz,
            strategy=t.strategy,
            tie_breaks=tuple(s for s in t.tie_breaks if s != t.strategy),
            escalation=_escalation(t.escalation or spec.escalation, (*loc, "escalation"), problems),
            performance_floor=t.performance_floor,
            off_hours=t.off_hours or spec.off_hours,
            hold_window=default_window
            if t.hold_window is None
            else _window(t.hold_window, (*loc, "hold_window"), problems),
        )

    accounts: dict[str, Account] = {}
    for i, a in enumerate(spec.accounts):
        if a.owner not in reps:
            problems.add(("accounts", i, "owner"), f"unknown rep {a.owner!r}")
        account = Account(name=a.name or a.domain, domain=_domain(a.domain), owner=a.owner)
        for j, domain in enumerate([a.domain, *a.aliases]):
            key = _domain(domain)
            if key in accounts and accounts[key] != account:
                where = ("accounts", i, "domain") if j == 0 else ("accounts", i, "aliases", j - 1)
                problems.add(where, f"domain {key!r} already belongs to {accounts[key].name!r}")
            accounts[key] = account

    rules: list[Rule] = []
    names: set[str] = set()
    for i, rule_spec in enumerate(spec.rules):
        loc = ("rules", i)
        if rule_spec.name in names:
            problems.add((*loc, "name"), f"duplicate rule name {rule_spec.name!r}")
        names.add(rule_spec.name)
        targets = [
            name
            for name, on in (
                ("team", rule_spec.route.team),
                ("rep", rule_spec.route.rep),
                ("account_owner", rule_spec.route.account_owner),
            )
            if on
        ]
        if len(targets) != 1:
            problems.add((*loc, "route"), "route to exactly one of team, rep or account_owner")
        if rule_spec.route.team is not None and rule_spec.route.team not in teams:
            problems.add((*loc, "route", "team"), f"unknown team {rule_spec.route.team!r}")
        if rule_spec.route.rep is not None and rule_spec.route.rep not in reps:
            problems.add((*loc, "route", "rep"), f"unknown rep {rule_spec.route.rep!r}")
        rules.append(
            Rule(
                name=rule_spec.name,
                index=i,
                when=_condition(rule_spec.when, (*loc, "when"), numeric, problems),
                team=rule_spec.route.team,
                rep=rule_spec.route.rep,
                account_owner=rule_spec.route.account_owner,
                require=_requirement(rule_spec.require),
                prefer=_requirement(rule_spec.prefer),
            )
        )

    policies: list[SlaPolicy] = []
    for i, s in enumerate(spec.sla):
        loc = ("sla", i)
        try:
            within = parse_duration(s.within)
        except ValueError as exc:
            problems.add((*loc, "within"), str(exc))
            within = timedelta(hours=1)
        policies.append(
            SlaPolicy(
                name=s.name,
                when=_condition(s.when, (*loc, "when"), numeric, problems),
                within=within,
                business_hours=s.business_hours,
                remind_at=s.remind_at,
            )
        )
    if not any(isinstance(p.when, conditions.Always) for p in policies):
        problems.add(("sla",), "add a catch-all policy without 'when', so every lead has an SLA")

    fallback = spec.fallback
    if (fallback.team is None) == (fallback.rep is None):
        problems.add(("fallback",), "name exactly one of team or rep; every lead needs somewhere to go")
    if fallback.team is not None and fallback.team not in teams:
        problems.add(("fallback", "team"), f"unknown team {fallback.team!r}")
    if fallback.rep is not None and fallback.rep not in reps:
        problems.add(("fallback", "rep"), f"unknown rep {fallback.rep!r}")

    country_region = dict(COUNTRY_REGION)
    for region, countries in spec.regions.items():
        country_region.update({country.upper(): region for country in countries})
    segments: list[Range] = []
    for name, text in spec.segments.items():
        try:
            segments.append(conditions.parse_range(name, text))
        except ValueError as exc:
            problems.add(("segments", name), str(exc))

    teams_of: dict[str, list[str]] = {}
    for team in teams.values():
        for member in team.members:
            teams_of.setdefault(member, []).append(team.id)
    q = spec.qualification
    return RoutingConfig(
        reps=reps,
        managers=managers,
        teams=teams,
        accounts=accounts,
        rules=tuple(rules),
        sla=tuple(policies),
        qualification=Qualification(min_score=q.min_score, field=q.field, nurture_missing=q.missing == "nurture"),
        fallback_team=fallback.team,
        fallback_rep=fallback.rep,
        country_region=country_region,
        segments=tuple(segments),
        numeric_fields=numeric,
        free_mail=FREE_MAIL_DOMAINS | frozenset(d.lower() for d in spec.free_mail_domains),
        digest=_digest(spec.reports.digest),
        thresholds=_thresholds(spec.reports.alerts, ("reports", "alerts"), problems),
        teams_of={rep: tuple(ids) for rep, ids in teams_of.items()},
        managed=_managed(reps, teams),
        off_hours=spec.off_hours,
        hold_window=default_window,
    )


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _digest(spec: DigestSpec | None) -> Digest | None:
    if spec is None:
        return None
    hour, minute = spec.at.split(":")
    return Digest(weekday=_WEEKDAYS.index(spec.weekday), at=time(int(hour), int(minute)))


def _thresholds(spec: AlertsSpec | None, loc: tuple[str | int, ...], problems: _Problems) -> Thresholds | None:
    if spec is None:
        return None
    spans: dict[str, timedelta] = {}
    for name in ("window", "assignment"):
        try:
            spans[name] = parse_duration(getattr(spec, name))
        except ValueError as exc:
            problems.add((*loc, name), str(exc))
            spans[name] = getattr(Thresholds(), name)
    return Thresholds(
        window=spans["window"],
        min_leads=spec.min_leads,
        fallback=spec.fallback,
        sla_breach=spec.sla_breach,
        reassignment=spec.reassignment,
        assignment=spans["assignment"],
        clear_below=spec.clear_below,
    )


def _managed(reps: Mapping[str, Rep], teams: Mapping[str, Team]) -> dict[str, frozenset[str]]:
    """Who manages whom: a rep's `manager`, and the manager of every team the rep is in."""
    managed: dict[str, set[str]] = {}
    for rep in reps.values():
        if rep.manager:
            managed.setdefault(rep.manager, set()).add(rep.id)
    for team in teams.values():
        if team.manager:
            managed.setdefault(team.manager, set()).update(team.members)
    return {manager: frozenset(ids) for manager, ids in managed.items()}


def _zone(name: str, loc: tuple[str | int, ...], problems: _Problems) -> ZoneInfo:
    try:
        return zone(name)
    except ValueError as exc:
        problems.add(loc, f"{exc} (use an IANA name such as 'Europe/Berlin')")
        return zone("UTC")


def _hours(lines: list[str] | str, loc: tuple[str | int, ...], problems: _Problems) -> WeeklyHours:
    try:
        return WeeklyHours.parse(lines)
    except ValueError as exc:
        problems.add(loc, str(exc))
        return WeeklyHours.always()


def _window(text: str | int, loc: tuple[str | int, ...], problems: _Problems) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        problems.add(loc, str(exc))
        return timedelta(hours=2)


def _escalation(spec: EscalationSpec, loc: tuple[str | int, ...], problems: _Problems) -> Escalation:
    repeat: timedelta | None = None
    if spec.repeat_every is not None:
        try:
            repeat = parse_duration(spec.repeat_every)
        except ValueError as exc:
            problems.add((*loc, "repeat_every"), str(exc))
    return Escalation(after_expiries=spec.after_expiries, repeat_every=repeat, pings_per_level=spec.pings_per_level)


def _condition(
    spec: dict[str, Any] | None, loc: tuple[str | int, ...], numeric: frozenset[str], problems: _Problems
) -> Condition:
    try:
        return conditions.parse(spec, numeric)
    except ConditionError as exc:
        problems.add((*loc, *exc.path), exc.message)
        return conditions.Always()


def _requirement(spec: RequirementSpec) -> Requirement:
    return Requirement(
        skills=tuple(s.casefold() for s in spec.skills),
        languages=tuple(lang.casefold() for lang in spec.languages),
    )


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def _domain(text: str) -> str:
    """A bare lower-case host name: no scheme, path, port or leading ``www.``."""
    host = _SCHEME.sub("", text.strip().lower()).split("/", 1)[0].split(":", 1)[0].rstrip(".")
    return host.removeprefix("www.")


normalise_domain = _domain
