"""What a committed transition changed, as frozen values: every `storage.Store` transition returns the
events it committed (`events` on its result), in the order they happened, and only once its
transaction has committed; a transaction that rolled back or ran again returns the events of the
attempt that committed.

Events are facts for subscribers that may miss one without harm (waking the sender, re-arming the SLA
timers, refreshing a Home, metrics). Anything that must not be lost (a Slack message, later a webhook
or a CRM write) is an outbox row written inside the transition, never an event handler.

Every event carries `at` (the transition's `now`) and `queued`: whether the change wrote outbox rows
a sender still has to deliver (a DM handed over to the caller in the same transaction does not count;
see `LeadAssigned.handed_over`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    at: datetime
    queued: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadReceived(Event):
    """A new lead was stored (a repeat of its (source, external_id) commits nothing, so no event)."""

    lead_id: int
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadAssigned(Event):
    """An open offer waits for `rep_id` until `due_at` (a reminder at `remind_at`). `by` is who chose the
    rep ("leadrelay" for routing). `handed_over`: the DM was leased to the caller, who posts it."""

    lead_id: int
    offer_id: int
    rep_id: str
    team_id: str
    attempt: int
    due_at: datetime
    remind_at: datetime | None
    by: str
    handed_over: bool = False
    fallback: bool = False  # no rule could place it: the fallback team or rep took it


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadNurtured(Event):
    """The lead went to nurture: below the qualification gate, or sent there by `by`."""

    lead_id: int
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadHeld(Event):
    """Nobody is at work and the team's `off_hours` is `hold`: the lead waits, unassigned, for `team_id`
    until `release_at`, when the timers route it."""

    lead_id: int
    team_id: str
    release_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferClaimed(Event):
    """The lead has an owner: `owner` accepted offer `offer_id` (or `by` accepted it for them), or a
    manager took it (`offer_id` None). `due_at` is the claimed or withdrawn offer's SLA deadline.
    `first_dm_at`: when Slack accepted the lead's first offer DM (None: it never went out), so the
    claim's human time (first DM to claim) is `at - first_dm_at`."""

    lead_id: int
    offer_id: int | None
    owner: str
    by: str
    team_id: str | None
    due_at: datetime | None
    first_dm_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadReassigned(Event):
    """Offer `offer_id` of `rep_id` ended `end_reason` (reassigned, released, or withdrawn because
    Slack cannot reach the rep) and the lead is routed again: the next event says where it went."""

    lead_id: int
    offer_id: int
    rep_id: str
    end_reason: str
    by: str
    team_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferExpired(Event):
    """Offer `offer_id` of `rep_id` was not accepted by `due_at`; the next event says where the lead went."""

    lead_id: int
    offer_id: int
    rep_id: str
    due_at: datetime
    team_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferReminded(Event):
    """`rep_id` was nudged about open offer `offer_id`, due at `due_at`."""

    lead_id: int
    offer_id: int
    rep_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadEscalated(Event):
    """The lead is in the managers' hands (`state`: escalated, or queued when nobody could take it) and
    `manager` was pinged (`ping` at `level` of the chain; ping 1 at level 0 is the first); the next ping
    falls due at `next_ping_at` (None: nobody to ping)."""

    lead_id: int
    state: str
    team_id: str | None
    manager: str | None
    level: int
    ping: int
    next_ping_at: datetime | None
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RepChanged(Event):
    """People changed a rep's runtime state: `change` is pto, pto_cleared, capacity or paused."""

    rep_id: str
    change: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeRecorded(Event):
    """An outcome of lead `lead_id` was recorded: `state` (working, won, lost, disqualified, reopened) as
    it `occurred_at`, worth `amount` if given, for the owner `rep_id` (None: the lead had no owner).
    `current` is the lead's outcome after this one: an outcome that arrives late (a `working` after the
    `won`) is recorded but does not change it. `source` says where it came from (api, import, a CRM)."""

    lead_id: int
    state: str
    current: str
    occurred_at: datetime
    amount: float | None
    rep_id: str | None
    source: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadReturned(Event):
    """A person who has a lead still open or claimed sent another (`source`): it was attached to lead
    `lead_id` as repeat `repeat_id` rather than routed again; `rep_id` (None: nobody has it yet) was told."""

    lead_id: int
    repeat_id: int
    source: str
    rep_id: str | None


Events = tuple[Event, ...]
