"""A Slack outage as a circuit: seen on /healthz, Slack left alone while it is down, probed every second,
and the whole backlog delivered once when it is back, without each message waiting out its own backoff."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.delivery.circuit import PROBE_EVERY
from standin import ANY_METHOD
from storage.tables import outbox
from tests.bot.harness import MONDAY_10_NY, Stack

OUTAGE = 10_000  # faulty answers queued: more than any test makes calls, so Slack stays down until cleared


def lead(i: int) -> dict[str, Any]:
    return {"email": f"buyer{i}@shop{i}.com", "company": f"Shop {i}", "external_id": f"outage-{i}"}


async def health(stack: Stack) -> tuple[int, dict[str, Any]]:
    async with stack.http.get(f"{stack.base}/healthz") as response:
        return response.status, await response.json()


async def waiting_until(stack: Stack) -> dict[int, datetime]:
    """Each undelivered row's next attempt, as the database holds it."""
    async with stack.service.db.read() as conn:
        rows = await conn.execute(select(outbox.c.id, outbox.c.next_attempt_at).where(outbox.c.sent_at.is_(None)))
        return {row.id: row.next_attempt_at for row in rows}


def delivered_dms(stack: Stack) -> list[str]:
    """The dedup key of every DM Slack holds, one entry per message."""
    return [
        str(message.metadata["event_payload"]["dedup_key"])
        for person in ("alice", "bob", "carol")
        for message in stack.dms(person)
    ]


async def test_an_outage_shows_on_healthz_slack_is_only_probed_and_every_dm_goes_out_once_after(
    stack: Stack,
) -> None:
    stack.standin.faults.server_error(ANY_METHOD, times=OUTAGE, status=503)
    for i in range(6):
        assert (await stack.intake(lead(i))).status == 202
    await stack.deliver()
    assert delivered_dms(stack) == []

    status, body = await health(stack)
    assert status == 503 and body["ok"] is False
    [problem] = body["problems"]
    assert problem.startswith(f"slack: unavailable since {MONDAY_10_NY.isoformat(timespec='seconds')}: ")
    assert problem.endswith("http_503")

    posts = len(stack.standin.calls_to("chat.postMessage"))
    assert posts == 3  # the circuit opened on the third failure; the other DMs went back to the outbox untried
    for second in range(1, 6):  # still down: one cheap probe a second and nothing else
        stack.clock.set(MONDAY_10_NY + second * PROBE_EVERY - timedelta(milliseconds=1))
        await stack.deliver()
        stack.clock.set(MONDAY_10_NY + second * PROBE_EVERY)
        await stack.deliver()
        assert len(stack.standin.calls_to("auth.test")) == second
        assert (await health(stack))[0] == 503
    assert len(stack.standin.calls_to("chat.postMessage")) == posts

    stack.standin.faults.clear()  # Slack is back
    stack.clock.advance(PROBE_EVERY)
    await stack.deliver()
    keys = delivered_dms(stack)
    assert len(keys) == 6 and len(set(keys)) == 6  # every DM, once
    assert [call.status for call in stack.standin.calls_to("chat.postMessage")].count(200) == 6
    assert await stack.service.outbox.backlog() == 0
    assert await health(stack) == (200, {"ok": True, "problems": [], "held": []})


async def test_when_slack_is_back_waiting_dms_go_out_without_waiting_out_their_own_backoff(stack: Stack) -> None:
    stack.standin.faults.server_error(ANY_METHOD, times=OUTAGE, status=502)
    for i in range(3):
        await stack.intake(lead(i))
    await stack.deliver()
    stack.standin.faults.clear()
    stack.clock.advance(PROBE_EVERY)  # the first probe finds Slack back
    backed_off = await waiting_until(stack)
    assert len(backed_off) == 3 and all(at > stack.clock.now() for at in backed_off.values())
    await stack.deliver()
    assert [len(stack.dms(person)) for person in ("alice", "bob", "carol")] == [1, 1, 1]
    assert len(stack.standin.calls_to("auth.test")) == 1


async def test_a_429s_retry_after_still_holds_its_message_when_the_outage_ends(stack: Stack) -> None:
    stack.standin.faults.rate_limit("chat.postMessage", times=1, retry_after=60)
    stack.standin.faults.server_error(ANY_METHOD, times=OUTAGE, status=500)
    for i in range(3):  # alice's DM gets the 429, bob's and carol's a 500
        await stack.intake(lead(i))
    await stack.deliver()
    assert (await health(stack))[0] == 503
    stack.standin.faults.clear()
    stack.clock.advance(PROBE_EVERY)
    await stack.deliver()
    assert stack.dms("alice") == []  # the rate-limited DM waits for its Retry-After
    assert (len(stack.dms("bob")), len(stack.dms("carol"))) == (1, 1)
    assert (await health(stack))[0] == 200
    stack.clock.advance(timedelta(seconds=59) - PROBE_EVERY)
    await stack.deliver()
    assert stack.dms("alice") == []
    stack.clock.advance(timedelta(seconds=1))
    await stack.deliver()
    assert len(stack.dms("alice")) == 1
    assert len(set(delivered_dms(stack))) == len(delivered_dms(stack)) == 3


async def test_one_message_failing_again_and_again_is_not_an_outage(stack: Stack) -> None:
    stack.standin.faults.server_error("chat.postMessage", times=4, status=502)
    await stack.intake(lead(0))
    for _ in range(5):
        await stack.deliver()
        assert (await health(stack))[0] == 200
        stack.clock.advance(timedelta(seconds=20))
    assert stack.standin.calls_to("auth.test") == []  # nothing probed: Slack was never held
    assert len(stack.dms("alice")) == 1


async def test_a_probe_that_is_rate_limited_waits_for_its_retry_after(stack: Stack) -> None:
    stack.standin.faults.server_error(ANY_METHOD, times=3, status=503)
    stack.standin.faults.rate_limit("auth.test", times=1, retry_after=30)
    for i in range(3):
        await stack.intake(lead(i))
    await stack.deliver()
    stack.clock.advance(PROBE_EVERY)
    await stack.deliver()  # the probe: 429, come back in 30 s
    stack.clock.advance(timedelta(seconds=29))
    await stack.deliver()
    assert len(stack.standin.calls_to("auth.test")) == 1
    assert delivered_dms(stack) == []
    stack.clock.advance(timedelta(seconds=1))
    await stack.deliver()
    assert len(stack.standin.calls_to("auth.test")) == 2
    assert [len(stack.dms(person)) for person in ("alice", "bob", "carol")] == [1, 1, 1]
