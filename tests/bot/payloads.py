"""Interaction payloads as Slack shapes them, with whatever values a test (or a fuzzer) puts in.

`SlackDriver.click` and `.submit` can only press what the stand-in shows; these build the same
envelopes around any value, for a stale button, a forged id or a tampered modal. `form` encodes one
as the signed form body Slack posts to `/slack/events`.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
TEAM, APP = "T0STANDIN", "A0STANDIN"


def form(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def block_action(
    user: str, action_id: str, value: Any, *, trigger_id: str = "1.2.bogus", channel: str | None = None
) -> dict[str, Any]:
    """A button press on a message in `channel` (or on the Home tab without one) carrying `value`."""
    container: dict[str, Any] = (
        {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel}
        if channel
        else {"type": "view", "view_id": "VHOME"}
    )
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": TEAM},
        "api_app_id": APP,
        "trigger_id": trigger_id,
        "container": container,
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": str(time.time())}
        ],
    }
    if channel:
        payload["channel"] = {"id": channel}
    return payload


def view_submission(
    user: str, callback_id: str, *, private_metadata: Any, values: dict[str, dict[str, Any]], view_id: str = "VFORGED"
) -> dict[str, Any]:
    """A modal submission; `values` maps each input (block_id == action_id) to its element state."""
    return {
        "type": "view_submission",
        "user": {"id": user},
        "team": {"id": TEAM},
        "api_app_id": APP,
        "trigger_id": "1.2.bogus",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {block: {block: state} for block, state in values.items()}},
            "hash": "1.hash",
        },
    }


def shortcut(user: str, callback_id: str, *, trigger_id: str = "1.2.bogus") -> dict[str, Any]:
    return {
        "type": "shortcut",
        "callback_id": callback_id,
        "user": {"id": user},
        "team": {"id": TEAM},
        "api_app_id": APP,
        "trigger_id": trigger_id,
        "action_ts": str(time.time()),
    }
