"""Signed outbound webhooks (the Standard Webhooks spec): what each event says (`bodies`), the relay
that queues one outbox row per subscribed endpoint in the transition's transaction (`relay`), the
endpoints and their secrets (`endpoints`), and the transport that signs and POSTs them (`transport`).
docs/webhooks.md is the receiver's reference."""

from connectors.webhooks.endpoints import Endpoint, endpoints, invalid_secret, new_secret
from connectors.webhooks.relay import WebhookRelay, webhook_id
from connectors.webhooks.transport import STANDARD_SCHEDULE, WebhookTransport

__all__ = [
    "STANDARD_SCHEDULE",
    "Endpoint",
    "WebhookRelay",
    "WebhookTransport",
    "endpoints",
    "invalid_secret",
    "new_secret",
    "webhook_id",
]
