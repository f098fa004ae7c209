"""The second pass of loading a configuration: from the file's validated shape (`routing.config.spec`) to
the compiled runtime objects (`routing.config.compiled`), checking what pydantic cannot: references
between reps, teams and rules, conditions, time zones and working hours. Every problem is collected as a
``path: problem`` line, so the whole file's faults are reported together."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from routing import conditions
from routing.conditions import Condition, ConditionError, Range
from routing.config.compiled import (
    OUTCOME_STATES,
    WEBHOOK_EVENTS,
    Account,
    Crm,
    Dedupe,
    Digest,
    Escalation,
    Manager,
    Outcomes,
    Qualification,
    Rep,
    Requirement,
    RoutingConfig,
    Rule,
    SlaPolicy,
    Team,
    Thresholds,
    Webhook,
)
from routing.config.spec import (
    AlertsSpec,
    ConfigSpec,
    CrmSpec,
    DedupeSpec,
    DigestSpec,
    EscalationSpec,
    OutcomesSpec,
    RequirementSpec,
    WebhookSpec,
)
from routing.geo import COUNTRY_REGION, FREE_MAIL_DOMAINS
from routing.schedule import WeeklyHours, parse_duration, zone

NUMERIC_FIELDS = frozenset({"employees", "score", "revenue", "annual_revenue", "deal_size"})


def format_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


class _Problems:
    """Collects ``path: problem`` lines while compiling."""

    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def add(self, loc: tuple[str | int, ...], message: str) -> None:
        self.sink.append(f"{format_path(loc)}: {message}")


def compile_spec(spec: ConfigSpec, sink: list[str]) -> RoutingConfig:
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
        route = rule_spec.route
        if sum(bool(target) for target in (route.team, route.rep, route.account_owner)) != 1:
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
        webhooks=_webhooks(spec.webhooks, problems),
        outcomes=_outcomes(spec.outcomes, problems),
        dedupe=_dedupe(spec.dedupe, problems),
        crm=_crm(spec.crm, problems) if spec.crm is not None else None,
    )


MAX_URL = 2000  # the outbox's address column holds the endpoint's URL
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _webhooks(specs: Sequence[WebhookSpec], problems: _Problems) -> tuple[Webhook, ...]:
    """The endpoints, each with a URL that can take a POST, once, and events that exist. Whether each
    `secret_env` is set is checked when the service is built (`connectors.webhooks.endpoints`): the
    file is valid on a machine without the secrets, such as the one running `leadrelay check` in CI."""
    hooks: list[Webhook] = []
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        url = urlsplit(spec.url)
        if url.scheme not in ("http", "https") or not url.hostname or len(spec.url) > MAX_URL:
            problems.add(("webhooks", i, "url"), f"{spec.url!r} is not an http(s) URL of at most {MAX_URL} characters")
        elif url.username or url.password:
            problems.add(("webhooks", i, "url"), "no credentials in the URL: the signature authenticates each call")
        if spec.url in seen:
            problems.add(("webhooks", i, "url"), f"{spec.url!r} is listed twice: give it every event in one entry")
        seen.add(spec.url)
        if not _ENV_NAME.match(spec.secret_env):
            problems.add(
                ("webhooks", i, "secret_env"),
                "name the environment variable that holds the secret (like CRM_WEBHOOK_SECRET), never the secret",
            )
        for j, event in enumerate(spec.events):
            if event not in WEBHOOK_EVENTS:
                problems.add(
                    ("webhooks", i, "events", j), f"unknown event {event!r}; known: {', '.join(WEBHOOK_EVENTS)}"
                )
        hooks.append(Webhook(url=spec.url, secret_env=spec.secret_env, events=frozenset(spec.events)))
    return tuple(hooks)


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


def _outcomes(spec: OutcomesSpec, problems: _Problems) -> Outcomes:
    spans: dict[str, timedelta] = {}
    for name in ("load_window", "performance_window"):
        try:
            spans[name] = parse_duration(getattr(spec, name))
        except ValueError as exc:
            problems.add(("outcomes", name), str(exc))
            spans[name] = getattr(Outcomes(), name)
    if spans["load_window"] < timedelta(days=1):
        problems.add(("outcomes", "load_window"), "must be at least a day (the day's count never reaches past it)")
    return Outcomes(source=spec.source, min_sample=spec.min_sample, **spans)


def _crm(spec: CrmSpec, problems: _Problems) -> Crm:
    poll: timedelta | None = None
    if spec.outcomes.poll is not False:
        try:
            poll = parse_duration(spec.outcomes.poll)
        except ValueError as exc:
            problems.add(("crm", "outcomes", "poll"), str(exc))
        else:
            if poll < timedelta(minutes=1):  # HubSpot's search API allows a few calls a second per account
                problems.add(("crm", "outcomes", "poll"), "at least a minute: each poll spends the CRM's API limits")
    if spec.kind == "salesforce":
        for hubspot_only in ("object", "property"):
            if hubspot_only in spec.outcomes.model_fields_set:
                problems.add(
                    ("crm", "outcomes", hubspot_only),
                    "HubSpot's setting: Salesforce reads Leads and their converted Opportunities "
                    "(map Lead Status values to outcomes in crm.outcomes.stages)",
                )
    elif spec.outcomes.object != "deals" and spec.outcomes.stages is None:
        which = spec.outcomes.property or "lifecyclestage"
        problems.add(("crm", "outcomes", "stages"), f"map the values of the contacts' {which} to outcomes")
    for stage, state in (spec.outcomes.stages or {}).items():
        if state not in OUTCOME_STATES:
            problems.add(("crm", "outcomes", "stages", stage), f"{state!r} is not one of {', '.join(OUTCOME_STATES)}")
    return Crm(
        kind=spec.kind,
        write_owner_on=frozenset(spec.write_owner_on),
        rule_property=spec.properties.rule,
        reason_property=spec.properties.reason,
        poll=poll,
        outcome_object=spec.outcomes.object,
        outcome_property=spec.outcomes.property,
        stages=None if spec.outcomes.stages is None else dict(spec.outcomes.stages),
    )


def _dedupe(spec: DedupeSpec, problems: _Problems) -> Dedupe:
    window: timedelta | None = None
    if spec.window is True:
        problems.add(("dedupe", "window"), "expected a duration like '30d', or off")
    elif spec.window not in (False, None, "off"):
        try:
            window = parse_duration(spec.window)
        except ValueError as exc:
            problems.add(("dedupe", "window"), str(exc))
    domains = frozenset(normalise_domain(domain) for domain in spec.plus_tag_domains)
    return Dedupe(window=window, plus_tag_domains=domains)


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
