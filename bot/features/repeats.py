"""Slack's redeliveries of an event are processed once.

Slack resends an event it did not see acknowledged within three seconds, up to three times, with the
same `event_id` and an `X-Slack-Retry-Num` header. A global middleware remembers the event ids it let
through (the most recent `REMEMBERED`, in this process) and acknowledges a repeat without running its
listeners again. Slash commands and interactions are not redelivered by Slack, so only events pass here.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.service import Service

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # event ids: far more than Slack's retries (within minutes) can span


class SeenEvents:
    """The event ids already let through, oldest forgotten first."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self._limit = limit
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (and remember it), False for a repeat."""
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True


def register(app: AsyncApp, _service: Service) -> None:
    seen = SeenEvents()

    @app.middleware
    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not seen.first_time(event_id):
            log.info("event %s delivered again; already processed", event_id)
            return BoltResponse(status=200, body="")
        return await next()
