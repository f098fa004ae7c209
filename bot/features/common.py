"""What every listener needs: who clicked, and how to answer them privately."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.service import Service
from bot.slack import SlackProblem, SlackRejected
from routing.config import Rep

log = logging.getLogger(__name__)

_NOT_THERE = frozenset({"user_not_in_channel", "channel_not_found", "not_in_channel"})
STRANGER = (
    "You're not set up in Leadrelay yet, so there is nothing here you can change. "
    "Ask your sales ops admin to add you to the routing config."
)


@dataclass(frozen=True, slots=True)
class Click:
    user: str  # Slack user id
    person: str  # their config id
    target: int  # the offer or lead id the button carries


async def who_clicked(service: Service, body: dict[str, Any]) -> Click | None:
    """The person behind a button click and what it acts on; None (after telling them) for a stranger."""
    user = body["user"]["id"]
    person, target = service.people.person(user), clicked_value(body)
    if person is None or target is None:
        await tell(service, user, STRANGER, channel=channel_of(body))
        return None
    return Click(user, person, target)


async def rep_of_modal(service: Service, body: dict[str, Any], view: dict[str, Any]) -> tuple[str, str, Rep] | None:
    """(Slack user, person, rep) for a modal about the rep in its private_metadata, if the person may act
    for that rep; None (after telling them) otherwise."""
    user = body["user"]["id"]
    actor = service.people.person(user)
    rep = service.config.reps.get(view.get("private_metadata", ""))
    if actor is None or rep is None or not service.people.may_act_for(actor, rep.id):
        await tell(service, user, STRANGER)
        return None
    return user, actor, rep


def clicked_value(body: dict[str, Any]) -> int | None:
    """The id a button carries, or None if the payload is not ours."""
    actions = body.get("actions") or []
    value = actions[0].get("value") if actions else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel") or {}
    return channel.get("id") or (body.get("container") or {}).get("channel_id")


async def tell(
    service: Service,
    user: str,
    text: str,
    *,
    channel: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """An ephemeral answer only `user` sees: in the channel they acted in, else in their DM with us."""
    extra = {"blocks": blocks} if blocks else {}
    try:
        if channel is not None:
            try:
                await service.slack.call("chat.postEphemeral", channel=channel, user=user, text=text, **extra)
                return
            except SlackRejected as exc:
                if exc.code not in _NOT_THERE:
                    raise
        # Not clicked in a conversation they are part of (or not in one at all): answer in their DM.
        dm = str((await service.slack.call("conversations.open", users=user))["channel"]["id"])
        await service.slack.call("chat.postEphemeral", channel=dm, user=user, text=text, **extra)
    except SlackProblem as exc:  # the answer is a courtesy; the transition already happened or didn't
        log.warning("could not answer %s: %s", user, exc)


def submitted(view: dict[str, Any], field: str) -> dict[str, Any]:
    """The state of input `field` (block_id == action_id) in a submitted view; {} when absent."""
    values = (view.get("state") or {}).get("values") or {}
    return dict((values.get(field) or {}).get(field) or {})


def selected(view: dict[str, Any], field: str) -> str | None:
    value = (submitted(view, field).get("selected_option") or {}).get("value")
    return value if isinstance(value, str) else None


def typed(view: dict[str, Any], field: str) -> str | None:
    value = submitted(view, field).get("value")
    return value.strip() or None if isinstance(value, str) else None


def picked_date(view: dict[str, Any], field: str) -> str | None:
    value = submitted(view, field).get("selected_date")
    return value if isinstance(value, str) else None
