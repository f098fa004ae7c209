"""What every listener needs: who clicked, what on, and how to answer them privately.

A private answer goes where Slack expects it: to the request's `response_url` when it has one (slash
commands, buttons, message shortcuts: it works in DMs and private channels the bot is not in), else as
an ephemeral message in the channel the person acted in, else in their DM with us.

Every listener answers the person, whatever the payload: a stranger, a button or form whose object is
gone or whose id is not one of ours, a modal Slack would not open. Ids are read by `bot.ids.parse_id`
only, so no payload reaches the database as a number it cannot hold.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.ids import parse_id
from bot.service import Service
from bot.slack import SlackProblem, SlackRejected
from bot.text import mention
from routing.config import Rep

log = logging.getLogger(__name__)

RESPONSE_URL_TIMEOUT = 5  # seconds: then the answer goes by the Web API instead
_NOT_THERE = frozenset({"user_not_in_channel", "channel_not_found", "not_in_channel"})
STRANGER = (
    "You're not set up in Leadrelay yet, so there is nothing here you can change. "
    "Ask your sales ops admin to add you to the routing config."
)
OUT_OF_DATE = "This button is out of date: it names nothing Leadrelay knows. Use the latest message about the lead."
FORM_OUT_OF_DATE = "This form is out of date: it names nothing Leadrelay knows. Open it again from the lead."
LEAD_GONE = "This lead no longer exists."


@dataclass(frozen=True, slots=True)
class Where:
    """Where a request came from, so its answer goes back there: the channel and Slack's `response_url`."""

    channel: str | None = None
    response_url: str | None = None


NOWHERE = Where()  # a modal submission: no channel, no response_url; the answer goes to the DM


def where(body: dict[str, Any]) -> Where:
    """The channel and `response_url` of a slash command or an interaction payload."""
    channel = body.get("channel_id") or channel_of(body)
    response_url = body.get("response_url")
    return Where(
        channel if isinstance(channel, str) else None,
        response_url if isinstance(response_url, str) and response_url.startswith(("https://", "http://")) else None,
    )


@dataclass(frozen=True, slots=True)
class Click:
    """A button click from someone we know, on an id of ours."""

    user: str  # Slack user id
    person: str  # their config id
    target: int  # the offer or lead id the button carries
    at: Where  # where to answer them
    trigger_id: str | None  # to open a modal in answer


ClickHandler = Callable[[Click], Awaitable[None]]


def on_click(app: AsyncApp, service: Service, action: str) -> Callable[[ClickHandler], ClickHandler]:
    """Register the decorated handler for the button `action`. The click is acknowledged at once
    (Slack's 3-second budget); a stranger, or a button whose value is not an id of ours, is answered
    here and never reaches the handler."""

    def register(handler: ClickHandler) -> ClickHandler:
        @app.action(action)
        async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            user = body["user"]["id"]
            person, target, at = service.people.person(user), clicked_value(body), where(body)
            if person is None or target is None:
                await tell(service, user, STRANGER if person is None else OUT_OF_DATE, at=at)
                return
            await handler(Click(user, person, target, at, body.get("trigger_id")))

        return handler

    return register


async def rep_of_modal(service: Service, body: dict[str, Any], view: dict[str, Any]) -> tuple[str, str, Rep] | None:
    """(Slack user, person, rep) for a modal about the rep in its private_metadata, if the person may act
    for that rep; None (after telling them) otherwise."""
    user = body["user"]["id"]
    actor = service.people.person(user)
    if actor is None:
        await tell(service, user, STRANGER)
        return None
    rep = modal_rep(service, view)
    if rep is None:
        await tell(service, user, FORM_OUT_OF_DATE)
        return None
    if not service.people.may_act_for(actor, rep.id):
        await tell(service, user, f"Only {mention(service.config, rep.id)} or their manager can change that.")
        return None
    return user, actor, rep


def modal_rep(service: Service, view: dict[str, Any]) -> Rep | None:
    """The rep a PTO or capacity modal is about (its private_metadata), or None if it names nobody we know."""
    metadata = view.get("private_metadata")
    return service.config.reps.get(metadata) if isinstance(metadata, str) else None


def modal_target(view: dict[str, Any]) -> int | None:
    """The offer or lead id a modal carries in its private_metadata, or None if it carries none of ours."""
    return parse_id(view.get("private_metadata"))


def clicked_value(body: dict[str, Any]) -> int | None:
    """The id a button carries, or None if the payload is not ours."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    return parse_id(action.get("value")) if isinstance(action, dict) else None


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel") or {}
    return channel.get("id") or (body.get("container") or {}).get("channel_id")


async def tell(
    service: Service,
    user: str,
    text: str,
    *,
    at: Where = NOWHERE,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """An answer only `user` sees: through the request's `response_url`, else ephemeral in the channel
    they acted in, else in their DM with us. Never raises: the answer is a courtesy, the transition
    already happened or didn't."""
    extra = {"blocks": blocks} if blocks else {}
    if at.response_url is not None and await _respond(at.response_url, text, blocks):
        return
    try:
        if at.channel is not None:
            try:
                await service.slack.call("chat.postEphemeral", channel=at.channel, user=user, text=text, **extra)
                return
            except SlackRejected as exc:
                if exc.code not in _NOT_THERE:
                    raise
        # Not clicked in a conversation they are part of (or not in one at all): answer in their DM.
        dm = str((await service.slack.call("conversations.open", users=user))["channel"]["id"])
        await service.slack.call("chat.postEphemeral", channel=dm, user=user, text=text, **extra)
    except SlackProblem as exc:
        log.warning("could not answer %s: %s", user, exc)


async def _respond(response_url: str, text: str, blocks: list[dict[str, Any]] | None) -> bool:
    """Post an ephemeral answer to Slack's `response_url`; False if Slack would not take it (expired,
    used up, unreachable), so the caller falls back to the Web API."""
    try:
        response = await AsyncWebhookClient(response_url, timeout=RESPONSE_URL_TIMEOUT).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("response_url unreachable: %s", type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("response_url refused the answer: %s %s", response.status_code, response.body)
        return False
    return True


async def open_modal(
    service: Service, user: str, trigger_id: object, view: dict[str, Any], *, at: Where = NOWHERE
) -> None:
    """Open `view` for `user`; if Slack will not (an expired trigger, an outage), tell them to try again."""
    try:
        await service.slack.call("views.open", trigger_id=trigger_id, view=view)
    except SlackProblem as exc:
        log.warning("could not open a modal for %s: %s", user, exc)
        await tell(service, user, "Slack wouldn't open that form just now; please try again.", at=at)


def submitted(view: dict[str, Any], field: str) -> dict[str, Any]:
    """The state of input `field` (block_id == action_id) in a submitted view; {} when absent."""
    values = _dict(_dict(view.get("state")).get("values"))
    return _dict(_dict(values.get(field)).get(field))


def selected(view: dict[str, Any], field: str) -> str | None:
    value = _dict(submitted(view, field).get("selected_option")).get("value")
    return value if isinstance(value, str) else None


def typed(view: dict[str, Any], field: str) -> str | None:
    value = submitted(view, field).get("value")
    return value.strip() or None if isinstance(value, str) else None


def picked_date(view: dict[str, Any], field: str) -> date | None:
    """The date picked in `field`, or None when there is none or it is not a `YYYY-MM-DD` date."""
    value = submitted(view, field).get("selected_date")
    if not isinstance(value, str) or len(value) != len("2026-12-01") or not value.isascii():
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _dict(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: a submission's state is read, never trusted."""
    return value if isinstance(value, dict) else {}
