"""What a transport is: how the dispatcher hands it one outbox row, and asks whether a held fault is fixed.

A transport is one module (`bot.delivery.slack` is the first) with a class that satisfies `Transport`,
registered by its `storage.model.Transport` value where the app is built (`bot.service.Service.build`).
It knows its own protocol and errors and nothing about leasing, retries or holds: it reads every
failure into an `Outcome` (`bot.delivery.outcome`) and the dispatcher does the rest.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.delivery.outcome import AddressFault, Outcome, WorkspaceFault
from bot.slack import TIMEOUT
from storage.model import LeadView, OutboxItem

LEASE = timedelta(seconds=TIMEOUT + 5)  # outlasts any one transport call, so no second sender claims a row in flight


class Transport(Protocol):
    """Delivers outbox rows of one `storage.model.Transport` value."""

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
