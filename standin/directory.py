"""The Web API's conversations.list: the channels the bot can see, for finding one by name.

Public channels are listed whether or not the bot is in them; private ones only when it is, as Slack
does for a bot token. ``types`` filters (``public_channel``, ``private_channel``; DMs are never listed
here), and the answer pages as Slack's does.
"""

from __future__ import annotations

from typing import Final

from standin.arguments import Args, paginate
from standin.conversations import _channel_payload
from standin.model import JsonDict
from standin.workspace import Handler, TokenKind, Workspace

__all__ = ["METHODS"]


def list_conversations(ws: Workspace, args: Args) -> JsonDict:
    types = set((args.text("types") or "public_channel").split(","))
    visible = [
        channel
        for channel in ws.channels.values()
        if not channel.is_im
        and ("private_channel" if channel.is_private else "public_channel") in types
        and (not channel.is_private or ws.bot_user_id in channel.members)
    ]
    page, next_cursor = paginate(visible, args, default_limit=100, limit_error="invalid_limit")
    channels = [_channel_payload(ws, channel) for channel in page]
    return {"channels": channels, "response_metadata": {"next_cursor": next_cursor}}


METHODS: Final[dict[str, tuple[Handler, TokenKind]]] = {"conversations.list": (list_conversations, "bot")}
