"""Hostile input at `POST /leads` and `POST /slack/events`: every answer a 4xx naming the problem, or
the lead stored in a form every database holds (on SQLite, and on PostgreSQL when configured)."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.intake import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.request_body import MAX_DEPTH
from storage.db import connect
from storage.errors import StorageError
from storage.tables import leads
from tests.bot.harness import INTAKE_TOKEN, Posted, Stack, running_stack, slack_signature

BEARER = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}


async def post(stack: Stack, path: str, body: bytes, headers: dict[str, str]) -> Posted:
    async with stack.http.post(f"{stack.base}{path}", data=body, headers=headers) as response:
        return Posted(response.status, await response.text())


async def stored_payload(stack: Stack, lead_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    async with stack.service.db.read() as conn:
        row = (await conn.execute(select(leads.c.payload, leads.c.contact).where(leads.c.id == lead_id))).one()
    return row.payload, row.contact


async def test_nul_and_lone_surrogates_are_removed_from_every_string_and_the_lead_stored(
    stack_on_each_db: Stack,
) -> None:
    stack = stack_on_each_db
    body = (
        b'{"email": "a@b.com", "company": "Ac\\u0000me", "title": "VP \\ud800Sales",'
        b' "notes": "tail\\udfff", "Fav\\u0000orite": "x\\u0000y\\ud83d", "emoji": "\\ud83d\\ude00"}'
    )
    response = await post(stack, "/leads", body, BEARER)
    assert response.status == 202, response.body
    payload, contact = await stored_payload(stack, response.json()["lead_id"])
    assert payload["company"] == "Acme" and contact["company"] == "Acme"
    assert contact["title"] == "VP \ufffdSales"
    assert payload["notes"] == "tail\ufffd"
    assert payload["Favorite"] == "xy\ufffd" and contact["extra"]["favorite"] == "xy\ufffd"
    assert payload["emoji"] == "\U0001f600"  # a proper pair is a character, kept as sent


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"email": "a@b.com", "score": NaN}', "score"),
        (b'{"email": "a@b.com", "budget": Infinity}', "budget"),
        (b'{"email": "a@b.com", "budget": -Infinity}', "budget"),
        (b'{"email": "a@b.com", "budget": 1e400}', "budget"),
        (b'{"email": "a@b.com", "employees": ' + b"9" * 5000 + b"}", "employees"),
        (b'{"email": "a@b.com", "form": {"x": [NaN]}}', "form"),
        (b'{"email": "a@b.com", "": Infinity}', '""'),  # found by the outcome endpoint's fuzz test
        (b'{"email": "a@b.com", "form": ' + b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1) + b"}", "form"),
    ],
    ids=["nan", "infinity", "-infinity", "overflow", "5000-digits", "nested-nan", "empty-key", "too-deep"],
)
async def test_numbers_and_nesting_no_store_can_hold_are_422_naming_the_field(
    stack_on_each_db: Stack, body: bytes, field: str
) -> None:
    response = await post(stack_on_each_db, "/leads", body, BEARER)
    assert response.status == 422, response.body
    assert [f["field"] for f in response.json()["fields"]] == [field]


async def test_a_json_bomb_is_400_not_a_recursion_error(stack: Stack) -> None:
    body = b"[" * 30_000 + b"]" * 30_000
    response = await post(stack, "/leads", body, BEARER)
    assert response.status == 400
    assert "nested deeper" in response.json()["error"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [("s" * 65, "longer than 64"), ("web\x07form", "printable"), ("   ", "empty"), ("İ" * 40, "longer than 64")],
    ids=["too-long", "control", "blank", "grows-when-lowered"],
)
async def test_a_bad_source_is_422_naming_source(stack_on_each_db: Stack, source: str, problem: str) -> None:
    body = json.dumps({"email": "a@b.com"}).encode()
    response = await post(stack_on_each_db, f"/leads?source={quote(source)}", body, BEARER)
    assert response.status == 422, response.body
    (named,) = response.json()["fields"]
    assert named["field"] == "source" and problem in named["message"]
    if not source.strip():
        return  # a blank field in the body counts as absent, as every blank field does
    in_body = await post(
        stack_on_each_db, "/leads", json.dumps({"email": "a@b.com", "lead_source": source}).encode(), BEARER
    )
    assert in_body.status == 422
    assert [f["field"] for f in in_body.json()["fields"]] == ["lead_source"]


async def test_a_longest_source_is_stored(stack_on_each_db: Stack) -> None:
    body = json.dumps({"email": "a@b.com"}).encode()
    response = await post(stack_on_each_db, f"/leads?source={'s' * 64}", body, BEARER)
    assert response.status == 202, response.body


async def test_a_created_at_with_no_utc_form_is_422(stack: Stack) -> None:
    body = json.dumps({"email": "a@b.com", "created_at": "9999-12-31T23:00:00-05:00"}).encode()
    response = await post(stack, "/leads", body, BEARER)
    assert response.status == 422
    assert [f["field"] for f in response.json()["fields"]] == ["created_at"]


@pytest.mark.parametrize("stamp", ["²", "1" * 400, "-1", " 1", "", "１２３"])
async def test_a_garbled_intake_timestamp_is_401(stack: Stack, stamp: str) -> None:
    body = json.dumps({"email": "a@b.com"}).encode()
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(INTAKE_TOKEN, 1, body)}
    response = await post(stack, "/leads", body, headers)
    assert response.status == 401


async def test_a_non_ascii_bearer_token_is_401(stack: Stack) -> None:
    body = json.dumps({"email": "a@b.com"}).encode()
    async with stack.http.post(
        f"{stack.base}/leads", data=body, headers={"Authorization": "Bearer tøken-ü".encode().decode("latin-1")}
    ) as response:
        assert response.status == 401


def _slack_headers(body: bytes, stamp: str | None = None, signature: str | None = None) -> dict[str, str]:
    now = int(time.time())
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp if stamp is not None else str(now),
        "X-Slack-Signature": signature if signature is not None else slack_signature(body, now),
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "²", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=00"},
        {"X-Slack-Signature": "v0=00"},
        {},
    ],
    ids=["abc", "superscript", "huge", "no-timestamp", "nothing"],
)
async def test_an_unsigned_slack_request_is_401_before_its_body_is_read(stack: Stack, headers: dict[str, str]) -> None:
    body = b"payload=[]"
    response = await post(
        stack, "/slack/events", body, {"Content-Type": "application/x-www-form-urlencoded", **headers}
    )
    assert response.status == 401


async def test_a_wrong_slack_signature_is_401(stack: Stack) -> None:
    body = b"payload=[]"
    response = await post(stack, "/slack/events", body, _slack_headers(body, signature="v0=" + "0" * 64))
    assert response.status == 401
    garbled = await post(
        stack, "/slack/events", body, _slack_headers(body, signature="v0=ü".encode().decode("latin-1"))
    )
    assert garbled.status == 401


@pytest.mark.parametrize(
    "body",
    [
        b"payload=[]",
        b"payload=%7Bnot+json",
        b"payload=" + b"%5B" * 5000,
        b'{"team": 5, "type": "event_callback"}',
        b"\xff\xfe",
    ],
    ids=["list", "not-json", "deep", "wrong-types", "not-utf8"],
)
async def test_a_signed_but_malformed_slack_body_is_4xx(stack: Stack, body: bytes) -> None:
    response = await post(stack, "/slack/events", body, _slack_headers(body))
    assert 400 <= response.status < 500, response.body


async def test_unknown_sources_share_one_metrics_label(stack: Stack) -> None:
    for n in range(40):
        response = await post(
            stack, f"/leads?source=campaign-{n}", json.dumps({"email": f"a{n}@b.com"}).encode(), BEARER
        )
        assert response.status == 202
    assert (await post(stack, "/leads", json.dumps({"email": "z@b.com"}).encode(), BEARER)).status == 202
    async with stack.http.get(f"{stack.base}/metrics") as response:
        lines = [line for line in (await response.text()).splitlines() if line.startswith("leadrelay_leads_total")]
    assert sorted(lines) == ['leadrelay_leads_total{source="api"} 1.0', 'leadrelay_leads_total{source="other"} 40.0']


async def test_a_database_error_never_carries_the_statement_parameters(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    db = await connect(db_url)
    try:
        with pytest.raises(StorageError) as raised:
            # NOT NULL violated: the driver's error comes with the statement and, unless hidden, its values.
            await db.transact(
                lambda conn, _locks: conn.execute(
                    leads.insert().values(source=None, payload={"email": "secret.person@example.com"}, contact={})
                )
            )
    finally:
        await db.close()
    logging.getLogger("test").error("as a handler would log it", exc_info=raised.value)
    assert "not-null" in caplog.text.lower() or "not null" in caplog.text.lower()  # the error is there
    assert "secret.person" not in caplog.text  # its values are not


async def test_a_locked_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        holder = sqlite3.connect(tmp_path / "leadrelay.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock past the busy timeout
        try:
            async with stack.http.post(f"{stack.base}/leads", json={"email": "a@b.com"}, headers=BEARER) as response:
                status, retry_after, answer = (
                    response.status,
                    response.headers.get("Retry-After"),
                    await response.json(),
                )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert (status, retry_after) == (503, "5")
        assert "busy" in answer["error"]
        again = await post(stack, "/leads", json.dumps({"email": "a@b.com"}).encode(), BEARER)
        assert again.status == 202
