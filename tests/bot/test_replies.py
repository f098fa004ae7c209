"""Answers go where Slack expects them, and Slack's redeliveries of an event are processed once."""

from __future__ import annotations

from tests.bot.harness import PEOPLE, Stack

ALICE, MARIA = PEOPLE["alice"][0], PEOPLE["maria"][0]


async def test_a_command_in_a_private_channel_the_bot_is_not_in_is_answered_there(stack: Stack) -> None:
    private = stack.standin.add_channel("deal-room", members=[ALICE], bot_is_member=False, is_private=True)
    await stack.slack.command(ALICE, "/capacity", channel=private)
    [answer] = stack.standin.ephemerals_for(ALICE)
    assert answer.channel == private
    assert "capacity is 5 open leads" in answer.text
    assert stack.standin.calls_to("chat.postEphemeral") == []  # Slack would refuse it there


async def test_a_command_in_a_dm_is_answered_in_that_dm(stack: Stack) -> None:
    other_dm = stack.standin.add_channel("alice-and-maria", members=[ALICE, MARIA], bot_is_member=False)
    await stack.slack.command(ALICE, "/leads", channel=other_dm)
    [answer] = stack.standin.ephemerals_for(ALICE)
    assert answer.channel == other_dm and "Nothing" in answer.text + str(answer.blocks)
    assert stack.standin.calls_to("chat.postEphemeral") == []


async def test_a_lost_click_is_answered_through_the_response_url(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "external_id": "1"})
    await stack.deliver()
    [dm] = stack.dms("alice")
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    answer = stack.standin.ephemerals_for(ALICE)[-1]
    assert answer.channel == dm.channel and "Already accepted by <@UALICE1>" in answer.text
    assert stack.standin.calls_to("chat.postEphemeral") == []


async def test_a_retried_event_is_processed_once(stack: Stack) -> None:
    event = stack.standin.app_home_opened_event(ALICE)["event"]
    first = await stack.slack.event(event, event_id="Ev0RETRIED1")
    again = await stack.slack.event(event, event_id="Ev0RETRIED1", retry=1)
    assert (first.status, again.status) == (200, 200)
    assert len(stack.standin.calls_to("views.publish")) == 1
    await stack.slack.event(event, event_id="Ev0ANOTHER1")  # a new event is processed
    assert len(stack.standin.calls_to("views.publish")) == 2
