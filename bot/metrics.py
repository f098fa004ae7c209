"""Prometheus metrics: one `leadrelay_` prefix, base units, no per-lead or per-rep labels (a team label
only where a team's alert is the point)."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.events import MessageDelivered
from routing import RoutingConfig
from routing.conditions import values_named
from storage.events import (
    Event,
    LeadAssigned,
    LeadEscalated,
    LeadReassigned,
    LeadReceived,
    OfferClaimed,
    OfferExpired,
)
from storage.model import OutboxKind

# The sources Leadrelay itself names: intake's default, Slack's New lead, `leadrelay import`.
BUILT_IN_SOURCES = frozenset({"api", "slack", "import"})
OTHER_SOURCE = "other"  # the label of every source the configuration does not name

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_HUMAN = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 86400)


class Metrics:
    """The service's metrics on their own registry, so several services (tests, the demo) can coexist."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.intake_to_assignment = Histogram(
            "leadrelay_intake_to_assignment_seconds",
            "From POST /leads to a committed routing decision",
            buckets=_FAST,
            registry=r,
        )
        self.intake_to_dm = Histogram(
            "leadrelay_intake_to_dm_seconds",
            "From a lead's arrival to its DM being accepted by Slack",
            buckets=_FAST,
            registry=r,
        )
        self.claim_after_due = Histogram(
            "leadrelay_claim_lateness_seconds",
            "Claim time minus due_at (negative: within SLA)",
            buckets=(-3600, -900, -300, -60, 0, 60, 300, 900, 3600),
            registry=r,
        )
        self.expiry_lateness = Histogram(
            "leadrelay_escalation_lateness_seconds",
            "How long after due_at an expiry was processed",
            buckets=_FAST,
            registry=r,
        )
        self.slack_call = Histogram(
            "leadrelay_slack_api_seconds", "Slack Web API call time", ["method"], buckets=_FAST, registry=r
        )
        self.leads = Counter(
            "leadrelay_leads",
            "Leads received, by source: known ones (see source_labels), else 'other'",
            ["source"],
            registry=r,
        )
        self.escalations = Counter("leadrelay_escalations", "Escalation posts", ["level"], registry=r)
        self.sla_breaches = Counter("leadrelay_sla_breaches", "Offers that expired unclaimed", registry=r)
        self.claim_conflicts = Counter(
            "leadrelay_claim_conflicts",
            "Accept clicks that lost (already claimed, closed, not theirs)",
            registry=r,
        )
        self.slack_rate_limited = Counter("leadrelay_slack_rate_limited", "Slack 429 answers", registry=r)
        self.outbox_backlog = Gauge("leadrelay_outbox_backlog", "Undelivered outbox rows", registry=r)
        self.outbox_oldest_age = Gauge(
            "leadrelay_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox row", registry=r
        )
        self.speed_to_lead_system = Histogram(
            "leadrelay_speed_to_lead_system_seconds",
            "From a lead's arrival to its first DM delivered (system time)",
            buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600),
            registry=r,
        )
        self.speed_to_lead_human = Histogram(
            "leadrelay_speed_to_lead_human_seconds",
            "From a lead's first DM delivered to its claim (human time)",
            buckets=_HUMAN,
            registry=r,
        )
        self.reassignments = Counter(
            "leadrelay_reassignments",
            "Offers passed on by a person or withdrawn, by reason (reassigned, released, withdrawn)",
            ["reason"],
            registry=r,
        )
        self.first_offers = Counter(
            "leadrelay_first_offers",
            "First offers of a lead; fallback=true when no rule could place it",
            ["fallback"],
            registry=r,
        )
        self.alert_active = Gauge(
            "leadrelay_alert_active", "1 while a live threshold alert is raised", ["team", "metric"], registry=r
        )
        self.last_sweep = Gauge(
            "leadrelay_last_sweep_timestamp_seconds", "When the SLA sweep last completed", registry=r
        )

    def committed(self, event: Event, now: datetime, *, named_sources: frozenset[str] = BUILT_IN_SOURCES) -> None:
        """Count what a commit changed; `now` is when it was published, right after the commit. Leads are
        counted by source for `named_sources` (`source_labels`), as `OTHER_SOURCE` for any other."""
        if isinstance(event, LeadReceived):
            self.leads.labels(event.source if event.source in named_sources else OTHER_SOURCE).inc()
            self.intake_to_assignment.observe(max(0.0, (now - event.at).total_seconds()))
        elif isinstance(event, OfferClaimed):
            if event.first_dm_at is not None:
                self.speed_to_lead_human.observe(max(0.0, (event.at - event.first_dm_at).total_seconds()))
            if event.offer_id is not None and event.due_at is not None:
                self.claim_after_due.observe((event.at - event.due_at).total_seconds())  # accepted, not taken
        elif isinstance(event, OfferExpired):
            self.sla_breaches.inc()
            self.expiry_lateness.observe(max(0.0, (event.at - event.due_at).total_seconds()))
        elif isinstance(event, LeadEscalated):
            self.escalations.labels(str(event.level)).inc()
        elif isinstance(event, LeadReassigned):
            self.reassignments.labels(event.end_reason).inc()
        elif isinstance(event, LeadAssigned) and event.attempt == 1:
            self.first_offers.labels("true" if event.fallback else "false").inc()

    def delivered(self, event: MessageDelivered) -> None:
        """Time a new lead's DM from its queueing (in the routing transaction, right after intake) to delivery,
        and the lead's first DM from its arrival (speed to lead, the system's part)."""
        if event.item.kind != OutboxKind.OFFER_DM:
            return
        self.intake_to_dm.observe(max(0.0, (event.at - event.item.created_at).total_seconds()))
        if event.view is not None and event.item.payload.get("attempt") == 1:
            self.speed_to_lead_system.observe(max(0.0, (event.at - event.view.lead.received_at).total_seconds()))


def source_labels(config: RoutingConfig) -> frozenset[str]:
    """The sources `leadrelay_leads` counts by name: the built-in ones and those the rules and SLA
    policies match on. Any other source is counted as `OTHER_SOURCE`, so senders cannot grow the
    label set (each label is a time series kept forever)."""
    conditions = [rule.when for rule in config.rules] + [policy.when for policy in config.sla]
    named = (value for condition in conditions for value in values_named(condition, "source"))
    return BUILT_IN_SOURCES | frozenset(value for value in named if isinstance(value, str))
