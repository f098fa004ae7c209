"""Leads met in Slack: the "New lead" shortcut, from anywhere, and "Route as a lead" on a message.

Both open one modal. Its submission goes through the same validation, dedupe and routing as
`POST /leads`, with source `slack` and the modal's view id as the external id (a resubmission routes
nothing twice), and the person who logged the lead hears where it went. Anyone in the routing config
may log a lead; a problem is shown on the field it concerns, in the modal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.features.common import STRANGER, open_modal, selected, tell, typed, where
from bot.ids import Field, Modal, Shortcut
from bot.lead_input import LeadInvalid, ParsedLead, parse_lead
from bot.render import modals
from bot.render.kit import lead_title
from bot.service import Service
from bot.slack import SlackProblem
from bot.text import escape, mention, plain, slack_date
from storage.model import LeadState

log = logging.getLogger(__name__)

SOURCE = "slack"
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_INPUTS = {  # intake field: the modal input that holds it
    "company": Field.LEAD_COMPANY,
    "full_name": Field.LEAD_NAME,
    "email": Field.LEAD_EMAIL,
    "title": Field.LEAD_TITLE,
    "country": Field.LEAD_COUNTRY,
    "employees": Field.LEAD_EMPLOYEES,
    "intent": Field.LEAD_INTENT,
    "note": Field.LEAD_NOTE,
}


def register(app: AsyncApp, service: Service) -> None:
    @app.shortcut(Shortcut.NEW_LEAD)
    async def new_lead(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await _open(service, body, modals.new_lead_modal())

    @app.shortcut(Shortcut.LEAD_FROM_MESSAGE)
    async def lead_from_message(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        text = plain(str((body.get("message") or {}).get("text") or ""), _name_of(service))
        email = _EMAIL_IN_TEXT.search(text)
        origin = await _permalink(service, body)
        modal = modals.new_lead_modal(email=email.group(0) if email else None, note=text or None, origin=origin)
        await _open(service, body, modal)

    @app.view(Modal.NEW_LEAD)
    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        person = service.people.person(user)
        if person is None:
            await ack()
            await tell(service, user, STRANGER)
            return
        raw = _raw_lead(view, logged_by=service.config.person_name(person))
        try:
            parsed = parse_lead(raw, default_source=SOURCE)
        except LeadInvalid as invalid:
            await ack(response_action="errors", errors=_errors(invalid))
            return
        await ack()
        created, document = await service.accept_lead(parsed, raw)
        await tell(service, user, _outcome(service, parsed, created, document))


def _name_of(service: Service) -> Callable[[str], str | None]:
    """A mentioned Slack user's name, for the people in the config."""

    def name(slack_user: str) -> str | None:
        person = service.people.person(slack_user)
        return service.config.person_name(person) if person else None

    return name


async def _permalink(service: Service, body: dict[str, Any]) -> str:
    """A link to the message the lead came from ("" if Slack will not give one: the lead is logged
    anyway, without it)."""
    channel, ts = (body.get("channel") or {}).get("id"), body.get("message_ts")
    if not isinstance(channel, str) or not isinstance(ts, str):
        return ""
    try:
        answer = await service.slack.call("chat.getPermalink", channel=channel, message_ts=ts)
    except SlackProblem as exc:
        log.warning("no permalink for a message routed as a lead: %s", exc)
        return ""
    link = answer.get("permalink")
    return link if isinstance(link, str) and link.startswith("https://") else ""


async def _open(service: Service, body: dict[str, Any], view: dict[str, Any]) -> None:
    user = body["user"]["id"]
    if service.people.person(user) is None:
        await tell(service, user, STRANGER, at=where(body))
        return
    await open_modal(service, user, body.get("trigger_id"), view, at=where(body))


def _raw_lead(view: dict[str, Any], *, logged_by: str) -> dict[str, Any]:
    """The submission as intake fields, plus who logged it and the link to the message it came from;
    the view id makes it one lead however often Slack delivers it."""
    raw: dict[str, Any] = {
        "company": typed(view, Field.LEAD_COMPANY),
        "full_name": typed(view, Field.LEAD_NAME),
        "email": typed(view, Field.LEAD_EMAIL),
        "title": typed(view, Field.LEAD_TITLE),
        "country": typed(view, Field.LEAD_COUNTRY),
        "employees": typed(view, Field.LEAD_EMPLOYEES),
        "intent": selected(view, Field.LEAD_INTENT),
        "note": typed(view, Field.LEAD_NOTE),
        "logged_by": logged_by,
    }
    origin = view.get("private_metadata")
    if isinstance(origin, str) and origin.startswith("https://"):
        raw["slack_message"] = origin
    return {"source": SOURCE, "external_id": f"slack-{view['id']}", **{k: v for k, v in raw.items() if v}}


def _errors(invalid: LeadInvalid) -> dict[str, str]:
    """Each problem on the input it concerns (a lead with nothing to reach them by: on the email)."""
    errors: dict[str, str] = {}
    for problem in invalid.problems:
        field = _INPUTS.get(problem.field, Field.LEAD_NOTE).value
        errors[field] = f"{errors[field]} {problem.message}" if field in errors else problem.message
    return errors


def _outcome(service: Service, parsed: ParsedLead, created: bool, document: dict[str, Any]) -> str:
    """Where the lead went, for the person who logged it."""
    title = f"*{lead_title(parsed.lead)}*"
    why = escape(str(document.get("summary") or ""))
    if not created:
        return f"{title} was logged already (lead {document['lead_id']}); nothing was routed twice."
    assignee, due_at = document.get("assignee"), document.get("due_at")
    if assignee and due_at:
        deadline = slack_date(datetime.fromisoformat(due_at))
        return f"{title} went to {mention(service.config, assignee)} ({why}), who has until {deadline} to accept it."
    if document.get("state") == LeadState.NURTURE.value:
        return f"{title} went to nurture, not to a rep: {why}."
    return f"No rep can take {title} right now, so it waits with the managers: {why}."
