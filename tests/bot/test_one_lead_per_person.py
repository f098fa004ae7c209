"""One lead per person, end to end: a person who comes back while their lead is open or claimed is
attached to it, not routed again; the rep holding it hears it in the offer DM thread, and `POST /leads`
says where the lead went. Matching ignores case, and `+tags` only at the configured domains."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from tests.bot.harness import CONFIG_YAML, PEOPLE, Stack, running_stack
from tests.bot.test_outcomes_http import post_outcome

ALICE = PEOPLE["alice"][0]
REPS = ("alice", "bob", "carol")


def offers_made(stack: Stack) -> int:
    return sum(len(stack.dms(rep)) for rep in REPS)


async def _accepted_by_alice(stack: Stack, email: str) -> int:
    first = await stack.intake({"email": email, "company": "Shop <i>&</i> Co", "external_id": "form-1"})
    assert (first.status, first.json()["assignee"]) == (202, "alice")
    await stack.deliver()
    [dm] = stack.dms("alice")
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    await stack.deliver()
    lead_id: int = first.json()["lead_id"]
    return lead_id


async def test_a_person_coming_back_is_attached_and_the_owner_told_in_the_dm_thread(stack_on_each_db: Stack) -> None:
    stack = stack_on_each_db
    lead_id = await _accepted_by_alice(stack, "jo@shop.com")
    again = await stack.intake({"email": "JO@Shop.com", "form": "pricing", "external_id": "form-2"})
    assert again.status == 200
    document = again.json()
    assert (document["attached_to"], document["lead_id"], document["state"]) == (lead_id, lead_id, "claimed")
    assert "came back" in document["note"]
    retried = await stack.intake({"email": "JO@Shop.com", "form": "pricing", "external_id": "form-2"})
    assert (retried.status, retried.json()["attached_to"]) == (200, lead_id)
    await stack.deliver()
    assert offers_made(stack) == 1  # nobody got a second offer
    [dm] = stack.dms("alice")
    replies = [m for m in stack.standin.messages_in(ALICE) if m.thread_ts == dm.ts]
    assert len(replies) == 1  # the retried webhook attached once
    text = json.dumps({"text": replies[0].text, "blocks": replies[0].blocks})
    assert "came back: filled the pricing form" in text
    assert "Shop &lt;i&gt;&amp;&lt;/i&gt; Co" in text and "<i>" not in text
    view = await stack.service.views.lead_view(lead_id)
    assert [entry.reason for entry in view.history if entry.reason.startswith("came back")] == [
        "came back: filled the pricing form"
    ]


async def test_a_closed_lead_or_one_past_the_window_lets_the_person_be_routed_again(tmp_path: Path) -> None:
    async with running_stack(tmp_path, config_yaml=CONFIG_YAML + "dedupe: {window: 10d}\n") as stack:
        lead_id = await _accepted_by_alice(stack, "jo@shop.com")
        await post_outcome(stack, {"lead": lead_id, "state": "lost", "occurred_at": "2026-11-23T16:00:00Z"})
        after_loss = await stack.intake({"email": "jo@shop.com", "external_id": "form-2"})
        assert after_loss.status == 202 and "attached_to" not in after_loss.json()
        first = await stack.intake({"email": "ann@farm.io", "external_id": "form-3"})
        within = await stack.intake({"email": "ann@farm.io", "external_id": "form-4"})
        assert within.json()["attached_to"] == first.json()["lead_id"]  # still open: attached
        await stack.advance(timedelta(days=11))
        past_window = await stack.intake({"email": "ann@farm.io", "external_id": "form-5"})
        assert past_window.status == 202 and past_window.json()["lead_id"] != first.json()["lead_id"]


async def test_plus_tags_are_ignored_only_where_the_config_says_and_dedupe_can_be_off(tmp_path: Path) -> None:
    gmail = CONFIG_YAML + "dedupe: {plus_tag_domains: [gmail.com]}\n"
    async with running_stack(tmp_path, config_yaml=gmail) as stack:
        first = await stack.intake({"email": "jo@gmail.com", "external_id": "a"})
        tagged = await stack.intake({"email": "jo+pricing@gmail.com", "external_id": "b"})
        assert tagged.json().get("attached_to") == first.json()["lead_id"]
        work = await stack.intake({"email": "jo@acme.com", "external_id": "c"})
        work_tagged = await stack.intake({"email": "jo+pricing@acme.com", "external_id": "d"})
        assert work.status == work_tagged.status == 202
    (tmp_path / "off").mkdir()
    async with running_stack(tmp_path / "off", config_yaml=CONFIG_YAML + "dedupe: {window: off}\n") as stack:
        first = await stack.intake({"email": "jo@shop.com", "external_id": "a"})
        second = await stack.intake({"email": "jo@shop.com", "external_id": "b"})
        assert (first.status, second.status) == (202, 202)
        assert first.json()["lead_id"] != second.json()["lead_id"]
