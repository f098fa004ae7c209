"""The Web API's chat.* methods: post, update, delete, post ephemeral, get a permalink.

Each handler takes the workspace and the request's arguments and returns the fields of the ``ok``
body, or raises ``ApiError`` with the code Slack documents for the method.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from standin import blockkit
from standin.arguments import ApiError, Args
from standin.model import EphemeralMessage, JsonDict, Message
from standin.workspace import USER_ID, Handler, TokenKind, Workspace

__all__ = ["METHODS", "message_payload"]

MAX_MARKDOWN_TEXT: Final = 12_000
MAX_ATTACHMENTS: Final = 100


@dataclass(frozen=True, slots=True)
class _Content:
    """The content arguments of chat.postMessage/update/postEphemeral; None means "not given"."""

    text: str | None
    blocks: list[JsonDict] | None
    attachments: list[JsonDict] | None


def post_message(ws: Workspace, args: Args) -> JsonDict:
    target = args.required("channel", "channel_not_found")
    content = _read_content(ws, args)
    _, metadata = _read_metadata(args)
    # Resolved last: posting to a user id opens the DM, which a rejected post must not do.
    channel = ws.post_target(target)
    thread_ts = args.text("thread_ts") or None
    if thread_ts is not None:
        parent = ws.messages.get(channel.id, {}).get(thread_ts)
        # Slack files a reply to a reply under the thread's parent.
        if parent is not None and parent.thread_ts is not None:
            thread_ts = parent.thread_ts
    message = Message(
        channel=channel.id,
        ts=ws.next_ts(),
        user=ws.bot_user_id,
        text=content.text or "",
        blocks=content.blocks or [],
        attachments=content.attachments or [],
        metadata=metadata,
        thread_ts=thread_ts,
        reply_broadcast=thread_ts is not None and args.flag("reply_broadcast"),
        bot_id=ws.bot_id,
    )
    ws.messages.setdefault(channel.id, {})[message.ts] = message
    return {"channel": channel.id, "ts": message.ts, "message": message_payload(ws, message)}


def update(ws: Workspace, args: Args) -> JsonDict:
    message = _bots_message(ws, args, not_the_bots="cant_update_message")
    content = _read_content(ws, args)
    metadata_given, metadata = _read_metadata(args)
    # Fields left out keep their value; metadata={} removes it (the documented chat.update rules).
    updated = replace(
        message,
        text=message.text if content.text is None else content.text,
        blocks=message.blocks if content.blocks is None else content.blocks,
        attachments=message.attachments if content.attachments is None else content.attachments,
        metadata=metadata if metadata_given else message.metadata,
        edited_ts=ws.next_ts(),
    )
    ws.messages[message.channel][message.ts] = updated
    return {
        "channel": message.channel,
        "ts": message.ts,
        "text": updated.text,
        "message": message_payload(ws, updated),
    }


def delete(ws: Workspace, args: Args) -> JsonDict:
    message = _bots_message(ws, args, not_the_bots="cant_delete_message")
    del ws.messages[message.channel][message.ts]
    return {"channel": message.channel, "ts": message.ts}


def post_ephemeral(ws: Workspace, args: Args) -> JsonDict:
    target = args.required("channel", "channel_not_found")
    user_id = args.required("user", "user_not_found")
    user = ws.recipient(user_id, inactive_error="user_disabled", direct=False)
    content = _read_content(ws, args)
    if USER_ID.match(target):
        # A user id names the bot's DM with that user, which only that user can see.
        if target != user.id:
            raise ApiError("user_not_in_channel")
        channel, _ = ws.open_dm(user.id)
    else:
        channel = ws.find_channel(target, by_name=True)
    if channel.is_im:
        if channel.user != user.id:
            raise ApiError("user_not_in_channel")
    elif ws.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    elif user.id not in channel.members:
        raise ApiError("user_not_in_channel")
    ephemeral = EphemeralMessage(
        channel=channel.id,
        user=user.id,
        ts=ws.next_ts(),
        text=content.text or "",
        blocks=content.blocks or [],
        thread_ts=args.text("thread_ts") or None,
    )
    ws.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral.ts}


def get_permalink(ws: Workspace, args: Args) -> JsonDict:
    message = _stored_message(ws, args, ts_argument="message_ts")
    channel_id, ts = message.channel, message.ts
    permalink = f"https://{ws.team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    if message.thread_ts is not None and message.thread_ts != ts:
        permalink += f"?thread_ts={message.thread_ts}&cid={channel_id}"
    return {"channel": channel_id, "permalink": permalink}


def _stored_message(ws: Workspace, args: Args, *, ts_argument: str) -> Message:
    """The message named by the ``channel`` and ``ts_argument`` arguments, or ``message_not_found``."""
    # Only a conversation id will do: Slack answers channel_not_found for a user id here.
    channel = ws.conversation(args.required("channel", "channel_not_found"))
    message = ws.messages.get(channel.id, {}).get(args.required(ts_argument, "message_not_found"))
    if message is None:
        raise ApiError("message_not_found")
    return message


def _bots_message(ws: Workspace, args: Args, *, not_the_bots: str) -> Message:
    """The message chat.update or chat.delete names; one the bot did not write is ``not_the_bots``."""
    message = _stored_message(ws, args, ts_argument="ts")
    if message.user != ws.bot_user_id:
        raise ApiError(not_the_bots)
    return message


def _read_content(ws: Workspace, args: Args) -> _Content:
    """text/markdown_text/blocks/attachments, checked; at least one must carry content (no_text)."""
    text = args.text("text")
    markdown_text = args.text("markdown_text")
    blocks_value = args.json("blocks", error="invalid_blocks_format")
    attachments_value = args.json("attachments", error="invalid_attachments")
    if markdown_text:
        if text or blocks_value:
            raise ApiError("markdown_text_conflict")
        if len(markdown_text) > MAX_MARKDOWN_TEXT:
            raise ApiError("msg_too_long")
        text = markdown_text
    if text is not None and len(text) > blockkit.MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    blocks: list[JsonDict] | None = None
    if blocks_value is not None:
        if not isinstance(blocks_value, list):
            raise ApiError("invalid_blocks_format")
        problems = blockkit.message_block_problems(blocks_value)
        if problems:
            raise ApiError("invalid_blocks", *problems)
        blocks = ws.stamp_block_ids(blocks_value)
    attachments: list[JsonDict] | None = None
    if attachments_value is not None:
        if not isinstance(attachments_value, list) or not all(isinstance(a, dict) for a in attachments_value):
            raise ApiError("invalid_attachments")
        if len(attachments_value) > MAX_ATTACHMENTS:
            raise ApiError("too_many_attachments")
        attachments = attachments_value
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    return _Content(text=text, blocks=blocks, attachments=attachments)


def _read_metadata(args: Args) -> tuple[bool, JsonDict | None]:
    """(given, metadata): ``{}`` is given-and-empty, which chat.update reads as "remove it"."""
    value = args.json("metadata", error="invalid_metadata_format")
    if value is None:
        return False, None
    if not isinstance(value, dict):
        raise ApiError("invalid_metadata_format")
    if not value:
        return True, None
    event_type = value.get("event_type")
    event_payload = value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(event_payload, dict):
        raise ApiError("invalid_metadata_schema")
    return True, {"event_type": event_type, "event_payload": event_payload}


def message_payload(ws: Workspace, message: Message) -> JsonDict:
    """The message as the Web API shows it (in chat.* answers and conversations.history)."""
    payload: JsonDict = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": ws.team_id,
    }
    if message.bot_id is not None:
        payload.update(bot_id=message.bot_id, app_id=ws.app_id)
    if message.blocks:
        payload["blocks"] = message.blocks
    if message.attachments:
        payload["attachments"] = message.attachments
    if message.files:
        payload["files"] = message.files
    if message.metadata is not None:
        payload["metadata"] = message.metadata
    if message.thread_ts is not None:
        payload["thread_ts"] = message.thread_ts
        parent = ws.messages.get(message.channel, {}).get(message.thread_ts)
        if parent is not None:
            payload["parent_user_id"] = parent.user
    if message.edited_ts is not None:
        payload["edited"] = {"user": message.user, "ts": message.edited_ts}
    return payload


METHODS: Final[dict[str, tuple[Handler, TokenKind]]] = {
    "chat.postMessage": (post_message, "bot"),
    "chat.update": (update, "bot"),
    "chat.delete": (delete, "bot"),
    "chat.postEphemeral": (post_ephemeral, "bot"),
    "chat.getPermalink": (get_permalink, "bot"),
}
