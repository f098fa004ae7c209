"""The Web API's conversations.* methods: open a DM, info, join, members, history and replies.

Each handler takes the workspace and the request's arguments and returns the fields of the ``ok``
body, or raises ``ApiError`` with the code Slack documents for the method.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from standin.arguments import ApiError, Args, paginate
from standin.chat import message_payload
from standin.model import Channel, JsonDict, Message
from standin.workspace import Handler, TokenKind, Workspace, ts_key

__all__ = ["METHODS"]


def open_dm(ws: Workspace, args: Args) -> JsonDict:
    channel_id = args.text("channel")
    users = [u.strip() for u in (args.text("users") or "").split(",") if u.strip()]
    if channel_id:
        channel = ws.conversation(channel_id)
        if not channel.is_im:
            raise ApiError("method_not_supported_for_channel_type")
        created = False
    elif not users:
        raise ApiError("users_list_not_supplied")
    elif len(set(users)) > 1:
        raise ApiError("invalid_arguments", "[ERROR] stand-in: multi-person DMs are not modelled")
    else:
        user = ws.recipient(users[0], inactive_error="user_disabled")
        channel, created = ws.open_dm(user.id)
    body: JsonDict = {}
    if not created:
        body.update(no_op=True, already_open=True)
    body["channel"] = _channel_payload(ws, channel) if args.flag("return_im") else {"id": channel.id}
    return body


def info(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.conversation(args.required("channel", "channel_not_found"))
    payload = _channel_payload(ws, channel)
    if args.flag("include_num_members"):
        payload["num_members"] = len(channel.members)
    if args.flag("include_locale"):
        payload["locale"] = "en-US"
    return {"channel": payload}


def join(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.conversation(args.required("channel", "channel_not_found"))
    if channel.is_im or channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise ApiError("is_archived")
    if ws.bot_user_id in channel.members:
        return {
            "channel": _channel_payload(ws, channel),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    channel = replace(channel, members=(*channel.members, ws.bot_user_id))
    ws.channels[channel.id] = channel
    return {"channel": _channel_payload(ws, channel)}


def members(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.conversation(args.required("channel", "channel_not_found"))
    member_ids, next_cursor = paginate(channel.members, args, default_limit=100, limit_error="invalid_limit")
    return {"members": member_ids, "response_metadata": {"next_cursor": next_cursor}}


def history(ws: Workspace, args: Args) -> JsonDict:
    """Top-level messages (and broadcast replies), newest first, within `oldest`/`latest`."""
    channel = _readable(ws, args.required("channel", "channel_not_found"))
    messages = [m for m in ws.messages.get(channel.id, {}).values() if m.thread_ts is None or m.reply_broadcast]
    return _history_page(ws, sorted(messages, key=lambda m: ts_key(m.ts), reverse=True), args)


def replies(ws: Workspace, args: Args) -> JsonDict:
    """A thread, parent first, then replies oldest first (Slack's order)."""
    channel = _readable(ws, args.required("channel", "channel_not_found"))
    ts = args.required("ts", "thread_not_found")
    parent = ws.messages.get(channel.id, {}).get(ts)
    if parent is None:
        raise ApiError("thread_not_found")
    thread_replies = sorted(
        (m for m in ws.messages[channel.id].values() if m.thread_ts == ts), key=lambda m: ts_key(m.ts)
    )
    return _history_page(ws, [parent, *thread_replies], args)


def _readable(ws: Workspace, channel_id: str) -> Channel:
    channel = ws.conversation(channel_id)
    if not channel.is_im and ws.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    return channel


def _history_page(ws: Workspace, messages: list[Message], args: Args) -> JsonDict:
    oldest, latest = args.text("oldest"), args.text("latest")
    if oldest:
        messages = [m for m in messages if ts_key(m.ts) >= ts_key(oldest)]
    if latest:
        messages = [m for m in messages if ts_key(m.ts) <= ts_key(latest)]
    limit = args.integer("limit", error="invalid_limit") or 100
    with_metadata = args.flag("include_all_metadata")
    payloads = []
    for message in messages[:limit]:
        payload = message_payload(ws, message)
        if not with_metadata:
            payload.pop("metadata", None)
        payloads.append(payload)
    return {
        "messages": payloads,
        "has_more": len(messages) > limit,
        "pin_count": 0,
        "response_metadata": {"next_cursor": ""},
    }


def _channel_payload(ws: Workspace, channel: Channel) -> JsonDict:
    """The conversation as the Web API shows it: an im object for a DM, a channel object otherwise."""
    if channel.is_im:
        latest = ws.messages_in(channel.id)
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.user,
            "last_read": "0000000000.000000",
            "latest": message_payload(ws, latest[-1]) if latest else None,
            "unread_count": 0,
            "unread_count_display": 0,
            "is_open": True,
            "priority": 0,
        }
    empty_text = {"value": "", "creator": "", "last_set": 0}
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": channel.is_archived,
        "is_general": False,
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": ws.team_id,
        "creator": "",
        "is_member": ws.bot_user_id in channel.members,
        "topic": dict(empty_text),
        "purpose": dict(empty_text),
        "previous_names": [],
    }


METHODS: Final[dict[str, tuple[Handler, TokenKind]]] = {
    "conversations.open": (open_dm, "bot"),
    "conversations.info": (info, "bot"),
    "conversations.join": (join, "bot"),
    "conversations.members": (members, "bot"),
    "conversations.history": (history, "bot"),
    "conversations.replies": (replies, "bot"),
}
