"""SLA expiry, reassignment and escalation in one process: the clock moves, the timers tick, Slack is the stand-in."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from tests.bot.harness import PEOPLE, Stack

ALICE, BOB, CAROL, MARIA = (PEOPLE[p][0] for p in ("alice", "bob", "carol", "maria"))
DEMO = {"email": "cto@shop.com", "company": "Shop", "intent": "demo", "external_id": "1"}


def text_of(message: object) -> str:
    return message.text + json.dumps(message.blocks)  # type: ignore[attr-defined]


async def test_an_expired_offer_moves_to_the_next_rep_and_tells_everyone(stack: Stack) -> None:
    await stack.intake(DEMO)
    await stack.deliver()
    [first] = stack.dms("alice")
    await stack.advance(timedelta(minutes=4, seconds=59))
    assert stack.dms("bob") == []  # not yet due
    await stack.advance(timedelta(seconds=1))
    [offer_to_bob] = stack.dms("bob")
    assert "lead_accept" in json.dumps(offer_to_bob.blocks)
    old = stack.standin.message(first.channel, first.ts)
    assert old is not None and "⏰ Expired <!date" in text_of(old) and "<@UBOB001>" in text_of(old)
    assert "lead_accept" not in json.dumps(old.blocks)
    [note] = stack.standin.messages_in(stack.channel)
    assert "expired" in note.text.lower() and "<@UBOB001>" in note.text and "attempt 2" in note.text
    # A late or repeated tick does nothing more.
    await stack.advance(timedelta(seconds=0))
    assert len(stack.dms("bob")) == 1 and len(stack.standin.messages_in(stack.channel)) == 1


async def test_after_two_expiries_the_manager_is_pinged_with_take_and_take_ends_it(stack: Stack) -> None:
    await stack.intake(DEMO)
    await stack.deliver()
    await stack.advance(timedelta(minutes=5))  # alice's offer expires → bob
    await stack.advance(timedelta(minutes=5))  # bob's expires: the team's after_expiries is 2 → escalate
    view = await stack.service.views.lead_view(1)
    assert view.lead.state.value == "escalated"
    channel = stack.standin.messages_in(stack.channel)
    escalation = next(m for m in channel if "lead_take" in json.dumps(m.blocks))
    assert "<@UMARIA1>" in text_of(escalation)
    # Re-pinged every SLA window, up the chain after the team's pings per level (2 by default).
    await stack.advance(timedelta(minutes=5))
    await stack.advance(timedelta(minutes=5))
    pings = [m for m in stack.standin.messages_in(stack.channel) if "lead_take" in json.dumps(m.blocks)]
    assert len(pings) >= 2 and "<@UHANA01>" in text_of(pings[-1])
    await stack.slack.click(MARIA, "lead_take", channel=escalation.channel, ts=escalation.ts)
    await stack.deliver()
    view = await stack.service.views.lead_view(1)
    assert (view.lead.state.value, view.lead.claimed_by) == ("claimed", "maria")
    # Every escalation post now says who took it, and offers no more buttons.
    for ping in pings:
        resolved = stack.standin.message(ping.channel, ping.ts)
        assert resolved is not None and "Taken by <@UMARIA1>" in text_of(resolved)
        assert "lead_take" not in json.dumps(resolved.blocks)
    before = len(stack.standin.messages_in(stack.channel))
    await stack.advance(timedelta(minutes=30))  # no more pings once someone took it
    after = [m for m in stack.standin.messages_in(stack.channel)[before:] if "lead_take" in json.dumps(m.blocks)]
    assert after == []


async def test_a_click_at_the_exact_due_time_has_exactly_one_outcome(stack: Stack) -> None:
    await stack.intake(DEMO)
    await stack.deliver()
    [dm] = stack.dms("alice")
    stack.clock.advance(timedelta(minutes=5))  # due now: the click and the timer race
    _click, tick = await asyncio.gather(
        stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts), stack.timers.tick()
    )
    await stack.deliver()
    view = await stack.service.views.lead_view(1)
    first = view.offers[0]
    if view.lead.state.value == "claimed":  # the click won: nobody else was offered the lead
        assert (tick, len(view.offers), stack.dms("bob")) == (0, 1, [])
        assert "Accepted by you" in text_of(stack.standin.message(dm.channel, dm.ts))
    else:  # the timer won: alice is told, and bob has it
        assert first.end_reason is not None and first.end_reason.value == "expired"
        assert "closed" in stack.standin.ephemerals_for(ALICE)[-1].text
        assert len(stack.dms("bob")) == 1
    transitions = [entry.to_state for entry in view.history if entry.offer_id == first.id]
    assert len([t for t in transitions if t in ("claimed", "expired")]) <= 1


async def test_a_reminder_nudges_the_rep_in_the_dm_thread_before_the_deadline(tmp_path: object) -> None:
    from tests.bot.harness import CONFIG_YAML, running_stack

    config = CONFIG_YAML.replace("within: 5m}", "within: 5m, remind_at: 0.8}")
    async with running_stack(tmp_path, config_yaml=config) as stack:  # type: ignore[arg-type]
        await stack.intake(DEMO)
        await stack.deliver()
        [dm] = stack.dms("alice")
        await stack.advance(timedelta(minutes=4))
        [nudge] = stack.standin.thread(dm.channel, dm.ts)[1:]
        assert "1 minute left" in nudge.text and "lead_accept" in json.dumps(nudge.blocks)
        await stack.advance(timedelta(seconds=10))
        assert len(stack.standin.thread(dm.channel, dm.ts)) == 2  # once only


async def test_a_business_hours_sla_runs_into_the_reps_next_shift_and_the_dm_says_so(tmp_path: object) -> None:
    from datetime import UTC, datetime

    from tests.bot.harness import CONFIG_YAML, running_stack

    config = CONFIG_YAML.replace("working_hours: always", 'working_hours: "mon-fri 09:00-17:00"').replace(
        "within: 5m}", "within: 5m, business_hours: true}"
    )
    async with running_stack(tmp_path, config_yaml=config) as stack:  # type: ignore[arg-type]
        stack.clock.set(datetime(2026, 11, 23, 21, 58, tzinfo=UTC))  # Monday 16:58 in New York
        document = (await stack.intake(DEMO)).json()
        assert document["due_at"] == "2026-11-24T14:03:00+00:00"  # Tuesday 09:03 in New York
        await stack.deliver()
        [dm] = stack.dms("alice")
        assert "5 minutes of working time" in text_of(dm)
        await stack.advance(timedelta(hours=16))  # Tuesday 08:58: still two minutes to go
        assert stack.dms("bob") == []
        await stack.advance(timedelta(minutes=5))
        assert len(stack.dms("bob")) == 1


async def test_a_backlog_of_expiries_reaches_the_channel_as_one_digest_with_a_thread(stack: Stack) -> None:
    for i in range(12):
        await stack.intake({**DEMO, "email": f"cto{i}@shop.com", "external_id": f"late-{i}", "company": f"Shop {i}"})
    await stack.deliver()
    await stack.advance(timedelta(minutes=5))  # all twelve expire together, as after an outage
    top_level = stack.standin.messages_in(stack.channel, include_replies=False)
    assert len(top_level) == 1, [m.text for m in top_level]
    [digest] = top_level
    assert "12" in digest.text
    details = stack.standin.thread(digest.channel, digest.ts)[1:]
    assert details and all(f"Shop {i}" in "".join(m.text + json.dumps(m.blocks) for m in details) for i in range(12))
    # Every lead's next offer went out as its own DM, and later notes about a lead land in the digest thread.
    assert sum(len(stack.dms(p)) for p in ("alice", "bob", "carol")) == 24
    view = await stack.service.views.lead_view(1)
    assert (view.lead.thread_channel, view.lead.thread_ts) == (digest.channel, digest.ts)
