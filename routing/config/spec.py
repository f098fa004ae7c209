"""The configuration file's shape, checked by pydantic: types, ranges and patterns. What pydantic cannot
check (references between reps, teams and rules, conditions, zones, hours) is `routing.config.compile`'s."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from routing.config.compiled import WEBHOOK_EVENTS, OffHours, Strategy

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


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


class WebhookSpec(_Model):
    url: str
    secret_env: str  # the name of the environment variable that holds the secret, never the secret
    events: list[str] = Field(default=list(WEBHOOK_EVENTS), min_length=1)


class FallbackSpec(_Model):
    team: str | None = None
    rep: str | None = None


class OutcomesSpec(_Model):
    source: str | None = Field(default=None, pattern=_ID)  # api, or a CRM; None: no outcomes arrive
    load_window: str | int = "7d"  # without a source: how long a claimed lead counts as open load
    performance_window: str | int = "90d"  # the outcomes win rates count
    min_sample: int = Field(default=5, ge=0)  # closed leads before a rep's own rate counts


class CrmPropertiesSpec(_Model):
    """The CRM properties (as the CRM names them) that receive the rule and the reason; unset: not written."""

    rule: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str | None = Field(default=None, min_length=1, max_length=100)


class CrmOutcomesSpec(_Model):
    poll: str | int | Literal[False] = "5m"  # how often the CRM is asked; false: outcomes are not read from it
    # HubSpot's: what is read, deals by stage or contacts by `property` (Salesforce reads Leads and their
    # converted Opportunities, so setting either with `kind: salesforce` is a config problem).
    object: Literal["deals", "contacts"] = "deals"
    property: str | None = Field(default=None, min_length=1, max_length=100)  # default: the deal stage
    # HubSpot stage id (or property value), or Salesforce Lead Status → outcome; None: the CRM's own
    # default (HubSpot's closedwon/closedlost, Salesforce's standard Lead statuses).
    stages: dict[str, str] | None = None


class CrmSpec(_Model):
    kind: Literal["hubspot", "salesforce"]  # `routing.config.compiled.CRM_KINDS`
    write_owner_on: list[Literal["assigned", "claimed"]] = Field(default=["claimed"], min_length=1)
    properties: CrmPropertiesSpec = CrmPropertiesSpec()
    outcomes: CrmOutcomesSpec = CrmOutcomesSpec()


class DedupeSpec(_Model):
    window: bool | str | int | None = "30d"  # off (false) or null: every lead is routed
    plus_tag_domains: list[str] = []  # e.g. [gmail.com, googlemail.com]: there jo+x@ is jo@


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
    webhooks: list[WebhookSpec] = []
    outcomes: OutcomesSpec = OutcomesSpec()
    dedupe: DedupeSpec = DedupeSpec()
    crm: CrmSpec | None = None  # None: no CRM, nothing is written to or read from one
