"""What one delivery attempt came to: the fault taxonomy every transport reads its own errors into.

    Outcome
    ├── Delivered       it landed (`landed`: where, for later updates; `digested`: other rows it carried)
    ├── Transient       try again later (`after`: the wait the other side asked for); counts towards
    │                   the transport's outage circuit
    ├── WorkspaceFault  nothing of this transport can go out (a revoked token, a missing scope): hold
    │                   the whole transport, rows stay pending, a probe resumes it once fixed
    ├── AddressFault    nothing can go to this address (a channel archived, deleted, or closed to us):
    │                   hold the address, re-check it periodically
    ├── RecipientGone   the person at this address is gone: the lead goes to someone else
    └── Permanent       this row cannot be delivered: dead-letter it with its error

A transport returns one of these for every row (`bot.delivery.transport.Transport.deliver`); the
dispatcher (`bot.delivery.dispatcher`) decides what happens next, the same way for every transport.
`fix` is the sentence an operator reads on `/healthz` and in `leadrelay outbox`.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.model import LeadView, OutboxItem


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivered:
    """Landed as (`channel`, `ts`) (("", "") when there was nothing left to send). `view`: the lead as
    rendered, if read. `digested`: further rows the same message delivered (a digest), already leased."""

    channel: str = ""
    ts: str = ""
    view: LeadView | None = None
    digested: tuple[OutboxItem, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Transient:
    """The other side is busy or failing: retry, after `after` seconds if it said so (a Retry-After),
    else after the dispatcher's backoff. `rate_limited`: a 429, whose wait holds even once an outage ends."""

    error: str
    after: float | None = None
    rate_limited: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceFault:
    """Nothing of this transport can be delivered until someone fixes `error` as `fix` says."""

    error: str
    fix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressFault:
    """Nothing can be delivered to the row's address until someone fixes `error` as `fix` says."""

    error: str
    fix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientGone:
    """The person the row is addressed to cannot be reached: `reason` is the short code (as the lead's
    history and the managers' notice give it), `error` the whole error."""

    error: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Permanent:
    """This row will never be accepted as it stands (`error` says why): dead-letter it."""

    error: str


Outcome = Delivered | Transient | WorkspaceFault | AddressFault | RecipientGone | Permanent
Fault = WorkspaceFault | AddressFault
