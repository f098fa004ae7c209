"""Intake → DM → Accept, end to end: signed requests in, Slack Web API calls observed at the stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.bot.harness import PEOPLE, STRANGER, Stack

ALICE, BOB, MARIA = PEOPLE["alice"][0], PEOPLE["bob"][0], PEOPLE["maria"][0]


def all_text(message: object) -> str:
    return json.dumps({"text": message.text, "blocks": message.blocks})  # type: ignore[attr-defined]


async def test_intake_sends_a_rich_dm_with_everything_escaped(stack: Stack) -> None:
    response = await stack.intake(
        {
            "email": "ceo@acme.io",
            "name": "<!channel> Eve & co",
            "company": "<@UALICE1> Acme",
            "employees": 120,
            "intent": "demo",
            "external_id": "form-1",
            "favourite_colour": "<b>blue</b>",
        }
    )
    assert response.status == 202, response.body
    document = response.json()
    assert (document["assignee"], document["rule"], document["state"]) == (
        "alice",
        "everyone-else",
        "assigned",
    )
    assert document["due_at"] == "2026-11-23T15:05:00+00:00"
    await stack.deliver()
    [dm] = stack.dms("alice")
    text = all_text(dm)
    assert "<!channel>" not in text and "<@UALICE1> Acme" not in text and "<b>" not in text
    assert "&lt;!channel&gt; Eve &amp; co" in text and "&lt;b&gt;blue&lt;/b&gt;" in text
    due = int(datetime(2026, 11, 23, 15, 5, tzinfo=UTC).timestamp())
    assert f"<!date^{due}^" in text  # the deadline, shown in each reader's own time zone
    assert dm.metadata["event_payload"]["dedup_key"].endswith(":dm")
    stack.slack.button(dm.blocks, "lead_accept")
    stack.slack.button(dm.blocks, "lead_reassign")


async def test_accept_claims_and_rewrites_the_dm_in_place(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop", "external_id": "1"})
    await stack.deliver()
    [dm] = stack.dms("alice")
    response = await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    assert response.status == 200
    await stack.deliver()
    updated = stack.standin.message(dm.channel, dm.ts)
    assert updated is not None and updated.edited_ts is not None
    assert "Accepted by you" in all_text(updated)
    assert "lead_accept" not in all_text(updated)
    view = await stack.service.views.lead_view(1)
    assert (view.lead.state.value, view.lead.claimed_by) == ("claimed", "alice")


async def test_second_click_and_strangers_are_told_who_holds_the_lead(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop", "external_id": "1"})
    await stack.deliver()
    [dm] = stack.dms("alice")
    blocks = dm.blocks  # the copy a phone that did not refresh still shows, buttons and all
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    await stack.slack.post(*_click_payload(stack, ALICE, dm.channel, dm.ts, blocks))
    await stack.slack.post(*_click_payload(stack, BOB, dm.channel, dm.ts, blocks))
    await stack.slack.post(*_click_payload(stack, STRANGER, dm.channel, dm.ts, blocks))
    assert "Already accepted by <@UALICE1>" in stack.standin.ephemerals_for(ALICE)[-1].text
    assert "offered to <@UALICE1>, not to you" in stack.standin.ephemerals_for(BOB)[-1].text
    assert "not set up in Leadrelay" in stack.standin.ephemerals_for(STRANGER)[-1].text
    assert stack.service.metrics.claim_conflicts._value.get() == 2  # type: ignore[attr-defined]


def _click_payload(
    stack: Stack, user: str, channel: str, ts: str, blocks: list[dict[str, object]]
) -> tuple[bytes, str]:
    from urllib.parse import urlencode

    block_id, button = stack.slack.button(blocks, "lead_accept")  # type: ignore[arg-type]
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "trigger_id": stack.standin.issue_trigger_id(user),
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "actions": [{"type": "button", "action_id": "lead_accept", "block_id": block_id, "value": button["value"]}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


async def test_a_manager_may_accept_for_their_rep_and_the_audit_says_so(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop", "external_id": "1"})
    await stack.deliver()
    [dm] = stack.dms("alice")
    await stack.slack.post(*_click_payload(stack, MARIA, dm.channel, dm.ts, dm.blocks))
    view = await stack.service.views.lead_view(1)
    assert view.lead.claimed_by == "alice"
    assert view.history[-1].actor.id == "maria" and "accepted for @alice by @maria" in view.history[-1].reason
    assert "You accepted this lead for <@UALICE1>" in stack.standin.ephemerals_for(MARIA)[-1].text


async def test_the_dm_says_why_you_in_one_sentence_and_the_offer_keeps_the_trace(stack: Stack) -> None:
    await stack.intake({"email": "cto@firma.de", "country": "DE", "employees": 120, "external_id": "de-1"})
    await stack.deliver()
    [dm] = stack.dms("dieter")
    assert "*Why you:* dach rule (country DE) → round robin in DACH" in str(dm.blocks)
    [offer] = (await stack.service.views.lead_view(1)).offers
    assert "rule dach: country in [DE, AT, CH]" in [reason.text for reason in offer.reasons]  # the full trace


async def test_human_time_runs_from_the_first_dm_delivered_to_the_claim(stack: Stack) -> None:
    """`leadrelay_speed_to_lead_human_seconds` is the report's human time: first DM out → claim; a claim
    whose lead's DM never went out has no human time to count."""
    human = stack.service.metrics.registry.get_sample_value
    stack.standin.faults.server_error("chat.postMessage", times=1, status=503)  # the DM waits for a retry
    await stack.intake({"email": "a@shop.com", "company": "Shop", "external_id": "1"})
    stack.clock.advance(timedelta(minutes=1))
    await stack.deliver()  # out a minute after intake: human time starts here, not at intake
    [dm] = stack.dms("alice")
    stack.clock.advance(timedelta(minutes=3))
    assert (await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)).status == 200
    assert human("leadrelay_speed_to_lead_human_seconds_count") == 1
    assert human("leadrelay_speed_to_lead_human_seconds_sum") == 180
    assert human("leadrelay_speed_to_lead_human_seconds_bucket", {"le": "120.0"}) == 0
    assert human("leadrelay_speed_to_lead_human_seconds_bucket", {"le": "300.0"}) == 1

    stack.standin.faults.server_error("chat.postMessage", times=1, status=503)
    await stack.intake({"email": "b@shop.com", "company": "Shop", "external_id": "2"})  # its DM not out
    [offer] = (await stack.service.views.lead_view(2)).offers
    await stack.service.store.claim(offer.id, by=offer.rep_id, now=stack.clock.now())
    assert human("leadrelay_speed_to_lead_human_seconds_count") == 1
