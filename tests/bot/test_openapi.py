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
