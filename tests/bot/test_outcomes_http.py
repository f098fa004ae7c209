"""`POST /outcomes`, end to end: the real server and Bolt app, the Slack stand-in, a manual clock.
Authentication is intake's; the answers are 201 / 200 (a repeat) / 404 / 422, and the owner sees the
outcome in their offer DM's thread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standin.driver import Posted
from tests.bot.harness import CONFIG_YAML, INTAKE_TOKEN, PEOPLE, Stack, running_stack

ALICE = PEOPLE["alice"][0]
WITH_OUTCOMES = CONFIG_YAML + "outcomes: {source: api}\n"


async def post_outcome(stack: Stack, document: Any, *, token: str = INTAKE_TOKEN) -> Posted:
    async with stack.http.post(
        f"{stack.base}/outcomes", json=document, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return Posted(response.status, await response.text())


async def _claimed_by_alice(stack: Stack, **lead: Any) -> int:
    """A lead offered to alice (first in the rotation) and accepted by her; its id."""
    response = await stack.intake({"email": "jo@shop.com", "company": "Shop <b>&</b> Co", **lead})
    assert response.json()["assignee"] == "alice"
    await stack.deliver()
    [dm] = stack.dms("alice")
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    await stack.deliver()
    lead_id: int = response.json()["lead_id"]
    return lead_id


async def test_an_outcome_is_recorded_once_and_the_owner_sees_it_in_the_dm_thread(tmp_path: Path, db_url: str) -> None:
    async with running_stack(tmp_path, config_yaml=WITH_OUTCOMES, database_url=db_url) as stack:
        lead_id = await _claimed_by_alice(stack, external_id="crm-9", source="hubspot")
        won = {
            "lead": {"source": "hubspot", "external_id": "crm-9"},
            "state": "won",
            "amount": 4200,
            "occurred_at": "2026-11-24T12:00:00Z",
        }
        first = await post_outcome(stack, won)
        again = await post_outcome(stack, won)
        assert (first.status, again.status) == (201, 200)
        assert first.json() == {
            "lead_id": lead_id,
            "recorded": True,
            "state": "won",
            "occurred_at": "2026-11-24T12:00:00+00:00",
            "current": "won",
            "owner": "alice",
        }
        assert again.json()["recorded"] is False and "already recorded" in again.json()["note"]
        await stack.deliver()
        [dm] = stack.dms("alice")
        replies = [m for m in stack.standin.messages_in(ALICE) if m.thread_ts == dm.ts]
        assert len(replies) == 1  # the repeat told nobody
        text = json.dumps({"text": replies[0].text, "blocks": replies[0].blocks})
        assert "won" in text and "4,200.00" in text
        assert "Shop &lt;b&gt;&amp;&lt;/b&gt; Co" in text and "<b>" not in text  # lead text escaped
        view = await stack.service.views.lead_view(lead_id)
        assert view.lead.outcome is not None and view.lead.outcome.value == "won"
        assert any(entry.to_state == "outcome:won" for entry in view.history)


async def test_a_late_working_keeps_the_won_current_and_reopened_reopens(tmp_path: Path) -> None:
    async with running_stack(tmp_path, config_yaml=WITH_OUTCOMES) as stack:
        lead_id = await _claimed_by_alice(stack)
        won = await post_outcome(stack, {"lead": lead_id, "state": "won", "occurred_at": "2026-11-25T09:00:00Z"})
        working = await post_outcome(
            stack, {"lead": "JO@shop.com", "state": "working", "occurred_at": "2026-11-24T09:00:00Z"}
        )
        reopened = await post_outcome(
            stack, {"lead": lead_id, "state": "reopened", "occurred_at": "2026-11-26T09:00:00Z"}
        )
        assert [r.status for r in (won, working, reopened)] == [201, 201, 201]
        assert [r.json()["current"] for r in (won, working, reopened)] == ["won", "won", "reopened"]


async def test_an_unknown_lead_is_a_404_naming_it_and_bad_fields_a_422_naming_each(stack_on_each_db: Stack) -> None:
    stack = stack_on_each_db
    missing = await post_outcome(stack, {"lead": 404, "state": "won", "occurred_at": "2026-11-24T12:00:00Z"})
    assert missing.status == 404
    assert missing.json()["error"] == "no lead 404" and missing.json()["fields"][0]["field"] == "lead"
    by_crm = await post_outcome(
        stack, {"lead": {"source": "hubspot", "external_id": "x-1"}, "state": "won", "occurred_at": "2026-11-24"}
    )
    assert (by_crm.status, by_crm.json()["error"]) == (404, "no lead x-1 from hubspot")
    bad = await post_outcome(stack, {"lead": "nobody", "state": "closed-won", "amount": -3, "occurred_at": "soon"})
    assert bad.status == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"lead", "state", "amount", "occurred_at"}
    partial = await post_outcome(stack, {"lead": {"source": "hubspot"}, "state": "won", "occurred_at": "2026-11-24"})
    assert (partial.status, [f["field"] for f in partial.json()["fields"]]) == (422, ["lead.external_id"])
    huge = await post_outcome(stack, {"lead": 10**30, "state": "won", "occurred_at": "2026-11-24"})
    assert (huge.status, huge.json()["fields"][0]["field"]) == (422, "lead")
    assert (await post_outcome(stack, {"lead": 1}, token="wrong-token-wrong-token")).status == 401


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_hostile_outcomes = st.one_of(
    st.dictionaries(
        st.sampled_from(["lead", "state", "occurred_at", "amount", "lead_id", "email", "source", "external_id", "x"]),
        _json_values
        | st.sampled_from(["won", "reopened", "2026-11-24T12:00:00Z", "jo@shop.com", 1, {"source": "web"}]),
        max_size=6,
    ),
    _json_values,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_hostile_outcomes)
async def test_hostile_outcome_bodies_never_cause_a_5xx_and_rejections_name_a_field(stack: Stack, body: Any) -> None:
    response = await post_outcome(stack, body)
    assert response.status in (200, 201, 400, 404, 422), response.body
    if response.status in (404, 422):
        fields = response.json()["fields"]
        assert fields and all(f["field"] for f in fields)
