"""The compiled configuration: immutable runtime objects the engine reads on every decision, built by
`routing.config.compile` from the file's shape (`routing.config.spec`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from routing.conditions import Condition, Range
from routing.schedule import WeeklyHours


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


# The events a webhook endpoint can subscribe to (`webhooks[].events`), documented in docs/webhooks.md.
WEBHOOK_EVENTS = (
    "lead.received",
    "lead.assigned",
    "lead.claimed",
    "lead.reassigned",
    "lead.expired",
    "lead.escalated",
    "lead.outcome",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """An endpoint Leadrelay posts signed events to: `url`, the environment variable `secret_env` that
    holds its `whsec_` signing secret (never the YAML file), and the `events` it receives."""

    url: str
    secret_env: str
    events: frozenset[str]


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
class Outcomes:
    """What happens after the claim, and how it feeds routing.

    `source` names where outcomes come from (``api`` for `POST /outcomes` and `import-outcomes`, later a
    CRM). Without one, nothing tells Leadrelay that a deal closed, so a claimed lead leaves its rep's
    open load by itself `load_window` after its assignment; with one, it stays until a closing outcome
    (won, lost, disqualified) arrives, and a `reopened` one puts it back. Win rates count each rep's
    won and closed leads whose outcome occurred within `performance_window`; a rep with fewer than
    `min_sample` closed leads there ranks on the prior alone.
    """

    source: str | None = None
    load_window: timedelta = timedelta(days=7)
    performance_window: timedelta = timedelta(days=90)
    min_sample: int = 5

    @property
    def close_load_by_window(self) -> bool:
        """Whether a claimed lead leaves the open load after `load_window` (no outcome source)."""
        return self.source is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Dedupe:
    """One lead per person: a lead whose email matches a lead of the same person still open, or claimed
    within `window` (and not closed by an outcome), is attached to it instead of routed again. `window`
    None turns that off. Addresses at `plus_tag_domains` (Gmail-style) ignore a `+tag`:
    jo+pricing@gmail.com is jo@gmail.com there, and only there."""

    window: timedelta | None = timedelta(days=30)
    plus_tag_domains: frozenset[str] = frozenset()

    def email_key(self, email: str) -> str:
        """`email` as people are matched: lower case, without a `+tag` at the configured domains."""
        address = email.strip().lower()
        local, at, domain = address.rpartition("@")
        if at and domain in self.plus_tag_domains and "+" in local:
            return f"{local.split('+', 1)[0]}@{domain}"
        return address


# The CRMs Leadrelay can write owners to and read outcomes from (`crm.kind`; `connectors.crm.factory`).
CRM_KINDS = ("hubspot", "salesforce")
# What a CRM's stage or status may map to (`crm.outcomes.stages`): `storage.model.OutcomeState`'s values.
OUTCOME_STATES = ("working", "won", "lost", "disqualified", "reopened")


@dataclass(frozen=True, slots=True, kw_only=True)
class Crm:
    """The CRM the owner is written to and outcomes are read from (`connectors.crm`). Its credentials
    come from the environment (`HUBSPOT_TOKEN`, …), never from here.

    `write_owner_on`: the transitions that write the owner (`claimed`, and `assigned` too if asked);
    `rule_property` / `reason_property`: CRM properties that receive the routing rule and reason;
    `poll`: how often outcomes are read (None: never); `stages`: what the CRM says → outcome state, a
    HubSpot stage id (or `outcome_property` value of `outcome_object` records: deals, or contacts), a
    Salesforce Lead Status; None: the connector's own default. `outcome_object` and `outcome_property`
    are HubSpot's only."""

    kind: str
    write_owner_on: frozenset[str] = frozenset({"claimed"})
    rule_property: str | None = None
    reason_property: str | None = None
    poll: timedelta | None = timedelta(minutes=5)
    outcome_object: str = "deals"
    outcome_property: str | None = None  # None: the CRM's own (a deal's stage)
    stages: Mapping[str, str] | None = None


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
    webhooks: tuple[Webhook, ...] = ()  # where signed events go (`connectors.webhooks`)
    outcomes: Outcomes = field(default_factory=Outcomes)
    dedupe: Dedupe = field(default_factory=Dedupe)
    crm: Crm | None = None  # None: no CRM

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
