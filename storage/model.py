"""The domain objects storage returns: frozen, keyword-only snapshots, never rows.

Lead states::

    received ─► assigned ─► claimed            (offer accepted, or taken by a manager)
        │          │ ▲ expired / reassigned: next rep, same lead (attempt n+1)
        │          ▼ │
        ├──► nurture  escalated / queued ─► claimed | assigned (a manager assigns)

An offer is one attempt to give a lead to one rep: `open` until it is `claimed` or `ended` with an
`EndReason`. A lead has at most one open or claimed offer at a time, and `LeadRecord.offer_id` names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from routing import Decision, Lead, Outcome, Reason, Window
from storage.events import Events


class LeadState(StrEnum):
    RECEIVED = "received"  # persisted, not routed yet
    NURTURE = "nurture"  # below the qualification gate, or sent there by a person
    ASSIGNED = "assigned"  # an open offer waits for its rep
    CLAIMED = "claimed"  # someone owns it
    ESCALATED = "escalated"  # offers ran out: the managers' channel is pinged until someone acts
    QUEUED = "queued"  # nobody could take it when it was routed: the manager queue


class OfferState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ENDED = "ended"


class EndReason(StrEnum):
    CLAIMED = "claimed"  # the rep (or their manager for them) accepted
    EXPIRED = "expired"  # the claim SLA ran out
    REASSIGNED = "reassigned"  # the rep (or their manager) passed it on before accepting
    TAKEN = "taken"  # someone else took the lead while the offer was open
    RELEASED = "released"  # the rep gave back a lead they had accepted
    WITHDRAWN = "withdrawn"  # a person moved the lead elsewhere (nurture, manual assignment)


class OutcomeState(StrEnum):
    """What became of a lead after the claim, as a CRM or a person reports it."""

    WORKING = "working"
    WON = "won"
    LOST = "lost"
    DISQUALIFIED = "disqualified"
    REOPENED = "reopened"  # a closed lead is open again: back in its owner's load, out of their results


CLOSING_OUTCOMES = frozenset({OutcomeState.WON, OutcomeState.LOST, OutcomeState.DISQUALIFIED})


class ActorKind(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    SYSTEM = "system"


class OutboxKind(StrEnum):
    OFFER_DM = "offer_dm"  # DM to the rep with Accept / Reassign; address: rep id
    OFFER_UPDATE = "offer_update"  # chat.update of that DM (accepted, expired, …); address: rep id
    LEAD_THREAD_NOTE = "lead_thread_note"  # a line in the lead's thread in the team channel
    ESCALATION = "escalation"  # @manager in the team channel (or their DM if the team has none)
    REMINDER = "reminder"  # nudge before the SLA runs out; address: rep id
    ESCALATION_RESOLVED = "escalation_resolved"  # rewrite a sent escalation post: who took it; address: channel
    REP_UNREACHABLE = "rep_unreachable"  # Slack says a rep is gone: tell their managers once; address: channel
    REP_SETTINGS = "rep_settings"  # someone else changed a rep's PTO, capacity or pause: tell them; address: rep id
    DIGEST = "digest"  # a team's weekly numbers and charts, once per week; address: the team channel
    THRESHOLD_ALERT = "threshold_alert"  # a live threshold crossed or back to normal; address: the team channel
    OUTCOME_NOTE = "outcome_note"  # an outcome arrived: a reply in the owner's offer DM thread; address: rep id
    LEAD_RETURNED = "lead_returned"  # the person came back (a repeat attached): the offer DM thread; address: rep id


class Transport(StrEnum):
    """How an outbox row is delivered."""

    SLACK = "slack"  # address: a config person id (their DM) or a channel id
    WEBHOOK = "webhook"  # address: the endpoint's URL, as `webhooks[].url` in the config gives it
    # address: the config person id whose CRM user becomes the owner (held while the CRM has no such user)
    CRM = "crm"


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who caused a transition. People are config ids; the system is `SYSTEM`."""

    kind: ActorKind
    id: str


SYSTEM = Actor(kind=ActorKind.SYSTEM, id="leadrelay")


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadRecord:
    """A lead as stored: the validated `lead`, the raw `payload`, and where it stands."""

    id: int
    source: str
    external_id: str | None
    lead: Lead
    payload: Mapping[str, Any]
    facts: Mapping[str, Any] | None
    state: LeadState
    offer_id: int | None
    team_id: str | None
    sla: str | None
    received_at: datetime
    assigned_at: datetime | None
    claimed_at: datetime | None
    claimed_by: str | None
    attempts: int
    escalation_level: int
    pings: int
    next_ping_at: datetime | None
    thread_channel: str | None
    thread_ts: str | None
    outcome: OutcomeState | None = None  # the latest outcome to occur (None: none reported)
    outcome_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """One attempt to give a lead to one rep, with the full explanation of the decision."""

    id: int
    lead_id: int
    rep_id: str
    attempt: int
    turn: int | None  # the pool turn this pick took (round robin / weighted), None outside a pool
    rule: str | None
    pool: str | None
    strategy: str | None
    fallback: bool
    sla: str | None
    summary: str
    reasons: tuple[Reason, ...]
    offered_by: str  # "leadrelay" for routing, else the person who chose the rep
    assigned_at: datetime
    due_at: datetime
    remind_at: datetime | None
    reminded_at: datetime | None
    claimed_at: datetime | None
    claimed_by: str | None  # who clicked Accept: the rep, or their manager on their behalf
    ended_at: datetime | None
    end_reason: EndReason | None
    state: OfferState
    dm_channel: str | None
    dm_ts: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One transition, as the audit trail keeps it. `detail` holds the decision trace or a note."""

    id: int
    lead_id: int | None
    offer_id: int | None
    rep_id: str | None
    actor: Actor
    at: datetime
    from_state: str | None
    to_state: str
    reason: str
    detail: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadView:
    """Everything the UI shows about one lead: the lead, its offers (oldest first), its history."""

    lead: LeadRecord
    offers: tuple[Offer, ...]
    history: tuple[AuditEntry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    lead_id: int
    created: bool  # False: a retry of an intake already stored under the same (source, external_id)
    events: Events = ()  # what the transition committed (see `storage.events`)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignResult:
    """The outcome of routing one lead: its new state, the engine's decision, and the offer if any."""

    lead_id: int
    state: LeadState
    decision: Decision
    offer: Offer | None
    leased: OutboxItem | None = None  # the new offer's DM, leased to the caller (`route`'s `hand_over`)
    events: Events = ()  # what the transition committed (see `storage.events`)

    @property
    def outcome(self) -> Outcome:
        return self.decision.outcome


@dataclass(frozen=True, slots=True, kw_only=True)
class Handover:
    """A new offer's DM, leased in the transaction that made the offer to the caller that posts it right
    after commit, with the lead and the offer as that transaction left them (what the DM shows), built
    from what the transaction wrote rather than read back."""

    item: OutboxItem
    lead: LeadRecord
    offer: Offer

    @property
    def view(self) -> LeadView:
        """The lead as a view to render: its one offer, and no history (a new lead's DM shows none)."""
        return LeadView(lead=self.lead, offers=(self.offer,), history=())


@dataclass(frozen=True, slots=True, kw_only=True)
class Intake:
    """A lead stored and routed in one transaction. A repeat of (source, external_id) routes nothing:
    `assigned` and `handover` are None; so does a person coming back while their lead is open or claimed
    (`attached`: `received.lead_id` is that lead)."""

    received: Received
    assigned: AssignResult | None
    handover: Handover | None
    events: Events = ()  # what the transition committed (see `storage.events`)
    attached: bool = False  # the person's lead was still open or claimed: this one joined it, unrouted


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadRef:
    """How an outcome names its lead: by `lead_id`, by (`source`, `external_id`), or by `email` (the
    latest lead with that address). Exactly one of the three is given."""

    lead_id: int | None = None
    source: str | None = None
    external_id: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        given = [self.lead_id is not None, self.source is not None or self.external_id is not None, bool(self.email)]
        if sum(given) != 1 or (given[1] and not (self.source and self.external_id)):
            raise ValueError("name a lead by id, by source and external_id, or by email")

    def __str__(self) -> str:
        if self.lead_id is not None:
            return f"lead {self.lead_id}"
        if self.email:
            return f"lead with email {self.email}"
        return f"lead {self.external_id} from {self.source}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeResult:
    """An outcome reported for lead `lead_id`: `recorded` False when the same (state, occurred_at) was
    there already (nothing changed). `current` is the lead's outcome after it; `rep_id` its owner."""

    lead_id: int
    recorded: bool
    state: OutcomeState
    current: OutcomeState | None
    occurred_at: datetime
    rep_id: str | None
    events: Events = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Claimed:
    """The lead has an owner. `offer_id` is None when a manager took it with no offer open."""

    lead_id: int
    offer_id: int | None
    owner: str
    by: str
    at: datetime
    due_at: datetime | None  # the SLA deadline of the claimed offer, for lateness metrics
    events: Events = ()  # what the transition committed (see `storage.events`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Expired:
    """An offer whose SLA ran out, and what became of its lead: a new offer, or escalation."""

    offer_id: int
    lead_id: int
    rep_id: str
    due_at: datetime
    escalated: bool
    next: AssignResult | None
    events: Events = ()  # what the transition committed (see `storage.events`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reminder:
    offer_id: int
    lead_id: int
    rep_id: str
    due_at: datetime
    events: Events = ()  # what the transition committed (see `storage.events`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reping:
    """One more ping of an unclaimed escalated lead; `manager` is who it goes to now (may be None)."""

    lead_id: int
    team_id: str | None
    manager: str | None
    level: int
    ping: int
    next_ping_at: datetime | None
    events: Events = ()  # what the transition committed (see `storage.events`)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadMoved:
    """A person moved the lead (to nurture, to the managers): the lead as the move left it."""

    lead: LeadRecord
    events: Events = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RepUpdate:
    """A change to a rep's runtime state: `pto_id` of a new PTO window, or how many windows were
    `cleared`."""

    rep_id: str
    pto_id: int | None = None
    cleared: int = 0
    events: Events = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PtoRecord:
    id: int
    rep_id: str
    window: Window
    set_by: str
    set_at: datetime
    cleared_by: str | None
    cleared_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RepRuntime:
    """What people changed about a rep at run time, and who did it when."""

    rep_id: str
    pto: tuple[PtoRecord, ...]
    capacity_override: int | None
    capacity_set_by: str | None
    capacity_set_at: datetime | None
    paused: bool
    paused_set_by: str | None
    paused_set_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """An outbox row a caller adds to a transition; `dedup_key` must be unique across the outbox."""

    kind: str
    address: str
    payload: Mapping[str, Any]
    dedup_key: str
    transport: Transport = Transport.SLACK


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """An outbox row given up on at `failed_at` with `last_error`: listed by `leadrelay outbox`,
    resent by `leadrelay outbox retry`."""

    id: int
    kind: str
    lead_id: int | None
    transport: str
    address: str
    attempts: int
    created_at: datetime
    failed_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """An outbox row handed to a sender, with the Slack refs it needs to update or thread.

    `transport` says how it is delivered and `address` where (see `Transport`). `dm_channel`/`dm_ts`
    are the offer's DM (for `offer_update`); `thread_channel`/`thread_ts` the lead's thread in the team
    channel (None until its first channel post was sent).
    """

    id: int
    kind: str
    lead_id: int | None
    offer_id: int | None
    transport: str
    address: str
    payload: Mapping[str, Any]
    dedup_key: str
    attempts: int
    created_at: datetime
    dm_channel: str | None
    dm_ts: str | None
    thread_channel: str | None
    thread_ts: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityCheck:
    """The last check of one identity the config names against Slack: `subject` names it ("person
    alice"), `detail` says what Slack has, `fix` (when not `ok`) what to do about it."""

    subject: str
    ok: bool
    detail: str
    fix: str | None
    checked_at: datetime
