"""Builders for the Events API payloads Slack would send to the bot.

Pure functions returning plain dicts shaped like Slack's ``event_callback`` envelopes. Signing and
delivering them to ``/slack/events`` is the request driver's job, not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["app_home_opened_envelope"]


def app_home_opened_envelope(
    *,
    user_id: str,
    channel_id: str,
    team_id: str,
    api_app_id: str,
    bot_user_id: str,
    event_ts: str,
    event_id: str,
    tab: Literal["home", "messages"] = "home",
    view: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``event_callback`` envelope for ``app_home_opened`` (a user clicked into the App Home).

    ``channel_id`` is the user's DM with the app and ``event_ts`` a Slack ts string; ``event_time``
    is its whole seconds. ``view`` is the Home view currently published for the user: Slack includes
    it only once one has been published, so it is left out when None.
    """
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = dict(view)
    return {
        "token": "standin-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(event_ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
