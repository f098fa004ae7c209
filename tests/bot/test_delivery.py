"""The outbox sender under Slack trouble: rate limits, outages and lost answers delay DMs, never drop or double them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.delivery.dispatcher import BATCH
from connectors.delivery import LEASE
from tests.bot.harness import CONFIG_YAML, PEOPLE, Stack, running_stack

ALICE = PEOPLE["alice"][0]
LEAD = {"email": "a@shop.com", "company": "Shop", "external_id": "1"}


async def test_a_429_is_retried_after_slacks_retry_after_and_delivered_once(stack: Stack) -> None:
    stack.standin.faults.rate_limit("chat.postMessage", times=1, retry_after=7)
    await stack.intake(LEAD)
    await stack.deliver()
    assert stack.dms("alice") == []
    stack.clock.advance(timedelta(seconds=6))
    await stack.deliver()
    assert stack.dms("alice") == []  # Retry-After is honoured, not hammered
    stack.clock.advance(timedelta(seconds=1))
    await stack.deliver()
    assert len(stack.dms("alice")) == 1
    assert stack.service.metrics.slack_rate_limited._value.get() == 1  # type: ignore[attr-defined]


async def test_server_errors_back_off_and_then_deliver(stack: Stack) -> None:
    stack.standin.faults.server_error("chat.postMessage", times=2, status=503)
    await stack.intake(LEAD)
    for _ in range(3):
        await stack.deliver()
        stack.clock.advance(timedelta(seconds=10))
    assert len(stack.dms("alice")) == 1
    statuses = [call.status for call in stack.standin.calls_to("chat.postMessage")]
    assert statuses == [503, 503, 200]


async def test_a_post_whose_answer_was_lost_is_found_by_its_dedup_key_not_posted_twice(stack: Stack) -> None:
    # Slack posts the DM but the answer never reaches us (the client times out): as after a crash
    # between Slack's 200 and our commit, the row comes back for another attempt.
    stack.standin.faults.timeout("chat.postMessage", times=1, delay=2.0, processed=True)
    await stack.intake(LEAD)
    await stack.deliver()
    assert len(stack.dms("alice")) == 1  # Slack has it; we do not know
    stack.clock.advance(timedelta(seconds=10))
    await stack.deliver()
    [dm] = stack.dms("alice")
    assert len(stack.standin.calls_to("chat.postMessage")) == 1
    assert len(stack.standin.calls_to("conversations.history")) == 1  # found by looking, not by luck
    offer = await stack.service.views.offer(1)
    assert (offer.dm_channel, offer.dm_ts) == (dm.channel, dm.ts)  # later updates edit this very message
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    await stack.deliver()
    updated = stack.standin.message(dm.channel, dm.ts)
    assert updated is not None and "Accepted by you" in updated.text


async def test_a_rep_slack_cannot_reach_loses_the_offer_and_managers_hear_once(tmp_path: Path) -> None:
    config = CONFIG_YAML.replace(
        "rules:\n", "rules:\n  - {name: alices-accounts, when: {source: referral}, route: {rep: alice}}\n"
    )
    async with running_stack(tmp_path, config_yaml=config) as stack:
        stack.standin.deactivate_user(ALICE)  # Slack answers user_disabled for every DM to her
        for i in range(3):
            await stack.intake(
                {
                    **LEAD,
                    "email": f"a{i}@shop.com",
                    "external_id": f"gone-{i}",
                    "company": f"Shop {i}",
                    "source": "referral",
                }
            )
            await stack.deliver()
        assert stack.dms("alice") == []
        for lead_id in (1, 2, 3):
            view = await stack.service.views.lead_view(lead_id)
            first, current = view.offers[0], view.offers[-1]
            assert (first.rep_id, first.end_reason.value if first.end_reason else None) == ("alice", "withdrawn")
            assert current.rep_id == "bob" and current.dm_ts is not None  # her backup, whom Slack can reach
        notes = [m for m in stack.standin.messages_in(stack.channel) if "can't deliver messages" in m.text]
        assert len(notes) == 1 and "<@UALICE1>" in notes[0].text and "user_disabled" in notes[0].text


async def test_a_new_leads_dm_goes_out_on_commit_without_waiting_for_the_delivery_loop(stack: Stack) -> None:
    await stack.intake(LEAD)
    await stack.service.sender.settle()  # only the DM handed over at commit: the loop never ran
    [dm] = stack.dms("alice")
    assert "Shop" in dm.text
    assert await stack.service.outbox.backlog() == 0  # recorded as sent
    offer = await stack.service.views.offer(1)
    assert (offer.dm_channel, offer.dm_ts) == (dm.channel, dm.ts)


async def test_a_dm_whose_process_died_after_the_commit_is_sent_once_the_lease_runs_out(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process dies between committing the lead (with its DM leased to itself) and posting the DM.
    monkeypatch.setattr(stack.service.sender, "hand_over", lambda handover: None)
    await stack.intake(LEAD)
    await stack.deliver()
    assert stack.dms("alice") == []  # leased: no other sender doubles it while it might be in flight
    stack.clock.advance(LEASE)
    await stack.deliver()
    assert len(stack.dms("alice")) == 1
    assert len(stack.standin.calls_to("chat.postMessage")) == 1


async def test_a_hanging_slack_call_holds_up_only_its_own_targets_messages(tmp_path: Path) -> None:
    async with running_stack(tmp_path, client_timeout=60) as stack:
        sender = stack.service.sender
        sender.posts_on_commit = False  # every row goes through the delivery loop
        stack.standin.faults.timeout("chat.postMessage", times=1, delay=30)  # the first post hangs
        loop = asyncio.create_task(sender.run(idle=0.05))
        try:
            await stack.intake(LEAD)  # alice's DM: its call hangs
            await until(lambda: len(stack.standin.calls_to("chat.postMessage")) == 1)
            await stack.intake({**LEAD, "email": "b@other.com", "external_id": "2", "company": "Other"})  # bob's turn
            await until(lambda: len(stack.dms("bob")) == 1)
            assert stack.dms("alice") == []  # still hanging, and it held nobody else up
        finally:
            loop.cancel()
            await sender.settle(grace=0)


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait, in real time, for something another task does (a Slack call in flight cannot be clocked)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but the stand-in's record
            await asyncio.sleep(0.01)


async def test_a_backlog_larger_than_a_batch_is_claimed_again_as_soon_as_half_the_batch_is_done(
    tmp_path: Path,
) -> None:
    reps = BATCH + 10
    people = "".join(f"  - {{id: r{i}, name: R {i}, slack_id: UR{i:04d}}}\n" for i in range(reps))
    config = (
        "working_hours: always\nreps:\n" + people + "teams:\n"
        f"  - {{id: all, members: [{', '.join(f'r{i}' for i in range(reps))}]}}\n"
        "rules: [{name: all, route: {team: all}}]\nsla: [{name: s, within: 1h}]\nfallback: {team: all}\n"
    )
    # A generous client timeout: this is about batching, and a call slowed by a busy machine must not
    # time out and take the outage path instead.
    async with running_stack(tmp_path, config_yaml=config, client_timeout=60) as stack:
        for i in range(reps):
            stack.standin.add_user(f"r{i}", id=f"UR{i:04d}")
        sender = stack.service.sender
        sender.posts_on_commit = False  # every row waits for the delivery loop
        for i in range(reps):
            await stack.intake({**LEAD, "email": f"a{i}@shop.com", "external_id": f"many-{i}"})
        sender.wake()
        loop = asyncio.create_task(sender.run(idle=3600))  # no idle pass: only wake-ups can claim the rest
        try:
            await until(lambda: len([c for c in stack.standin.calls_to("chat.postMessage") if c.ok]) == reps)
            await sender.settle()  # the last ones are recorded as sent
        finally:
            loop.cancel()
            await sender.settle(grace=0)
        assert await stack.service.outbox.backlog() == 0
