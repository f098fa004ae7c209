"""The webhook transport: POSTs each row to its endpoint, signed as the Standard Webhooks spec says, and
reads the answer into the fault taxonomy (`connectors.delivery`).

Headers: `webhook-id` (the event's, the same on every retry and replay), `webhook-timestamp` (this
attempt, in Unix seconds, from the wall clock: receivers reject a timestamp more than 5 minutes off
their own clock) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the
endpoint's `whsec_` secret, made by the `standardwebhooks` library a receiver verifies with.

    2xx                                          Delivered
    429 (Retry-After honoured), 5xx, timeout,
    connection refused or reset                  Transient, the endpoint's own (`address_only`): the
                                                 others keep going; /healthz names it while it fails
    410 Gone                                     AddressFault: the endpoint is disabled until restart
    any other answer (4xx, a redirect)           Permanent: dead-lettered (`leadrelay outbox retry`)

Retries follow the spec's schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, with jitter); a row still
failing after its eighth attempt is dead-lettered, and `leadrelay webhooks replay` or `outbox retry`
resends it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from standardwebhooks import Webhook as Signer

from connectors.delivery import (
    CALL_TIMEOUT,
    AddressFault,
    Delivered,
    Outcome,
    Permanent,
    RetrySchedule,
    Transient,
    WorkspaceFault,
)
from connectors.webhooks.endpoints import Endpoint
from storage.model import LeadView, OutboxItem

# The Standard Webhooks schedule: after the first attempt, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
STANDARD_SCHEDULE = RetrySchedule(delays=(5, 300, 1800, 7200, 18000, 36000, 36000), jitter=(0.8, 1.2), give_up=True)
USER_AGENT = "Leadrelay-Webhooks/1"
GONE_FIX = (
    "the receiver answered 410 Gone, so delivery to it is disabled until Leadrelay restarts (its messages "
    "wait, none is lost): remove it from `webhooks` in the config, or fix the receiver and restart"
)


class WebhookTransport:
    """The `webhook` transport for the configured endpoints. `wall`: the clock the signature's
    timestamp is read from (the real one: receivers check it against theirs)."""

    retry_schedule = STANDARD_SCHEDULE

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        timeout: float = CALL_TIMEOUT,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._signers = {endpoint.url: Signer(endpoint.secret) for endpoint in endpoints}
        self.timeout, self.wall = timeout, wall

    def headers(self, url: str, msg_id: str, body: bytes) -> dict[str, str]:
        """The signed headers for one attempt at `body` to `url` (one of the endpoints)."""
        now = self.wall()
        return {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(math.floor(now.timestamp())),
            "webhook-signature": self._signers[url].sign(msg_id, now, body),
        }

    async def deliver(self, item: OutboxItem, view: LeadView | None) -> Outcome:
        """POST the row's body to its endpoint within `timeout` and say how it went."""
        if item.address not in self._signers:
            return Permanent(error=f"{item.address} is no longer one of the config's webhooks")
        body = encode(item.payload["body"])
        headers = self.headers(item.address, str(item.payload["id"]), body)
        try:
            # A session per call: webhooks are a few per lead, and nothing is left open between them.
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session,
                session.post(item.address, data=body, headers=headers, allow_redirects=False) as response,
            ):
                text = (await response.content.read(200)).decode("utf-8", "replace")
                return classify(response.status, response.headers, text)
        except TimeoutError:
            return Transient(error=f"no answer within {self.timeout:g}s", address_only=True)
        except aiohttp.ClientError as exc:
            return Transient(error=f"cannot reach it: {exc.__class__.__name__}: {exc}", address_only=True)

    async def probe(self, fault: WorkspaceFault | None) -> Outcome:
        """Nothing is shared between endpoints to probe: each stands alone (`address_only` failures never
        open the transport's circuit), so the transport as a whole is always up."""
        return Delivered()

    async def recheck(self, address: str, fault: AddressFault) -> Outcome:
        """An endpoint that said 410 Gone stays disabled: the receiver asked us to stop, and only a
        person (editing the config, or fixing the receiver and restarting) can say otherwise."""
        return fault


def encode(body: Mapping[str, object]) -> bytes:
    """The body's bytes as sent and signed: compact JSON, UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def classify(status: int, headers: Mapping[str, str], text: str) -> Outcome:
    """The outcome of an endpoint's answer (`text`: the start of its body, for the error)."""
    said = f"HTTP {status}" + (f": {text.strip()[:120]}" if text.strip() else "")
    if 200 <= status < 300:
        return Delivered(ts=str(status))
    if status == 429:
        return Transient(error=said, after=retry_after(headers), rate_limited=True, address_only=True)
    if status >= 500:
        return Transient(error=said, after=retry_after(headers), address_only=True)
    if status == 410:
        return AddressFault(error="HTTP 410 Gone", fix=GONE_FIX)
    return Permanent(error=said)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds (delta-seconds or an HTTP date); None if
    absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds()) if when.tzinfo else None
