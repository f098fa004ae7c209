"""`kill -9` in the middle of delivering a DM, then a restart: every message reaches Slack exactly once.

Two crash points, both with the outbox row committed and leased by the process that dies:

* between our commit and Slack carrying out chat.postMessage (the call hangs and is never carried out);
* between Slack's 200 and our recording it (Slack posted; the answer is held until the process dies).

Three leads are sent. Each lead's DM is leased in the transaction that routes the lead and posted right
after it, so at the moment of the crash all three rows are in flight, leased by the dying process.
All three must arrive exactly once.

The dead process's lease on the row (`connectors.delivery.LEASE`: one Slack call's timeout plus 5 s) keeps it
from being delivered again until it runs out. The exactly-once tests let it run out at once
(`World.expire_leases` moves the rows' `next_attempt_at` to now) instead of waiting; the last test
waits it out, with nobody touching the database.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

import pytest

from connectors.delivery import LEASE
from standin import ApiCall
from standin.driver import SlackDriver
from tests.process.harness import (
    BACKENDS,
    SIGNING_SECRET,
    Person,
    Serve,
    World,
    dedup_key_of,
    eventually,
    messages_by_key,
    post_lead,
    posts_by_key,
    reps,
    rows,
    serving,
    skip_reason,
    world,
)

_T = TypeVar("_T")
REPS = reps(3)
MANAGER = Person("maria", "UMARIA001")
HOLD = 60.0  # seconds a faulty chat.postMessage is held: far longer than the test takes to kill the server
LEADS = [{"email": f"cto@shop{i}.com", "company": f"Shop {i}", "external_id": f"crash-{i}"} for i in range(3)]


@pytest.fixture(params=BACKENDS)
async def crash_world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    async with _world(request.param, tmp_path) as running:
        yield running


def _world(backend: str, tmp_path: Path, **env: str) -> AbstractAsyncContextManager[World]:
    return world(
        backend,
        tmp_path,
        teams=lambda channel: {"sales": (REPS, MANAGER, channel)},
        people=[*REPS, MANAGER],
        rules=["{name: everyone, route: {team: sales}}"],
        sla="1h",
        fallback_team="sales",
        **env,
    )


async def _offer_dm_keys(w: World) -> dict[str, str]:
    """The dedup key of each lead's offer DM, with the Slack id of the rep it is for."""
    found = await rows(w.db, "SELECT dedup_key, address FROM outbox WHERE kind = 'offer_dm' ORDER BY id")
    slack_ids = {rep.id: rep.slack_id for rep in REPS}
    return {key: slack_ids[target] for key, target in found}


async def _start_and_send(w: World, serve: Serve) -> None:
    serve.start()
    await serve.wait_healthy(w.http)
    for lead in LEADS:
        status, document = await post_lead(w.http, serve.base, lead)
        assert status == 202, document
    assert len({document for document in await rows(w.db, "SELECT DISTINCT rep_id FROM offers")}) == 3


def _held(w: World) -> list[ApiCall]:
    return [c for c in w.standin.calls_to("chat.postMessage") if c.fault == "timeout" and c.status is None]


async def test_a_crash_before_slack_carried_out_the_post_posts_each_message_once_after_restart(
    crash_world: World,
) -> None:
    """The rows are committed and leased, chat.postMessage hangs (Slack has not carried it out), and
    the server is killed with SIGKILL. After a restart each offer DM is posted exactly once (counted by
    the dedup key in the message metadata), and the outbox records the very message Slack holds."""
    w = crash_world
    w.standin.faults.timeout("chat.postMessage", times=len(LEADS), delay=HOLD, processed=False)
    async with serving(["first", "second"], w.env, w.tmp_path) as [first, second]:
        await _start_and_send(w, first)
        held = await eventually(
            lambda: _async(len(_held(w))), lambda n: n == len(LEADS), within=10, what="every post hanging"
        )
        first.kill()
        assert await first.wait_exit(5)
        w.standin.faults.clear()
        keys = await _offer_dm_keys(w)
        assert messages_by_key(w.standin, keys.values()) == {}  # Slack never carried the post out
        assert await w.pending() == len(LEADS)  # …and nothing is lost: the rows wait, leased by the dead process

        assert await w.expire_leases() == held  # the leases on the rows in flight, run out at once
        second.start()
        await second.wait_healthy(w.http)
        await eventually(w.pending, lambda n: n == 0, within=15, what="outbox drained after the restart")

        assert messages_by_key(w.standin, keys.values()) == dict.fromkeys(keys, 1)
        assert posts_by_key(w.standin) == dict.fromkeys(keys, 1)
        await _recorded_as_slack_has_them(w, keys)


async def test_a_crash_after_slack_posted_but_before_we_recorded_it_does_not_post_again(crash_world: World) -> None:
    """Slack carries the post out but its answer is held; the server is killed with SIGKILL while it
    waits. After a restart the sender finds each message by its dedup key (conversations.history with
    metadata) and records it instead of posting again: one post per key, ever. An Accept on that DM
    then edits the very message, proving the recorded ts is the real one."""
    w = crash_world
    w.standin.faults.timeout("chat.postMessage", times=len(LEADS), delay=HOLD, processed=True)
    async with serving(["first", "second"], w.env, w.tmp_path) as [first, second]:
        await _start_and_send(w, first)
        keys = await _offer_dm_keys(w)
        posted = await eventually(
            lambda: _async(messages_by_key(w.standin, keys.values())),
            lambda found: len(found) == len(LEADS),
            within=10,
            what="Slack holds every post",
        )
        assert len(_held(w)) == len(posted)  # and we have not heard back about it
        first.kill()
        assert await first.wait_exit(5)
        w.standin.faults.clear()
        assert await w.pending() == len(LEADS)  # the posted row too: as far as the database knows, it is not sent

        assert await w.expire_leases() == len(posted)
        second.start()
        await second.wait_healthy(w.http)
        await eventually(w.pending, lambda n: n == 0, within=15, what="outbox drained after the restart")

        assert messages_by_key(w.standin, keys.values()) == dict.fromkeys(keys, 1)
        assert posts_by_key(w.standin) == dict.fromkeys(keys, 1)  # the held posts were the only ones
        # found by looking (each row in flight is retried, and looks first), not by luck
        assert len(w.standin.calls_to("conversations.history")) == len(posted)
        await _recorded_as_slack_has_them(w, keys)

        key, user = next(iter(keys.items()))
        [dm] = [m for m in w.standin.messages_in(user) if dedup_key_of(m) == key]
        driver = SlackDriver(second.base, w.standin, w.http, SIGNING_SECRET)
        clicked = await driver.click(user, "lead_accept", channel=dm.channel, ts=dm.ts)
        assert clicked.status == 200

        async def accepted() -> str:
            message = w.standin.message(dm.channel, dm.ts)
            return "" if message is None else message.text + json.dumps(message.blocks)

        await eventually(accepted, lambda text: "Accepted by you" in text, within=10, what="the DM shows the claim")


@pytest.mark.duration(16)
async def test_after_a_crash_in_flight_messages_go_out_within_one_lease_of_the_restart(tmp_path: Path) -> None:
    """Messages that were in flight when the server was killed go out, exactly once, within one outbox
    lease (`connectors.delivery.LEASE`, which outlasts one Slack call) of the restart, with nobody touching the
    database. Runs on SQLite only: the mechanism is not backend-specific."""
    async with _world("sqlite", tmp_path) as w:
        w.standin.faults.timeout("chat.postMessage", times=len(LEADS), delay=HOLD, processed=False)
        async with serving(["first", "second"], w.env, w.tmp_path) as [first, second]:
            await _start_and_send(w, first)
            await eventually(
                lambda: _async(len(_held(w))), lambda n: n == len(LEADS), within=10, what="every post hanging"
            )
            first.kill()
            assert await first.wait_exit(5)
            w.standin.faults.clear()
            keys = await _offer_dm_keys(w)
            second.start()
            await second.wait_healthy(w.http)
            await eventually(
                w.pending,
                lambda n: n == 0,
                within=LEASE.total_seconds() + 5,
                what="in-flight rows delivered after restart",
            )
            assert messages_by_key(w.standin, keys.values()) == dict.fromkeys(keys, 1)


async def _recorded_as_slack_has_them(w: World, keys: dict[str, str]) -> None:
    """Each outbox row and its offer point at the message Slack holds for its key (later edits land there)."""
    recorded = await rows(
        w.db,
        "SELECT x.dedup_key, x.result_channel, x.result_ts, o.dm_channel, o.dm_ts "
        "FROM outbox x JOIN offers o ON o.id = x.offer_id WHERE x.kind = 'offer_dm'",
    )
    for key, channel, ts, dm_channel, dm_ts in recorded:
        [message] = [m for m in w.standin.messages_in(keys[key]) if dedup_key_of(m) == key]
        assert (channel, ts) == (message.channel, message.ts) == (dm_channel, dm_ts)


async def _async(value: _T) -> _T:
    return value
