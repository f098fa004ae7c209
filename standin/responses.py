"""Slack's ``response_url``: the address a slash command or an interaction carries for answering it.

Slack gives every slash command, button click and message shortcut a ``response_url``. A JSON post to
it (``text``, ``blocks``) answers the person, ephemerally, in the conversation the request came from,
wherever that is: a DM, or a private channel the app is not
in, where ``chat.postEphemeral`` fails. Each url takes ``MAX_USES`` answers within ``TTL_SECONDS``;
afterwards, or for a url Slack never issued, it answers 404 ``expired_url``, as Slack does.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from standin.model import EphemeralMessage
from standin.workspace import Workspace

__all__ = ["MAX_USES", "TTL_SECONDS", "ResponseUrls"]

MAX_USES: Final = 5
TTL_SECONDS: Final = 30 * 60


@dataclass(slots=True)
class _Issued:
    user: str
    channel: str
    issued_at: float
    uses: int = 0


class ResponseUrls:
    """Issues response urls for requests from a user in a conversation and serves the answers to them.

    An answer is recorded as an ``EphemeralMessage`` for the user in that conversation (the stand-in
    serves the ephemeral answers the bot sends, not ``response_type: in_channel``).
    """

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._issued: dict[str, _Issued] = {}

    def issue(self, user: str, channel: str) -> str:
        """A fresh key for an answer to `user` in `channel` (a conversation id)."""
        key = secrets.token_urlsafe(12)
        self._issued[key] = _Issued(user=user, channel=channel, issued_at=self._ws.clock())
        return key

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/response/{key}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        issued = self._issued.get(request.match_info["key"])
        if issued is None or issued.uses >= MAX_USES or self._ws.clock() - issued.issued_at > TTL_SECONDS:
            return web.Response(status=404, text="expired_url")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return web.Response(status=400, text="no_text")
        issued.uses += 1
        self._ws.ephemerals.append(
            EphemeralMessage(
                channel=issued.channel,
                user=issued.user,
                ts=self._ws.next_ts(),
                text=str(body.get("text") or ""),
                blocks=list(body.get("blocks") or []),
            )
        )
        return web.Response(text="ok")
