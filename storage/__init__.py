"""Persistence for Leadrelay: the lead/offer state machine, rotation cursors, rep runtime state, the
audit trail and the Slack outbox, on SQLite (embedded default) or PostgreSQL (scale-out).

Wiring::

    db = await storage.connect(url)          # SQLite: migrated on connect; PostgreSQL: `upgrade` first
    store = storage.Store(db, routing.Engine(config))   # transitions (a facade over repositories)
    outbox = store.outbox                    # the Slack sender's side (or storage.Outbox(db))
    views = storage.Views(db, config)        # read models (the report's numbers: `reports`)

Every transition's result carries the events it committed (`storage.events`). Every method returns
domain objects from `storage.model` and raises errors from `storage.errors`
(rooted in `StorageError`; look-ups also in `LookupError`), never rows or driver exceptions.
"""

from storage.db import DEFAULT_URL, Database, connect, open_existing, upgrade
from storage.errors import (
    AlreadyClaimed,
    DatabaseMissing,
    LeadNotFound,
    NotFound,
    NotYourOffer,
    OfferClosed,
    OfferNotFound,
    OutboxItemNotFound,
    Refused,
    SchemaMissing,
    StorageBusy,
    StorageError,
    UnknownPerson,
    WrongState,
)
from storage.events import (
    Event,
    LeadAssigned,
    LeadEscalated,
    LeadHeld,
    LeadNurtured,
    LeadReassigned,
    LeadReceived,
    OfferClaimed,
    OfferExpired,
    OfferReminded,
    OutcomeRecorded,
    RepChanged,
)
from storage.model import (
    SYSTEM,
    Actor,
    ActorKind,
    AssignResult,
    AuditEntry,
    Claimed,
    DeadLetter,
    EndReason,
    Expired,
    LeadMoved,
    LeadRecord,
    LeadState,
    LeadView,
    Message,
    Offer,
    OfferState,
    OutboxItem,
    OutboxKind,
    PtoRecord,
    Received,
    Reminder,
    Reping,
    RepRuntime,
    RepUpdate,
)
from storage.outbox import Outbox
from storage.store import Store
from storage.views import Views

__all__ = [
    "DEFAULT_URL",
    "SYSTEM",
    "Actor",
    "ActorKind",
    "AlreadyClaimed",
    "AssignResult",
    "AuditEntry",
    "Claimed",
    "Database",
    "DatabaseMissing",
    "DeadLetter",
    "EndReason",
    "Event",
    "Expired",
    "LeadAssigned",
    "LeadEscalated",
    "LeadHeld",
    "LeadMoved",
    "LeadNotFound",
    "LeadNurtured",
    "LeadReassigned",
    "LeadReceived",
    "LeadRecord",
    "LeadState",
    "LeadView",
    "Message",
    "NotFound",
    "NotYourOffer",
    "Offer",
    "OfferClaimed",
    "OfferClosed",
    "OfferExpired",
    "OfferNotFound",
    "OfferReminded",
    "OfferState",
    "Outbox",
    "OutboxItem",
    "OutboxItemNotFound",
    "OutboxKind",
    "OutcomeRecorded",
    "PtoRecord",
    "Received",
    "Refused",
    "Reminder",
    "RepChanged",
    "RepRuntime",
    "RepUpdate",
    "Reping",
    "SchemaMissing",
    "StorageBusy",
    "StorageError",
    "Store",
    "UnknownPerson",
    "Views",
    "WrongState",
    "connect",
    "open_existing",
    "upgrade",
]
