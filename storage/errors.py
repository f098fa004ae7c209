"""The errors storage raises. Callers catch these, never a driver exception.

::

    StorageError
    ├── SchemaMissing          the database has no (or an outdated) Leadrelay schema
    ├── StorageBusy            contention outlasted every retry (the caller may try again later)
    ├── NotFound (+LookupError)
    │   ├── LeadNotFound
    │   ├── LeadRefNotFound    no lead answers to an outcome's id, source/external id or email
    │   ├── OfferNotFound
    │   └── OutboxItemNotFound
    ├── UnknownPerson (+LookupError)   a rep or manager id the routing config does not know
    └── Refused                a transition that lost a race or is not allowed; says why
        ├── AlreadyClaimed     someone owns the lead: `by`, `at`
        ├── NotYourOffer       the actor may not act on this offer: `holder`
        ├── OfferClosed        the offer ended: `reason`, `at`
        └── WrongState         the lead is not in a state this transition starts from: `state`

The refusals carry who holds the lead and since when, so the bot can tell the loser of a race what
happened ("already accepted by @ana 2 minutes ago") without a second query.
"""

from __future__ import annotations

from datetime import datetime


class StorageError(Exception):
    """Root of every error raised by `storage`."""


class SchemaMissing(StorageError):
    """The database has no Leadrelay schema, or not the current revision: run `leadrelay db upgrade`."""


class DatabaseMissing(StorageError, LookupError):
    """There is no database where the URL points (a SQLite file that does not exist): nothing to read."""


class StorageBusy(StorageError):
    """A write kept conflicting with concurrent writers (or SQLite stayed locked) after every retry."""


class NotFound(StorageError, LookupError):
    """A row the caller named does not exist."""


class LeadNotFound(NotFound):
    def __init__(self, lead_id: int) -> None:
        super().__init__(f"no lead {lead_id}")
        self.lead_id = lead_id


class LeadRefNotFound(NotFound):
    """No lead answers to an outcome's reference (an id, a source and external id, an email)."""

    def __init__(self, ref: object) -> None:
        super().__init__(f"no {ref}")
        self.ref = ref


class OfferNotFound(NotFound):
    def __init__(self, offer_id: int) -> None:
        super().__init__(f"no offer {offer_id}")
        self.offer_id = offer_id


class OutboxItemNotFound(NotFound):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no outbox item {item_id}")
        self.item_id = item_id


class UnknownPerson(StorageError, LookupError):
    """A rep or manager id that is not in the routing configuration."""

    def __init__(self, person_id: str) -> None:
        super().__init__(f"unknown rep or manager {person_id!r}")
        self.person_id = person_id


class Refused(StorageError):
    """A transition that did not happen, with the reason; nothing was written."""


class AlreadyClaimed(Refused):
    """The lead already has an owner: `by` claimed it at `at`."""

    def __init__(self, lead_id: int, by: str, at: datetime) -> None:
        super().__init__(f"lead {lead_id} was already claimed by {by} at {at.isoformat()}")
        self.lead_id = lead_id
        self.by = by
        self.at = at


class NotYourOffer(Refused):
    """Only the offered rep (`holder`) or their manager may act on this offer."""

    def __init__(self, offer_id: int, holder: str, actor: str) -> None:
        super().__init__(f"offer {offer_id} belongs to {holder}, not {actor}")
        self.offer_id = offer_id
        self.holder = holder
        self.actor = actor


class OfferClosed(Refused):
    """The offer ended (`reason`: expired, reassigned, taken, …) at `at`; the lead moved on."""

    def __init__(self, offer_id: int, reason: str, at: datetime) -> None:
        super().__init__(f"offer {offer_id} is closed ({reason} at {at.isoformat()})")
        self.offer_id = offer_id
        self.reason = reason
        self.at = at


class WrongState(Refused):
    """The lead is `state`, which the requested transition does not start from."""

    def __init__(self, lead_id: int, state: str, action: str) -> None:
        super().__init__(f"cannot {action} lead {lead_id}: it is {state}")
        self.lead_id = lead_id
        self.state = state
        self.action = action
