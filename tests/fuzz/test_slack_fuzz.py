"""Hypothesis against `/slack/events`: hostile Slack payloads, signed and unsigned.

The strategies build the envelopes Slack sends (block actions, view submissions, slash commands,
shortcuts) around the real action ids, callback ids, commands and input fields, so the examples reach
the listeners, and fill them with hostile values: ids that are no ids (`²`, 25 digits, `-1`), dates
in year 9999, numbers past any column, JSON of the wrong shape, strangers. For every example:

- signed: no 5xx, and nothing logged at ERROR (no traceback);
- unsigned (no signature, a wrong one, a stale timestamp): 401, and nothing changed, neither in the
  database nor at Slack;
- and afterwards the server still answers `/healthz`.

The budget is `LEADRELAY_FUZZ_EXAMPLES` examples per test (a few by default, so `make test` stays
fast; `make fuzz` sets it to 1000). One stack serves all of a test's examples, so state built by
earlier examples (leads, PTO, modals) is there for later ones to trip over.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.ids import LEAD_INTENTS, MAX_ID, REASSIGN_REASONS, Action, Command, Field, Modal, Shortcut
from storage.tables import metadata
from tests.bot.harness import PEOPLE, SIGNING_SECRET, STRANGER, Stack, slack_signature
from tests.bot.payloads import FORM, block_action, form, shortcut, view_submission

EXAMPLES = int(os.environ.get("LEADRELAY_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ------------------------------------------------------------------------------------------ strategies

users = st.sampled_from([slack_id for slack_id, _tz in PEOPLE.values()] + [STRANGER, "UNOBODY01"])
number_words = st.sampled_from(
    ["1", "2", "3", "0", "-1", "²", "١٢", " 1", "1e3", "0x1", "1.5", "", str(MAX_ID), str(MAX_ID + 1), "9" * 25]
)
json_junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
past_any_column = st.integers(MAX_ID - 1, 10**40).map(str)
ids = number_words | past_any_column | st.integers(-5, 10).map(str) | st.text(max_size=30)
known_words = st.sampled_from(
    [*REASSIGN_REASONS, *LEAD_INTENTS, *(person for person in PEOPLE), "mallory", "a@shop.com", "DE", "120"]
)
values = number_words | past_any_column | known_words | st.text(max_size=30) | json_junk
dates = (
    st.dates().map(str)
    | st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-11-23", "2026-11-24", "2027-11-23", "today"])
    | st.text(max_size=12)
    | json_junk
)
element_states = st.one_of(
    st.fixed_dictionaries({"selected_option": st.fixed_dictionaries({"value": values})}),
    st.fixed_dictionaries({"value": values}),
    st.fixed_dictionaries({"selected_date": dates}),
    json_junk,
)
metadata_values = ids | st.sampled_from([*PEOPLE, "mallory", ""]) | json_junk
command_words = (
    number_words
    | st.sampled_from(["today", "tomorrow", "until", "clear", "pause", "resume", "8", "201"])
    | st.sampled_from(["2026-12-01", "9999-12-31", "0001-01-01", "2026-02-30"])
    | st.sampled_from(["<@UALICE1>", "<@UALICE1|alice>", "<@UMARIA1>", "<@UNOBODY01>", "@bob", "<@>", "<!channel>"])
)
command_texts = st.lists(command_words, max_size=4).map(" ".join) | st.text(max_size=80)


@st.composite
def block_actions(draw: st.DrawFn) -> dict[str, Any]:
    user = draw(users)
    channel = draw(st.none() | st.sampled_from(["D0NONE00", "C00000001"]) | st.text(max_size=12))
    return block_action(user, draw(st.sampled_from(list(Action))), draw(values), channel=channel or None)


@st.composite
def view_submissions(draw: st.DrawFn) -> dict[str, Any]:
    fields = draw(st.lists(st.sampled_from(list(Field)), unique=True, max_size=6))
    return view_submission(
        draw(users),
        draw(st.sampled_from(list(Modal))),
        private_metadata=draw(metadata_values),
        values={field.value: draw(element_states) for field in fields},
        view_id=draw(st.sampled_from(["VFUZZ1", "VFUZZ2"]) | st.text(min_size=1, max_size=12)),
    )


@st.composite
def slash_commands(draw: st.DrawFn) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": "T0STANDIN",
        "channel_id": draw(st.sampled_from(["D0NONE00", "C00000001"]) | st.text(max_size=12)),
        "user_id": draw(users),
        "command": draw(st.sampled_from(list(Command))),
        "text": draw(command_texts),
        "trigger_id": draw(st.sampled_from(["1.2.bogus", ""]) | st.text(max_size=12)),
        "response_url": "http://127.0.0.1:9/unused",
    }


@st.composite
def shortcuts(draw: st.DrawFn) -> dict[str, Any]:
    payload = shortcut(draw(users), draw(st.sampled_from(list(Shortcut))))
    if payload["callback_id"] == Shortcut.LEAD_FROM_MESSAGE:
        text = draw(st.text(max_size=200) | st.just("buyer@example.com wants a demo"))
        payload |= {"type": "message_action", "channel": {"id": "C00000001"}, "message": {"text": text, "ts": "1.1"}}
    return payload


forgeries = st.sampled_from(["none", "wrong", "stale"])

# ------------------------------------------------------------------------------------------ checks


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING)
    return caplog


async def send(stack: Stack, body: bytes, forgery: str | None, *, fresh_trigger: bool = False) -> int:
    """Post `body` to /slack/events, signed (`forgery` None) or forged; the HTTP status."""
    stamp = int(time.time()) - (600 if forgery == "stale" else 0)
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(stamp)}
    if forgery != "none":
        secret = "not-the-secret" if forgery == "wrong" else SIGNING_SECRET
        headers["X-Slack-Signature"] = slack_signature(body, stamp, secret)
    async with stack.http.post(f"{stack.base}/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def footprint(stack: Stack) -> tuple[int, ...]:
    """What a request could change: rows per table, and the Slack calls made."""
    counts = []
    async with stack.service.db.read() as conn:
        for table in metadata.sorted_tables:
            counts.append(int((await conn.execute(select(func.count()).select_from(table))).scalar_one()))
    return (*counts, len(stack.standin.calls))


async def check(stack: Stack, caplog: pytest.LogCaptureFixture, body: bytes, forgery: str | None) -> None:
    caplog.clear()
    before = await footprint(stack)
    status = await send(stack, body, forgery)
    await stack.service.sender.settle()  # a lead logged in Slack hands its DM to the sender: let it land
    if forgery is None:
        assert status < 500, status
    else:
        assert status == 401, status
        assert await footprint(stack) == before
    tracebacks = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert tracebacks == [], [record.getMessage() for record in tracebacks]
    async with stack.http.get(f"{stack.base}/healthz") as health:
        assert health.status == 200


# ------------------------------------------------------------------------------------------ tests


@FUZZ
@given(payload=block_actions(), forgery=st.none() | forgeries)
async def test_block_actions(stack: Stack, errors_logged: pytest.LogCaptureFixture, payload: Any, forgery: Any) -> None:
    await check(stack, errors_logged, form(payload), forgery)


@FUZZ
@given(payload=view_submissions(), forgery=st.none() | forgeries)
async def test_view_submissions(
    stack: Stack, errors_logged: pytest.LogCaptureFixture, payload: Any, forgery: Any
) -> None:
    await check(stack, errors_logged, form(payload), forgery)


@FUZZ
@given(command=slash_commands(), forgery=st.none() | forgeries)
async def test_slash_commands(
    stack: Stack, errors_logged: pytest.LogCaptureFixture, command: Any, forgery: Any
) -> None:
    await check(stack, errors_logged, urlencode(command).encode(), forgery)


@FUZZ
@given(payload=shortcuts(), forgery=st.none() | forgeries)
async def test_shortcuts(stack: Stack, errors_logged: pytest.LogCaptureFixture, payload: Any, forgery: Any) -> None:
    await check(stack, errors_logged, form(payload), forgery)


async def test_the_fuzzed_routes_are_the_real_ones(stack: Stack) -> None:
    """The strategies name real listeners: a well-formed example of each reaches one and is answered."""
    await stack.intake({"email": "a@shop.com", "external_id": "1"})
    await stack.deliver()
    alice = PEOPLE["alice"][0]
    assert await send(stack, form(block_action(alice, Action.ACCEPT, "1", channel="D0NONE00")), None) == 200
    assert (await stack.service.views.lead_view(1)).lead.claimed_by == "alice"
    command = {"user_id": alice, "command": Command.CAPACITY.value, "text": "3", "channel_id": "D0NONE00"}
    assert await send(stack, urlencode(command).encode(), None) == 200
    assert "capacity is now 3" in stack.standin.ephemerals_for(alice)[-1].text
