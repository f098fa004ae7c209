"""Outbox rows for the world outside Slack that a committed change implies: a signed webhook, an owner
written to a CRM.

A relay sees each event a transition is about to commit, inside that transition's transaction, and
returns the outbox rows it implies (built with `storage.messages.row(..., transport=...)`). So the
webhook or CRM write commits with the change it reports or not at all, a crash never loses it, and no
transition has to know which relays exist. Relays are plugged in where the store is built
(`Store(db, engine, relays=[...])`, in `bot.service.Service.build`); they live in `connectors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from sqlalchemy import Connection

from storage.events import Event
from storage.messages import Row
from storage.writes import queue

_T = TypeVar("_T")


class Relay(Protocol):
    def rows(self, conn: Connection, event: Event) -> Sequence[Row]:
        """The outbox rows `event` implies for this relay (none for an event it does not carry). Runs in
        the transition's transaction: it may read what the transition wrote, and must not write."""
        ...


def relay(conn: Connection, relays: Sequence[Relay], result: _T) -> _T:
    """Queue the rows `relays` derive from the events `result` carries (a transition's result, a list of
    them, or None); return it with each event that queued rows marked `queued`, so the dispatcher wakes."""
    if isinstance(result, list):
        return [relay(conn, relays, item) for item in result]  # type: ignore[return-value]
    events: tuple[Event, ...] = getattr(result, "events", ())
    if not events:
        return result
    marked = tuple(_queue_for(conn, relays, event) for event in events)
    return result if marked == events else replace(result, events=marked)  # type: ignore[type-var]


def _queue_for(conn: Connection, relays: Sequence[Relay], event: Event) -> Event:
    rows = [row for each in relays for row in each.rows(conn, event)]
    if not queue(conn, rows, event.at) or event.queued:
        return event
    return replace(event, queued=True)
