"""`GET /openapi.json` tells integrators the truth: its fields are the parser's, its examples are
accepted by the real endpoint, and its answers are the ones the endpoint gives."""

from __future__ import annotations

from typing import Any

import jsonschema

from bot.lead_input import ALIASES
from tests.bot.harness import Stack


async def served(stack: Stack) -> dict[str, Any]:
    async with stack.http.get(f"{stack.base}/openapi.json") as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json()
    return document


async def test_every_field_the_parser_reads_is_in_the_document(stack: Stack) -> None:
    document = await served(stack)
    assert document["openapi"].startswith("3.1")
    lead = document["components"]["schemas"]["Lead"]
    assert set(ALIASES) <= set(lead["properties"])
    assert set(ALIASES.values()) == {name for name, schema in lead["properties"].items() if "x-aliases" in schema}


async def test_the_documented_examples_are_accepted_by_the_endpoint(stack: Stack) -> None:
    document = await served(stack)
    operation = document["paths"]["/leads"]["post"]
    media = operation["requestBody"]["content"]["application/json"]
    answers = operation["responses"]
    assert media["examples"]
    for name, example in media["examples"].items():
        jsonschema.validate(example["value"], document["components"]["schemas"]["Lead"])
        response = await stack.intake(example["value"])
        assert response.status == 202, (name, response.body)
        result_schema = {**document["components"]["schemas"]["Result"], "components": document["components"]}
        jsonschema.validate(response.json(), result_schema)
        assert str(response.status) in answers


async def test_the_documented_refusals_are_the_ones_the_endpoint_gives(stack: Stack) -> None:
    answers = (await served(stack))["paths"]["/leads"]["post"]["responses"]
    assert set(answers) == {"200", "202", "400", "401", "413", "422", "503"}
    async with stack.http.post(f"{stack.base}/leads", data=b"{}") as response:
        assert str(response.status) in answers and response.status == 401
    bad = await stack.intake({"email": "not an email"})
    assert str(bad.status) in answers and bad.status == 422


async def test_the_documented_outcome_examples_and_answers_are_the_endpoints(stack: Stack) -> None:
    from tests.bot.test_outcomes_http import post_outcome

    document = await served(stack)
    operation = document["paths"]["/outcomes"]["post"]
    answers = operation["responses"]
    lead = {"email": "grace@compilers.example", "external_id": 5521, "source": "hubspot"}
    assert (await stack.intake(lead)).status == 202
    result_schema = {**document["components"]["schemas"]["OutcomeResult"], "components": document["components"]}
    for name, example in operation["requestBody"]["content"]["application/json"]["examples"].items():
        jsonschema.validate(example["value"], document["components"]["schemas"]["Outcome"])
        response = await post_outcome(stack, example["value"])
        assert response.status == 201, (name, response.body)
        jsonschema.validate(response.json(), result_schema)
    refusals = [
        await post_outcome(stack, {"lead": 99, "state": "won", "occurred_at": "2026-11-30T16:20:00Z"}),
        await post_outcome(stack, {"lead": 1, "state": "maybe", "occurred_at": "2026-11-30T16:20:00Z"}),
    ]
    assert [r.status for r in refusals] == [404, 422]
    assert all(str(r.status) in answers for r in refusals)
