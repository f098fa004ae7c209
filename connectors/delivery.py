"""What every outbox transport shares: the `Transport` protocol, the per-call timeout and lease, and what
one delivery attempt came to: the fault taxonomy every transport reads its own errors into.

    Outcome
    ├── Delivered       it landed (`landed`: where, for later updates; `digested`: other rows it carried)
    ├── Transient       try again later (`after`: the wait the other side asked for); counts towards
    │                   the transport's outage circuit, unless it is one address's own (`address_only`:
    │                   a webhook endpoint down), which is named on `/healthz` instead
    ├── WorkspaceFault  nothing of this transport can go out (a revoked token, a missing scope): hold
    │                   the whole transport, rows stay pending, a probe resumes it once fixed
    ├── AddressFault    nothing can go to this address (a channel archived, deleted, or closed to us):
    │                   hold the address, re-check it periodically
    ├── RecipientGone   the person at this address is gone: the lead goes to someone else
    └── Permanent       this row cannot be delivered: dead-letter it with its error

A transport returns one of these for every row (`Transport.deliver`); the
dispatcher (`bot.delivery.dispatcher`) decides what happens next, the same way for every transport.
`fix` is the sentence an operator reads on `/healthz` and in `leadrelay outbox`.

Each transport also says when a row that failed transiently is tried again (`RetrySchedule`): Slack
backs off exponentially and never gives up (an outage ends, and a DM must still arrive); a webhook
follows the Standard Webhooks schedule and is dead-lettered after its last attempt, from where
`leadrelay outbox retry` or `leadrelay webhooks replay` resend it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from storage.model import LeadView, OutboxItem

CALL_TIMEOUT = 10.0  # seconds: the longest one transport call may take (Slack's Web API, a webhook, a CRM)
LEASE = timedelta(seconds=CALL_TIMEOUT + 5)  # outlasts any one call, so no second sender claims a row in flight


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
    # The address's own server failed (one webhook endpoint down), not the transport: it does not count
    # towards the transport's outage circuit, so the other addresses keep going, and `/healthz` names
    # the address until it answers again.
    address_only: bool = False


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrySchedule:
    """When a row that failed transiently is tried again: `delays[n - 1]` seconds after its n-th failed
    attempt, scaled by a random factor in `jitter` (so replicas and a burst of rows spread apart). Past
    the last delay the row is dead-lettered (`give_up`) or keeps waiting the last delay again."""

    delays: tuple[float, ...]
    jitter: tuple[float, float] = (0.5, 1.0)
    give_up: bool = False

    def __post_init__(self) -> None:
        low, high = self.jitter
        if not self.delays or min(self.delays) <= 0 or not 0 < low <= high:
            raise ValueError("a retry schedule needs positive delays and a jitter range 0 < low <= high")

    def wait(self, failures: int, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after the `failures`-th failed attempt (1 for the first); None: give up."""
        if failures > len(self.delays) and self.give_up:
            return None
        delay = self.delays[min(max(failures, 1), len(self.delays)) - 1]
        return delay * (rng or random).uniform(*self.jitter)

    @property
    def attempts(self) -> int | None:
        """How many attempts a row gets before it is dead-lettered; None: it is retried forever."""
        return len(self.delays) + 1 if self.give_up else None


# Slack's, the default: 2 s doubling to 5 minutes, then every 5 minutes for as long as it takes.
EXPONENTIAL = RetrySchedule(delays=(2, 4, 8, 16, 32, 64, 128, 256, 300))


Outcome = Delivered | Transient | WorkspaceFault | AddressFault | RecipientGone | Permanent
Fault = WorkspaceFault | AddressFault


class Transport(Protocol):
    """Delivers outbox rows of one `storage.model.Transport` value.

    A transport is one module (`bot.delivery.slack` is the first) with a class that satisfies this,
    registered by its `storage.model.Transport` value where the app is built (`bot.service.Service.build`).
    It knows its own protocol and errors and nothing about leasing, retries or holds: it reads every
    failure into an `Outcome` and the dispatcher (`bot.delivery.dispatcher`) does the rest, waiting
    between attempts as its `retry_schedule` says.
    """

    retry_schedule: RetrySchedule

    async def deliver(self, item: OutboxItem, view: LeadView | None) -> Outcome:
        """Deliver one leased row (`view`: its lead, if the caller has it at hand) and say how it went.
        Raises nothing it can classify; an exception leaves the row leased, to be redelivered."""
        ...

    async def probe(self, fault: WorkspaceFault | None) -> Outcome:
        """One cheap call: is the other side answering, and (with `fault`, the one holding delivery) is
        that fault fixed? `Delivered` means go ahead."""
        ...

    async def recheck(self, address: str, fault: AddressFault) -> Outcome:
        """Whether `address`, held for `fault`, can take deliveries again. `Delivered` means it can."""
        ...
