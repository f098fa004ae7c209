"""Slack's fault taxonomy end to end: inject the fault in the stand-in, send leads, read /healthz and what
is held, fix it, and check every message is delivered exactly once."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.dead_letters import print_outbox, retry
from bot.delivery.holds import PROBE_EVERY, RECHECK_EVERY
from storage.tables import outbox
from tests.bot.harness import PEOPLE, Stack

DEMO_SLA = timedelta(minutes=5)  # the harness's `demo` SLA policy


def lead(i: int, **extra: Any) -> dict[str, Any]:
    return {"email": f"buyer{i}@shop{i}.com", "company": f"Shop {i}", "external_id": f"fault-{i}", **extra}


async def health(stack: Stack) -> tuple[int, dict[str, Any]]:
    async with stack.http.get(f"{stack.base}/healthz") as response:
        return response.status, await response.json()


async def pending_attempts(stack: Stack) -> list[int]:
    """The attempt count of every undelivered, not dead-lettered row."""
    async with stack.service.db.read() as conn:
        rows = await conn.execute(
            select(outbox.c.attempts).where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
        )
        return [row.attempts for row in rows]


def dedup_keys(stack: Stack, *conversations: str) -> list[str]:
    """The dedup key of every message Slack holds in `conversations` (people or channel ids), once each."""
    ids = [PEOPLE[c][0] if c in PEOPLE else c for c in conversations]
    return [
        str(message.metadata["event_payload"]["dedup_key"])
        for conversation in ids
        for message in stack.standin.messages_in(conversation)
        if message.metadata is not None
    ]


async def test_a_revoked_token_holds_delivery_names_the_fix_and_resumes_after_reinstall(stack: Stack) -> None:
    stack.standin.faults.auth_error("token_revoked")
    for i in range(3):
        assert (await stack.intake(lead(i))).status == 202
    await stack.deliver()
    assert dedup_keys(stack, "alice", "bob", "carol") == []

    status, body = await health(stack)
    assert status == 503
    [held] = body["held"]
    assert (held["transport"], held["address"], held["error"]) == ("slack", None, "token_revoked")
    assert "reinstall the app" in held["fix"] and "SLACK_BOT_TOKEN" in held["fix"]
    assert any("token_revoked" in problem for problem in body["problems"])
    assert await pending_attempts(stack) == [0, 0, 0]  # held, not failing: no attempt is burnt
    listing = io.StringIO()
    await print_outbox(stack.service.outbox, stack.clock.now(), listing)
    assert "3 message(s) waiting to be delivered" in listing.getvalue()
    assert "3 (slack) last met: held: token_revoked: the token was revoked" in listing.getvalue()
    posts = len(stack.standin.calls_to("chat.postMessage"))  # the DMs already in flight when Slack said so

    stack.clock.advance(PROBE_EVERY)  # still revoked: the probe says so, nothing is sent
    await stack.deliver()
    assert len(stack.standin.calls_to("auth.test")) == 1
    assert len(stack.standin.calls_to("chat.postMessage")) == posts
    assert (await health(stack))[0] == 503

    stack.standin.faults.clear_auth_error()  # reinstalled
    stack.clock.advance(PROBE_EVERY)
    await stack.deliver()
    keys = dedup_keys(stack, "alice", "bob", "carol")
    assert sorted(keys) == ["offer:1:dm", "offer:2:dm", "offer:3:dm"]  # each DM, once
    assert await health(stack) == (200, {"ok": True, "problems": [], "held": []})


async def test_our_inactive_account_is_a_workspace_fault_not_a_gone_recipient(stack: Stack) -> None:
    stack.standin.faults.auth_error("account_inactive")
    await stack.intake(lead(0))
    await stack.deliver()
    [held] = (await health(stack))[1]["held"]
    assert held["error"] == "account_inactive" and "deactivated" in held["fix"]
    view = await stack.service.views.lead_view(1)
    assert [offer.end_reason for offer in view.offers] == [None]  # alice keeps the lead: nobody re-routed it
    stack.standin.faults.clear_auth_error()
    stack.clock.advance(PROBE_EVERY)
    await stack.deliver()
    assert dedup_keys(stack, "alice") == ["offer:1:dm"]


async def test_a_missing_scope_names_it_and_delivery_resumes_once_auth_test_shows_it_granted(stack: Stack) -> None:
    stack.standin.faults.revoke_scope("chat:write")
    await stack.intake(lead(0))
    await stack.intake(lead(1))
    await stack.deliver()
    status, body = await health(stack)
    [held] = body["held"]
    assert status == 503 and held["error"] == "missing_scope: chat:write"
    assert "add the chat:write scope" in held["fix"]

    stack.clock.advance(PROBE_EVERY)  # auth.test answers, but the token still lacks the scope
    await stack.deliver()
    assert len(stack.standin.calls_to("auth.test")) == 1
    assert (await health(stack))[1]["held"][0]["error"] == "missing_scope: chat:write"
    assert {call.error for call in stack.standin.calls_to("chat.postMessage")} == {"missing_scope"}
    posts = len(stack.standin.calls_to("chat.postMessage"))  # only those in flight when Slack said so
    stack.clock.advance(PROBE_EVERY / 2)
    await stack.deliver()
    assert len(stack.standin.calls_to("chat.postMessage")) == posts

    stack.standin.faults.grant_scope("chat:write")
    stack.clock.advance(PROBE_EVERY)
    await stack.deliver()
    assert sorted(dedup_keys(stack, "alice", "bob")) == ["offer:1:dm", "offer:2:dm"]
    assert (await health(stack))[0] == 200


async def test_a_channel_the_bot_left_is_joined_and_the_post_goes_out(stack: Stack) -> None:
    stack.standin.remove_bot_from_channel(stack.channel)
    await stack.intake(lead(0, intent="demo"))
    await stack.advance(DEMO_SLA)  # alice's offer expires: a note in the team channel
    [note] = stack.standin.messages_in(stack.channel)
    assert "expired" in note.text.lower()
    joined = stack.standin.calls_to("conversations.join")
    assert len(joined) == 1 and joined[0].args["channel"] == stack.channel
    channel = stack.standin.channel(stack.channel)
    assert channel is not None and stack.standin.bot_user_id in channel.members
    assert (await health(stack))[0] == 200


async def test_an_archived_channel_is_held_and_named_while_dms_go_on_and_its_posts_follow_once_unarchived(
    stack: Stack,
) -> None:
    stack.standin.archive_channel(stack.channel)
    await stack.intake(lead(0, intent="demo"))
    await stack.advance(DEMO_SLA)  # expired: bob gets the DM; the channel note is held
    await stack.advance(DEMO_SLA)  # expired again: escalated to the manager, in the held channel
    assert dedup_keys(stack, "alice", "bob") == ["offer:1:dm", "offer:2:dm"]  # DMs are not held
    assert stack.standin.messages_in(stack.channel) == []

    status, body = await health(stack)
    [held] = body["held"]
    assert status == 503 and (held["address"], held["error"]) == (stack.channel, "is_archived")
    assert "unarchive" in held["fix"]
    posts_while_held = len(stack.standin.calls_to("chat.postMessage"))
    checks = len(stack.standin.calls_to("conversations.info"))

    stack.clock.advance(RECHECK_EVERY)  # re-checked: still archived
    await stack.deliver()
    [check] = stack.standin.calls_to("conversations.info")[checks:]
    assert check.args["channel"] == stack.channel and check.response is not None
    assert check.response["channel"]["is_archived"] is True
    assert len(stack.standin.calls_to("chat.postMessage")) == posts_while_held  # nothing tried meanwhile

    stack.standin.unarchive_channel(stack.channel)
    stack.clock.advance(RECHECK_EVERY)
    await stack.deliver()
    posted = stack.standin.messages_in(stack.channel, include_replies=True)
    keys = [str(m.metadata["event_payload"]["dedup_key"]) for m in posted if m.metadata is not None]
    assert len(keys) >= 2 and len(set(keys)) == len(keys)  # the note and the escalation, once each
    assert "expired" in posted[0].text.lower()  # in the order they happened
    assert any("lead_take" in json.dumps(m.blocks) for m in posted)
    assert await stack.service.outbox.backlog() == 0
    assert (await health(stack))[0] == 200


async def test_a_permanent_error_is_dead_lettered_listed_and_resent_exactly_once(stack: Stack) -> None:
    stack.standin.faults.error("chat.postMessage", "restricted_action")
    await stack.intake(lead(0))
    await stack.deliver()
    assert dedup_keys(stack, "alice") == []
    assert await stack.service.outbox.backlog() == 0  # given up: not pending, so /healthz stays green
    assert (await health(stack))[0] == 200

    listing = io.StringIO()
    assert await print_outbox(stack.service.outbox, stack.clock.now(), listing) == 1
    [line] = [line for line in listing.getvalue().splitlines() if "restricted_action" in line]
    assert line.split()[:2] == ["1", "offer_dm"] and "slack:alice" in line

    out, err = io.StringIO(), io.StringIO()
    assert await retry(stack.service.outbox, [1, 99], stack.clock.now(), out, err) == 1
    assert "will be resent" in out.getvalue() and "99" in err.getvalue()
    await stack.deliver()
    assert dedup_keys(stack, "alice") == ["offer:1:dm"]
    assert await retry(stack.service.outbox, None, stack.clock.now(), io.StringIO(), io.StringIO()) == 0
    await stack.deliver()
    assert dedup_keys(stack, "alice") == ["offer:1:dm"]  # sent: a second retry resends nothing
    assert await print_outbox(stack.service.outbox, stack.clock.now(), io.StringIO()) == 0
