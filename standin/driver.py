"""Drive a Slack app the way Slack does: signed slash commands, button clicks, modal submissions and events.

Used by the tests and by `leadrelay demo`. `click` reads the button from the message or view as the
stand-in stored it, so a driver can only press what a person could see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from standin.server import SlackStandin


def slack_signature(body: bytes, timestamp: int, secret: str) -> str:
    """Slack's v0 request signature."""
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:" % timestamp + body, hashlib.sha256).hexdigest()


@dataclass
class Posted:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class SlackDriver:
    """Sends what Slack would send, signed, to `/slack/events`."""

    def __init__(self, base: str, standin: SlackStandin, session: aiohttp.ClientSession, signing_secret: str) -> None:
        self.base, self.standin, self.session = base, standin, session
        self.signing_secret = signing_secret

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Posted:
        stamp = int(time.time()) if timestamp is None else timestamp
        if signature is None:
            signature = slack_signature(body, stamp, self.signing_secret)
        headers = {
            **(headers or {}),
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature
            if signature is not None
            else slack_signature(body, stamp, self.signing_secret),
        }
        async with self.session.post(f"{self.base}/slack/events", data=body, headers=headers) as response:
            return Posted(response.status, await response.text())

    async def command(self, user: str, command: str, text: str = "", *, channel: str | None = None) -> Posted:
        form = {
            "token": "legacy",
            "team_id": self.standin.team_id,
            "channel_id": channel or self.dm(user),
            "user_id": user,
            "command": command,
            "text": text,
            "trigger_id": self.standin.issue_trigger_id(user),
            "response_url": self.standin.issue_response_url(user, channel or user),
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def dm(self, user: str) -> str:
        return self.standin.dm_channel_id(user) or "D0NONE00"

    def button(
        self, blocks: list[dict[str, Any]], action_id: str, value: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        for block in blocks:
            for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
                if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                    return block["block_id"], element
        raise AssertionError(f"no {action_id} button{'' if value is None else ' for ' + value} in these blocks")

    async def click(
        self,
        user: str,
        action_id: str,
        *,
        channel: str | None = None,
        ts: str | None = None,
        home: bool = False,
        value: str | None = None,
    ) -> Posted:
        """Press a button on a stored message (`channel`, `ts`) or on `user`'s Home tab."""
        if home:
            view = self.standin.home_view(user)
            assert view is not None, "no Home published"
            block_id, button = self.button(view.blocks, action_id, value)
            container: dict[str, Any] = {"type": "view", "view_id": view.id}
            extra: dict[str, Any] = {"view": {"id": view.id, "type": "home"}}
        else:
            assert channel and ts
            message = self.standin.message(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            block_id, button = self.button(message.blocks, action_id, value)
            container = {"type": "message", "message_ts": ts, "channel_id": message.channel}
            extra = {
                "channel": {"id": message.channel},
                "message": {"ts": ts, "text": message.text, "blocks": message.blocks},
            }
        payload = {
            "type": "block_actions",
            "container": container,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": button.get("value"),
                    "action_ts": str(time.time()),
                }
            ],
            "response_url": self.standin.issue_response_url(user, container.get("channel_id") or user),
            **extra,
        }
        return await self._interact(user, payload)

    async def shortcut(
        self, user: str, callback_id: str, *, channel: str | None = None, ts: str | None = None
    ) -> Posted:
        """Run a global shortcut, or with `channel` and `ts` a message shortcut on that stored message."""
        payload: dict[str, Any] = {
            "type": "shortcut",
            "callback_id": callback_id,
            "action_ts": str(time.time()),
        }
        if channel is not None and ts is not None:
            message = self.standin.message(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            payload |= {
                "type": "message_action",
                "channel": {"id": message.channel},
                "message_ts": ts,
                "message": {"ts": ts, "text": message.text, "user": message.user},
                "response_url": self.standin.issue_response_url(user, message.channel),
            }
        return await self._interact(user, payload)

    async def submit(self, user: str, values: dict[str, dict[str, Any]]) -> Posted:
        """Submit the modal on top of `user`'s stack. `values` maps block_id to the element's state."""
        views = self.standin.open_views(user)
        assert views, f"{user} has no modal open"
        view = views[-1]
        state = {block: {block: value} for block, value in values.items()}
        payload = {
            "type": "view_submission",
            "view": {
                "id": view.id,
                "type": "modal",
                "callback_id": view.callback_id,
                "private_metadata": view.private_metadata,
                "state": {"values": state},
                "hash": view.hash,
                "blocks": view.blocks,
            },
        }
        return await self._interact(user, payload)

    async def _interact(self, user: str, payload: dict[str, Any]) -> Posted:
        """Post an interaction payload from `user` the way Slack does: form-encoded, naming the team
        and the app, with a fresh trigger id that views.open and views.push accept once."""
        interaction = {
            **payload,
            "user": {"id": user},
            "team": {"id": self.standin.team_id},
            "api_app_id": self.standin.app_id,
            "trigger_id": self.standin.issue_trigger_id(user),
        }
        form = {"payload": json.dumps(interaction)}
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Posted:
        """Deliver an event; `event_id` and `retry` (its `X-Slack-Retry-Num`) replay a delivery as Slack
        retries one it saw no acknowledgement for."""
        envelope = {
            "token": "legacy",
            "team_id": self.standin.team_id,
            "api_app_id": self.standin.app_id,
            "type": "event_callback",
            "event_id": event_id or f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        retried = {} if retry is None else {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(envelope).encode(), "application/json", headers=retried)
