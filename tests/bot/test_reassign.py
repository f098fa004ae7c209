"""Reassign through the modal: a reason is required, the lead moves on, and both DMs tell the story."""

from __future__ import annotations

import json

from tests.bot.harness import PEOPLE, Stack

ALICE, BOB, CAROL = PEOPLE["alice"][0], PEOPLE["bob"][0], PEOPLE["carol"][0]


async def offered_to_alice(stack: Stack) -> object:
    await stack.intake({"email": "a@shop.com", "company": "Shop", "external_id": "1"})
    await stack.deliver()
    [dm] = stack.dms("alice")
    return dm


async def test_reassign_asks_why_then_routes_to_the_next_rep_and_updates_both_dms(stack: Stack) -> None:
    dm = await offered_to_alice(stack)
    await stack.slack.click(ALICE, "lead_reassign", channel=dm.channel, ts=dm.ts)  # type: ignore[attr-defined]
    [modal] = stack.standin.open_views(ALICE)
    assert modal.callback_id == "reassign_modal"
    refused = await stack.slack.submit(ALICE, {"reassign_reason": {"selected_option": None}})
    assert refused.json()["response_action"] == "errors"
    await stack.slack.submit(
        ALICE,
        {
            "reassign_reason": {"selected_option": {"value": "out_of_territory"}},
            "reassign_note": {"value": "They are in Canada"},
        },
    )
    await stack.deliver()
    old = stack.standin.message(dm.channel, dm.ts)  # type: ignore[attr-defined]
    assert old is not None and "Reassigned to <@UBOB001>" in old.text + json.dumps(old.blocks)
    assert "lead_accept" not in json.dumps(old.blocks)
    [new] = stack.dms("bob")
    assert "lead_accept" in json.dumps(new.blocks)
    view = await stack.service.views.lead_view(1)
    assert [o.rep_id for o in view.offers] == ["alice", "bob"]
    assert any(
        "Out of territory" in entry.reason and "They are in Canada" in json.dumps(entry.detail or {}) + entry.reason
        for entry in view.history
    )


async def test_a_suggested_rep_gets_the_lead_when_they_can_take_it(stack: Stack) -> None:
    dm = await offered_to_alice(stack)
    await stack.slack.click(ALICE, "lead_reassign", channel=dm.channel, ts=dm.ts)  # type: ignore[attr-defined]
    await stack.slack.submit(
        ALICE,
        {
            "reassign_reason": {"selected_option": {"value": "conflict"}},
            "reassign_suggest": {"selected_option": {"value": "carol"}},
        },
    )
    await stack.deliver()
    assert len(stack.dms("carol")) == 1 and stack.dms("bob") == []


async def test_only_the_rep_or_their_manager_may_reassign(stack: Stack) -> None:
    dm = await offered_to_alice(stack)
    blocks = dm.blocks  # type: ignore[attr-defined]
    block_id, button = stack.slack.button(blocks, "lead_reassign")
    from urllib.parse import urlencode

    payload = {
        "type": "block_actions",
        "user": {"id": BOB},
        "trigger_id": stack.standin.issue_trigger_id(BOB),
        "actions": [{"type": "button", "action_id": "lead_reassign", "block_id": block_id, "value": button["value"]}],
    }
    await stack.slack.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")
    assert stack.standin.open_views(BOB) == []
    assert "Only <@UALICE1> or their manager can reassign" in stack.standin.ephemerals_for(BOB)[-1].text
