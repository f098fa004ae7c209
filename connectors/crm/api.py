"""What Leadrelay asks of a CRM, whichever it is: the contract `connectors.hubspot` and
`connectors.salesforce` each satisfy with their official client, and the errors they read every failure
into. Everything CRM-neutral (the owner write-back relay and transport, the outcome poll, `check --crm`)
is written against this, once.

The official clients (`hubspot-api-client`, `simple-salesforce`) are synchronous: a `CrmApi` is called
from a worker thread (`asyncio.to_thread`) and must not share mutable state between calls without a lock.

    CrmError
    ├── CrmAuthError     the credential is missing, revoked or lacks a scope: nothing can be written
    │                    until someone fixes it (the transport's `WorkspaceFault`; shown on /healthz)
    ├── CrmRateLimited   a rate or daily limit: wait `after` seconds, then try again (a `Transient`)
    ├── CrmUnavailable   the CRM is down or timed out: try again later (a `Transient`)
    └── CrmRejected      the CRM refused this one write as it stands (a validation error, a record
                         deleted): retrying will not help (a `Permanent`, dead-lettered with `error`)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from storage.model import OutcomeState


class CrmError(Exception):
    """A CRM call failed; the subclass says what to do about it. `str(error)` is for an operator."""


class CrmAuthError(CrmError):
    """The token is missing, invalid, revoked or lacks a scope. `fix`: what the operator must do."""

    def __init__(self, message: str, *, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


class CrmRateLimited(CrmError):
    """A rate limit (HubSpot's 429 or daily limit, Salesforce's REQUEST_LIMIT_EXCEEDED): try again in
    `after` seconds (the CRM's own word when it gives one, else the connector's estimate)."""

    def __init__(self, message: str, *, after: float) -> None:
        super().__init__(message)
        self.after = after


class CrmUnavailable(CrmError):
    """The CRM did not answer, or answered with a server error: try again later."""


class CrmRejected(CrmError):
    """The CRM refused this request as it stands: retrying the same request will not help."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerWrite:
    """One owner write-back: make `owner_id` (a CRM user, from `find_user`) the owner of the lead's
    record, found by `record_id` (the lead's CRM id, when it came from this CRM), else by `email`, else
    created from `lead` (the lead's fields as intake stored them: email, first_name, company, …).
    `fields`: further CRM properties to set (the configured rule and reason properties), already named
    as the CRM names them."""

    record_id: str | None
    email: str | None
    lead: Mapping[str, Any]
    owner_id: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class CrmOutcome:
    """An outcome the CRM reports for one record: `record_id` and `email` identify the lead (Leadrelay
    finds it by its CRM id first, then by email); `state` is already mapped from the CRM's stage or
    status; `occurred_at` is when the CRM says it changed (so a re-read records nothing twice)."""

    record_id: str
    email: str | None
    state: OutcomeState
    occurred_at: datetime
    amount: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomePage:
    """What one poll read: the outcomes, and the cursor to read from next time (opaque to the caller,
    stored as given). `more`: the CRM has further changes past this page; poll again straight away."""

    outcomes: Sequence[CrmOutcome]
    cursor: str
    more: bool = False


class CrmApi(Protocol):
    """One CRM, through its official client. Every method raises only `CrmError` subclasses."""

    name: str  # "hubspot", "salesforce": the lead source and outcome source this CRM's records carry

    def find_user(self, email: str) -> str | None:
        """The id of the CRM user (HubSpot owner, Salesforce User) whose email is `email`, or None."""
        ...

    def write_owner(self, write: OwnerWrite) -> str:
        """Set the owner (and `write.fields`) on the lead's record, finding or creating it as `OwnerWrite`
        says. Idempotent: writing the same owner again changes nothing. Returns the record's id."""
        ...

    def read_outcomes(self, cursor: str | None) -> OutcomePage:
        """Outcomes changed since `cursor` (None: since now, the first poll reads nothing old), oldest
        first, one page at a time."""
        ...

    def check(self) -> Sequence[str]:
        """Whether the credential works and holds every scope Leadrelay needs: one line per problem,
        empty when all is well. Raises CrmUnavailable when the CRM cannot be reached at all."""
        ...
