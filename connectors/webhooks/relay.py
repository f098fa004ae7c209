"""The webhook relay: the outbox rows a committed transition's events imply, one per subscribed endpoint.

It runs inside each transition's transaction (`storage.relays`), so a webhook is queued with the change
it reports or not at all, and a crash never loses one. Each row's payload is what the transport sends:
the `webhook-id` and the body, frozen at commit, so a retry or a replay sends the same bytes' meaning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection

from connectors.webhooks.bodies import EVENT_TYPES, message
from connectors.webhooks.endpoints import Endpoint
from routing import RoutingConfig
from storage.events import Event
from storage.messages import Row, row
from storage.model import Transport


class WebhookRelay:
    """Satisfies `storage.relays.Relay` for the configured endpoints."""

    def __init__(self, config: RoutingConfig, endpoints: Sequence[Endpoint]) -> None:
        self.config = config
        self.endpoints = tuple(endpoints)

    def rows(self, conn: Connection, event: Event) -> Sequence[Row]:
        """One row per endpoint subscribed to the event's type; none for an event no webhook carries.
        Reads what the transition wrote and writes nothing."""
        subscribed = [endpoint for endpoint in self.endpoints if _type_of(event) in endpoint.events]
        if not subscribed:
            return []
        found = message(conn, self.config, event)
        if found is None:
            return []
        payload = {"id": webhook_id(found.key), "body": found.body}
        return [
            row(
                found.type,
                endpoint.url,
                payload,
                f"webhook:{endpoint_key(endpoint.url)}:{found.key}",
                found.lead_id,
                found.offer_id,
                transport=Transport.WEBHOOK,
            )
            for endpoint in subscribed
        ]


def webhook_id(event_key: str) -> str:
    """The `webhook-id` of an event: the same for every endpoint, retry and replay, so a receiver that
    saw it already can drop it."""
    return "msg_" + hashlib.sha256(event_key.encode()).hexdigest()[:32]


def endpoint_key(url: str) -> str:
    """A short, stable name for an endpoint in dedup keys (a URL may be far longer than a key)."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _type_of(event: Event) -> str | None:
    """The webhook type of `event`, cheaply, before anything is read for it."""
    return EVENT_TYPES.get(type(event))
