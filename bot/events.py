"""The event hub: committed storage events (`storage.events`) and the few the bot itself raises, handed
to the subscribers the composition root declares (`bot.service.Service.build`).

In process and synchronous: `publish` calls each subscriber in turn, in the order they subscribed,
before it returns, and adds no task, thread or await; a subscriber with slow work starts its own task.
A subscriber that raises is logged and skipped: an event is a notification that may be missed (the
sender's idle loop and the SLA sweep catch up), never the only record of a change, which is the
outbox row the transition committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from storage.model import LeadView, OutboxItem

log = logging.getLogger(__name__)

_E = TypeVar("_E")


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDelivered:
    """The outbox dispatcher delivered `item` at `at` (`view`: the lead it rendered, if it read one)."""

    item: OutboxItem
    view: LeadView | None
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepStarted:
    """The SLA timers started a sweep: several transactions of expiries, reminders and re-pings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepFinished:
    """The sweep is done; it handled `handled` items."""

    handled: int


class EventHub:
    """`subscribe(handler, *types)`, then `publish(events)`."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[tuple[type[Any], ...], Callable[[Any], None]]] = []

    def subscribe(self, handler: Callable[[_E], None], *types: type[_E]) -> None:
        """Call `handler` with every published event that is an instance of one of `types`."""
        if not types:
            raise TypeError("subscribe to at least one event type")
        self._subscribers.append((types, handler))

    def publish(self, events: Iterable[object]) -> None:
        """Hand each event, in order, to its subscribers, in the order they subscribed."""
        for event in events:
            for types, handler in self._subscribers:
                if isinstance(event, types):
                    try:
                        handler(event)
                    except Exception:  # one subscriber's bug must not cost the others their event
                        log.exception("event subscriber %r failed on %r", handler, event)
