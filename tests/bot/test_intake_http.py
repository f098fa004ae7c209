"""`POST /leads`: authentication, limits, validation and idempotency, over real HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.intake import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.bot.harness import INTAKE_TOKEN, Posted, Stack


async def raw_post(stack: Stack, body: bytes, headers: dict[str, str]) -> Posted:
    async with stack.http.post(f"{stack.base}/leads", data=body, headers=headers) as response:
        return Posted(response.status, await response.text())


async def test_authentication_is_required_and_checked(stack: Stack) -> None:
    body = json.dumps({"email": "a@b.com"}).encode()
    assert (await raw_post(stack, body, {})).status == 401
    assert (await raw_post(stack, body, {"Authorization": "Bearer wrong-token-wrong-token"})).status == 401
    assert (await raw_post(stack, body, {"Authorization": f"Basic {INTAKE_TOKEN}"})).status == 401
    assert (await raw_post(stack, body, {"Authorization": f"Bearer {INTAKE_TOKEN}"})).status == 202


async def test_signed_requests_are_accepted_within_five_minutes_only(stack: Stack) -> None:
    body = json.dumps({"email": "a@b.com", "external_id": "s1"}).encode()
    now = int(time.time())
    good = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(INTAKE_TOKEN, now, body)}
    assert (await raw_post(stack, body, good)).status == 202
    old = now - 301
    stale = {TIMESTAMP_HEADER: str(old), SIGNATURE_HEADER: sign(INTAKE_TOKEN, old, body)}
    assert (await raw_post(stack, body, stale)).status == 401
    tampered = {**good, SIGNATURE_HEADER: sign(INTAKE_TOKEN, now, body + b" ")}
    assert (await raw_post(stack, body, tampered)).status == 401


async def test_limits_and_validation_answer_with_the_right_status(stack: Stack) -> None:
    auth = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
    big = json.dumps({"email": "a@b.com", "notes": "x" * 70_000}).encode()
    assert (await raw_post(stack, big, auth)).status == 413
    assert (await raw_post(stack, b"{not json", auth)).status == 400
    response = await stack.intake({"email": "nope", "score": "hot", "employees": "-5"})
    assert response.status == 422
    assert {f["field"] for f in response.json()["fields"]} == {"email", "score", "employees"}


async def test_a_retried_webhook_returns_the_first_result_and_routes_once(stack: Stack) -> None:
    lead = {"email": "a@shop.com", "external_id": "crm-77", "source": "hubspot"}
    first = await stack.intake(lead)
    again = await stack.intake(lead)
    assert (first.status, again.status) == (202, 200)
    assert again.json() == first.json()
    await stack.deliver()
    assert sum(len(stack.dms(person)) for person in ("alice", "bob", "carol")) == 1


async def test_nurture_leads_are_accepted_without_a_rep(tmp_path: Any) -> None:
    from tests.bot.harness import CONFIG_YAML, running_stack

    async with running_stack(
        tmp_path, config_yaml=CONFIG_YAML.replace("managers:", "qualification: {min_score: 50}\nmanagers:")
    ) as stack:
        response = await stack.intake({"email": "a@b.com", "score": 10})
        assert response.status == 202
        assert (response.json()["state"], response.json()["assignee"]) == ("nurture", None)
        assert "below 50" in response.json()["summary"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
hostile_bodies = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "email",
                "name",
                "employees",
                "score",
                "country",
                "created_at",
                "source",
                "external_id",
                "Company Size",
                "notes",
                "<!channel>",
            ]
        ),
        json_values,
        max_size=8,
    ),
    json_values,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=hostile_bodies)
async def test_hostile_bodies_never_cause_a_5xx_and_rejections_name_a_field(stack: Stack, body: Any) -> None:
    response = await stack.intake(body)
    assert response.status in (200, 202, 400, 422), response.body
    if response.status == 422:
        fields = response.json()["fields"]
        assert fields and all(f["field"] for f in fields)
