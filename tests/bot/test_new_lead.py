"""Leads met in Slack: the New lead shortcut and Route as a lead on a message, through intake's own path."""

from __future__ import annotations

from typing import Any

from bot.ids import Field, Modal, Shortcut
from standin import Message
from tests.bot.harness import PEOPLE, STRANGER, Stack

ALICE, BOB = PEOPLE["alice"][0], PEOPLE["bob"][0]


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


async def test_a_lead_logged_in_slack_is_routed_and_the_logger_hears_where_it_went(stack: Stack) -> None:
    await stack.slack.shortcut(BOB, Shortcut.NEW_LEAD)
    [modal] = stack.standin.open_views(BOB)
    assert modal.callback_id == Modal.NEW_LEAD

    response = await stack.slack.submit(
        BOB,
        {
            Field.LEAD_COMPANY: text("Acme <!channel>"),
            Field.LEAD_NAME: text("Jane Roe"),
            Field.LEAD_EMAIL: {"type": "email_text_input", "value": "jane@acme.io"},
            Field.LEAD_EMPLOYEES: {"type": "number_input", "value": "120"},
            Field.LEAD_INTENT: {"type": "static_select", "selected_option": {"value": "demo"}},
            Field.LEAD_NOTE: text("Met at the fintech meetup"),
        },
    )
    assert response.status == 200 and response.body == ""  # the modal closes
    await stack.deliver()

    [dm] = stack.dms("alice")  # routed like any other lead: round robin starts with alice
    card = dm.text + str(dm.blocks)
    assert "Jane Roe" in card and "Met at the fintech meetup" in card and "Bob Brown" in card  # logged by
    assert "<!channel>" not in card and "&lt;!channel&gt;" in card
    assert "accept within 5 minutes" in dm.text  # intent demo: the demo SLA
    told = stack.standin.ephemerals_for(BOB)[-1].text
    assert "went to <@UALICE1>" in told and "<!date^" in told
    view = await stack.service.views.lead_view(1)
    assert (view.lead.source, view.lead.external_id) == ("slack", f"slack-{modal.id}")


async def test_a_lead_with_a_bad_field_stays_in_the_modal_with_the_problem_on_that_field(stack: Stack) -> None:
    await stack.slack.shortcut(BOB, Shortcut.NEW_LEAD)
    nothing = await stack.slack.submit(BOB, {})
    assert nothing.json() == {
        "response_action": "errors",
        "errors": {Field.LEAD_EMAIL: "a lead needs at least an email, a phone, a name or a company"},
    }
    bad = await stack.slack.submit(
        BOB, {Field.LEAD_COMPANY: text("Acme"), Field.LEAD_EMAIL: {"type": "email_text_input", "value": "jane@"}}
    )
    assert bad.json() == {"response_action": "errors", "errors": {Field.LEAD_EMAIL: "not an email address"}}
    assert stack.standin.calls_to("chat.postMessage") == [] and await stack.service.outbox.backlog() == 0


async def route_as_a_lead(stack: Stack, text: str) -> tuple[Message, dict[str, Any]]:
    """Bob posts `text` in the team channel and runs "Route as a lead" on it: the message, and the
    modal's inputs by block id."""
    message = stack.standin.add_message(stack.channel, user=BOB, text=text)
    await stack.slack.shortcut(BOB, Shortcut.LEAD_FROM_MESSAGE, channel=stack.channel, ts=message.ts)
    [modal] = stack.standin.open_views(BOB)
    return message, {block["block_id"]: block["element"] for block in modal.blocks if block["type"] == "input"}


async def test_a_message_becomes_a_lead_prefilled_with_its_email_and_text(stack: Stack) -> None:
    _message, inputs = await route_as_a_lead(
        stack, "From the partner channel: Jane at <mailto:jane@acme.io|jane@acme.io> wants a demo"
    )
    assert inputs[Field.LEAD_EMAIL]["initial_value"] == "jane@acme.io"
    assert "wants a demo" in inputs[Field.LEAD_NOTE]["initial_value"]


async def test_a_routed_message_loses_its_slack_markup_and_keeps_its_link(stack: Stack) -> None:
    message, inputs = await route_as_a_lead(
        stack, "<@UALICE1> met <mailto:jane@acme.io|jane@acme.io> of <https://acme.io|Acme> &amp; friends <!here>"
    )
    assert inputs[Field.LEAD_NOTE]["initial_value"] == (
        "@Alice Adams met jane@acme.io of Acme (https://acme.io) & friends @here"
    )
    await stack.slack.submit(
        BOB,
        {
            Field.LEAD_EMAIL: {"type": "email_text_input", "value": "jane@acme.io"},
            Field.LEAD_NOTE: text(inputs[Field.LEAD_NOTE]["initial_value"]),
        },
    )
    view = await stack.service.views.lead_view(1)
    link = f"https://leadrelay-standin.slack.com/archives/{stack.channel}/p{message.ts.replace('.', '')}"
    assert view.lead.payload["slack_message"] == link
    await stack.deliver()
    [dm] = stack.dms("alice")
    assert link in str(dm.blocks)  # the rep can open the conversation the lead came from


async def test_strangers_cannot_log_leads(stack: Stack) -> None:
    await stack.slack.shortcut(STRANGER, Shortcut.NEW_LEAD)
    assert stack.standin.open_views(STRANGER) == []
    assert "not set up in Leadrelay" in stack.standin.ephemerals_for(STRANGER)[-1].text
