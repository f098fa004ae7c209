"""The webhook transport on its own: how each answer, timeout and refused connection reads into the
fault taxonomy, what the retry schedule gives, and which secrets sign."""

from __future__ import annotations

import asyncio
import base64
import random
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from standardwebhooks import Webhook

from connectors.delivery import EXPONENTIAL, AddressFault, Delivered, Permanent, RetrySchedule, Transient
from connectors.webhooks import STANDARD_SCHEDULE, Endpoint, WebhookTransport, endpoints, invalid_secret, new_secret
from connectors.webhooks.transport import classify, retry_after
from routing.config import Webhook as WebhookConfig
from storage.model import OutboxItem

SECRET = new_secret()


def item(url: str, body: dict[str, object] | None = None) -> OutboxItem:
    now = datetime.now(UTC)
    payload = {"id": "msg_test", "body": body or {"type": "lead.received", "timestamp": now.isoformat(), "data": {}}}
    return OutboxItem(
        id=1,
        kind="lead.received",
        lead_id=1,
        offer_id=None,
        transport="webhook",
        address=url,
        payload=payload,
        dedup_key="k",
        attempts=1,
        created_at=now,
        dm_channel=None,
        dm_ts=None,
        thread_channel=None,
        thread_ts=None,
    )


@pytest.fixture
async def slow_url() -> AsyncIterator[str]:
    """An endpoint that answers after a second."""

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/slow"
    await runner.cleanup()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {}, Delivered(ts="200")),
        (204, {}, Delivered(ts="204")),
        (429, {"Retry-After": "30"}, Transient(error="HTTP 429", after=30.0, rate_limited=True, address_only=True)),
        (503, {}, Transient(error="HTTP 503", address_only=True)),
        (500, {"Retry-After": "7"}, Transient(error="HTTP 500", after=7.0, address_only=True)),
        (404, {}, Permanent(error="HTTP 404")),
        (301, {}, Permanent(error="HTTP 301")),
    ],
)
def test_each_answer_reads_into_the_taxonomy(status: int, headers: dict[str, str], expected: object) -> None:
    assert classify(status, headers, "") == expected


def test_a_410_holds_the_endpoint_with_a_fix_an_operator_can_follow() -> None:
    outcome = classify(410, {}, "gone")
    assert isinstance(outcome, AddressFault) and outcome.error == "HTTP 410 Gone"
    assert "remove it from `webhooks`" in outcome.fix and "restart" in outcome.fix


def test_an_error_keeps_the_start_of_what_the_receiver_said() -> None:
    assert classify(422, {}, "  missing field lead_id \n") == Permanent(error="HTTP 422: missing field lead_id")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after({"Retry-After": "120"}) == 120.0
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    assert 590 <= (retry_after({"Retry-After": later}) or 0) <= 600
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_the_standard_schedule_waits_5s_5m_30m_2h_5h_10h_10h_with_jitter_then_gives_up() -> None:
    rng = random.Random(7)
    waits = [STANDARD_SCHEDULE.wait(n, rng) for n in range(1, 9)]
    spec = [5, 300, 1800, 7200, 18000, 36000, 36000]
    scheduled = [wait for wait in waits[:7] if wait is not None]
    assert all(0.8 * base <= wait <= 1.2 * base for wait, base in zip(scheduled, spec, strict=True))
    assert len({round(wait / base, 6) for wait, base in zip(scheduled, spec, strict=True)}) > 1  # jittered
    assert waits[7] is None and STANDARD_SCHEDULE.attempts == 8


def test_slack_keeps_its_exponential_backoff_and_never_gives_up() -> None:
    assert [EXPONENTIAL.wait(n, random.Random(1)) is not None for n in (1, 9, 10, 1000)] == [True] * 4
    assert 1.0 <= (EXPONENTIAL.wait(1) or 0) <= 2.0 and 150 <= (EXPONENTIAL.wait(50) or 0) <= 300
    assert EXPONENTIAL.attempts is None
    with pytest.raises(ValueError, match="positive delays"):
        RetrySchedule(delays=())


async def test_a_slow_endpoint_is_a_transient_fault_of_its_own(slow_url: str) -> None:
    transport = WebhookTransport([Endpoint(url=slow_url, secret=SECRET, events=frozenset())], timeout=0.2)
    outcome = await transport.deliver(item(slow_url), None)
    assert outcome == Transient(error="no answer within 0.2s", address_only=True)


async def test_a_refused_connection_is_a_transient_fault_of_its_own() -> None:
    url = f"http://127.0.0.1:{closed_port()}/in"
    transport = WebhookTransport([Endpoint(url=url, secret=SECRET, events=frozenset())], timeout=2)
    outcome = await transport.deliver(item(url), None)
    assert isinstance(outcome, Transient) and outcome.address_only and "cannot reach it" in outcome.error


async def test_a_row_for_an_endpoint_no_longer_configured_is_dead_lettered() -> None:
    transport = WebhookTransport([])
    outcome = await transport.deliver(item("https://old.example.com/in"), None)
    assert outcome == Permanent(error="https://old.example.com/in is no longer one of the config's webhooks")


def test_the_signed_headers_verify_with_the_library() -> None:
    url = "https://crm.example.com/in"
    transport = WebhookTransport([Endpoint(url=url, secret=SECRET, events=frozenset())])
    body = b'{"type":"lead.received"}'
    headers = transport.headers(url, "msg_abc", body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(body, headers) == {"type": "lead.received"}
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_secret()).verify(body, headers)


def test_secrets_come_from_the_environment_and_a_bad_one_is_named() -> None:
    hooks = [WebhookConfig(url="https://a.example.com", secret_env="A_SECRET", events=frozenset({"lead.claimed"}))]
    [endpoint] = endpoints(hooks, {"A_SECRET": SECRET})
    assert (endpoint.url, endpoint.secret, endpoint.events) == ("https://a.example.com", SECRET, {"lead.claimed"})
    short = "whsec_" + base64.b64encode(b"0123456789").decode()
    assert invalid_secret(short) == "holds 10 bytes: a signing key needs at least 24"
    assert invalid_secret("whsec_***") == "is not base64 after whsec_"
    assert invalid_secret(SECRET) is None
