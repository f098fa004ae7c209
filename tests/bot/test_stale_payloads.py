"""Stale buttons, forged ids and tampered modals: the person is told what happened, nothing breaks.

Every case goes in as a signed request and is judged by what the person sees in the stand-in (or in
the modal's field errors), by what the database holds, and by a log with no error in it.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.features.common import FORM_OUT_OF_DATE, LEAD_GONE, OUT_OF_DATE
from bot.ids import MAX_ID, Action, Field, Modal, parse_id
from tests.bot.harness import PEOPLE, Stack
from tests.bot.payloads import FORM, block_action, form, view_submission

ALICE, MARIA = PEOPLE["alice"][0], PEOPLE["maria"][0]
HOSTILE_IDS = ["²", "12345678901234567890123456", str(MAX_ID + 1), "-1", "0", " 1", "1e3", "", "١٢"]


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> object:
    caplog.set_level(logging.WARNING)
    yield
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]


def told(stack: Stack, user: str) -> list[str]:
    return [message.text for message in stack.standin.ephemerals_for(user)]


async def test_ids_are_ascii_digits_within_63_bits_or_nothing() -> None:
    assert parse_id("42") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    for value in [*HOSTILE_IDS, None, 7, ["1"]]:
        assert parse_id(value) is None, value


@pytest.mark.parametrize(
    ("user", "action"),
    [(ALICE, Action.ACCEPT), (ALICE, Action.REASSIGN), (MARIA, Action.TAKE), (MARIA, Action.ASSIGN)],
)
async def test_a_button_for_a_lead_that_does_not_exist_says_so(stack: Stack, user: str, action: str) -> None:
    channel = stack.slack.dm(user)
    response = await stack.slack.post(form(block_action(user, action, "999", channel=channel)), FORM)
    assert response.status == 200
    assert told(stack, user) == [LEAD_GONE]
    assert stack.standin.open_views(user) == []


@pytest.mark.parametrize("value", HOSTILE_IDS)
async def test_a_button_with_a_value_that_is_no_id_is_out_of_date(stack: Stack, value: str) -> None:
    await stack.intake({"email": "a@shop.com", "external_id": "1"})
    response = await stack.slack.post(
        form(block_action(ALICE, Action.ACCEPT, value, channel=stack.slack.dm(ALICE))), FORM
    )
    assert response.status == 200
    assert told(stack, ALICE) == [OUT_OF_DATE]
    assert (await stack.service.views.lead_view(1)).lead.claimed_by is None


@pytest.mark.parametrize("metadata", ["abc", "12345678901234567890123456", None, {"offer": 1}, "²"])
async def test_a_reassign_form_naming_no_offer_is_out_of_date(stack: Stack, metadata: object) -> None:
    await stack.intake({"email": "a@shop.com", "external_id": "1"})
    values = {Field.REASON: {"selected_option": {"value": "conflict"}}}
    payload = view_submission(ALICE, Modal.REASSIGN, private_metadata=metadata, values=values)
    response = await stack.slack.post(form(payload), FORM)
    assert response.status == 200
    assert told(stack, ALICE) == [FORM_OUT_OF_DATE]
    assert (await stack.service.views.lead_view(1)).offers[-1].rep_id == "alice"  # nothing was reassigned


async def test_forms_for_an_offer_or_lead_that_is_gone_say_the_lead_no_longer_exists(stack: Stack) -> None:
    reassign = view_submission(
        ALICE, Modal.REASSIGN, private_metadata="999", values={Field.REASON: {"selected_option": {"value": "other"}}}
    )
    assign = view_submission(
        MARIA, Modal.ASSIGN, private_metadata="999", values={Field.ASSIGNEE: {"selected_option": {"value": "bob"}}}
    )
    assert (await stack.slack.post(form(reassign), FORM)).status == 200
    assert (await stack.slack.post(form(assign), FORM)).status == 200
    assert told(stack, ALICE) == [LEAD_GONE]
    assert told(stack, MARIA) == [LEAD_GONE]


async def test_an_assign_form_with_a_forged_id_is_out_of_date(stack: Stack) -> None:
    payload = view_submission(
        MARIA,
        Modal.ASSIGN,
        private_metadata="99999999999999999999999",
        values={Field.ASSIGNEE: {"selected_option": {"value": "bob"}}},
    )
    assert (await stack.slack.post(form(payload), FORM)).status == 200
    assert told(stack, MARIA) == [FORM_OUT_OF_DATE]


async def test_a_reassign_form_suggesting_nobody_we_know_is_asked_again(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "external_id": "1"})
    values = {
        Field.REASON: {"selected_option": {"value": "conflict"}},
        Field.SUGGEST: {"selected_option": {"value": "mallory"}},
    }
    response = await stack.slack.post(
        form(view_submission(ALICE, Modal.REASSIGN, private_metadata="1", values=values)), FORM
    )
    assert response.json()["errors"] == {Field.SUGGEST: "Pick a rep from the list, or nobody."}
    assert (await stack.service.views.lead_view(1)).offers[-1].rep_id == "alice"


async def test_the_pto_modal_is_capped_like_the_slash_command(stack: Stack) -> None:
    for first, last in [("2026-11-23", "9999-12-31"), ("9999-12-31", "9999-12-31"), ("2027-12-01", "2027-12-02")]:
        values = {Field.PTO_START: {"selected_date": first}, Field.PTO_END: {"selected_date": last}}
        response = await stack.slack.post(
            form(view_submission(ALICE, Modal.PTO, private_metadata="alice", values=values)), FORM
        )
        assert response.json() == {
            "response_action": "errors",
            "errors": {Field.PTO_END: "PTO is set at most a year ahead, 366 days at a time."},
        }
        typed = await stack.slack.command(ALICE, "/pto", f"{first} {last}")
        assert "PTO is set at most a year ahead, 366 days at a time." in typed.body
    runtime = await stack.service.views.rep_runtime("alice", stack.clock.now())
    assert runtime.pto == ()


async def test_the_pto_modal_answers_dates_that_are_no_dates_and_windows_backwards(stack: Stack) -> None:
    cases = [
        ("²⁰²⁶-12-01", "2026-12-02", "Pick the first and the last day off."),
        ("2026-12-01", None, "Pick the first and the last day off."),
        ("2026-12-05", "2026-12-01", "The last day (2026-12-01) is before the first (2026-12-05)."),
        ("2026-01-01", "2026-01-02", "2026-01-02 is already past."),
    ]
    for first, last, error in cases:
        values = {Field.PTO_START: {"selected_date": first}, Field.PTO_END: {"selected_date": last}}
        response = await stack.slack.post(
            form(view_submission(ALICE, Modal.PTO, private_metadata="alice", values=values)), FORM
        )
        assert response.json()["errors"] == {Field.PTO_END: error}
    ok = {Field.PTO_START: {"selected_date": "2026-12-01"}, Field.PTO_END: {"selected_date": "2027-11-23"}}
    await stack.slack.post(form(view_submission(ALICE, Modal.PTO, private_metadata="alice", values=ok)), FORM)
    [pto] = (await stack.service.views.rep_runtime("alice", stack.clock.now())).pto
    assert pto.window.end.date() == date(2027, 11, 24)  # the last day a year ahead still counts


@pytest.mark.parametrize("metadata", ["mallory", "", None, ["alice"]])
async def test_a_settings_form_about_nobody_we_know_is_out_of_date(stack: Stack, metadata: object) -> None:
    values = {Field.CAPACITY: {"value": "3"}}
    response = await stack.slack.post(
        form(view_submission(ALICE, Modal.CAPACITY, private_metadata=metadata, values=values)), FORM
    )
    assert response.status == 200
    assert told(stack, ALICE) == [FORM_OUT_OF_DATE]


async def test_capacity_takes_ascii_digits_up_to_the_limit_in_the_modal_and_the_command(stack: Stack) -> None:
    for raw, error in [
        ("²", "A capacity is a whole number, like 8."),
        ("12345678901234567890123456", "At most 200 open leads; pick a smaller number."),
        ("201", "At most 200 open leads; pick a smaller number."),
    ]:
        values = {Field.CAPACITY: {"value": raw}}
        response = await stack.slack.post(
            form(view_submission(ALICE, Modal.CAPACITY, private_metadata="alice", values=values)), FORM
        )
        assert response.json()["errors"] == {Field.CAPACITY: error}
        typed = await stack.slack.command(ALICE, "/capacity", raw)
        assert error in typed.body and "Usage: `/capacity`" in typed.body
    runtime = await stack.service.views.rep_runtime("alice", stack.clock.now())
    assert runtime.capacity_override is None


async def test_a_form_slack_will_not_open_is_answered_not_dropped(stack: Stack) -> None:
    # A trigger id Slack does not know (expired, or forged): views.open fails, and the person hears it.
    response = await stack.slack.post(form(block_action(ALICE, Action.HOME_PTO, None, trigger_id="1.2.stale")), FORM)
    assert response.status == 200
    assert told(stack, ALICE) == ["Slack wouldn't open that form just now; please try again."]
