"""Socket Mode: Slack's events, commands and interactions over a WebSocket the bot opens itself.

`SocketLink` opens the link at start and fails fast with a message that says what to fix: an app
token Slack refuses (`invalid_auth`, `not_allowed_token_type`, …) or a link that does not come up
within `CONNECT_TIMEOUT` raise `SocketModeRefused` instead of retrying forever (slack_sdk's client
retries every failure, a refused token included). Once up, the client reconnects by itself; `problem`
says, for `/healthz`, whether the link is up right now. `close` never takes more than `CLOSE_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

CONNECT_TIMEOUT = 8.0  # seconds: a bad token or an unreachable Slack ends `serve` well within 10 s
CLOSE_TIMEOUT = 3.0  # seconds: SIGTERM stops the process well within 10 s

_FIX = (
    "set SLACK_APP_TOKEN to an App-Level Token (xapp-…) with connections:write, from api.slack.com/apps → "
    "your app → Basic Information → App-Level Tokens, and turn Socket Mode on under Socket Mode"
)


class SocketModeRefused(RuntimeError):
    """The Socket Mode link cannot be opened; the message says why and what to do."""


class SocketLink:
    """The bot's Socket Mode connection to Slack (see the module docstring)."""

    def __init__(self, bolt: AsyncApp, app_token: str) -> None:
        self._handler = AsyncSocketModeHandler(bolt, app_token)
        self._opened = False

    async def open(self) -> None:
        """Connect, or raise SocketModeRefused within about 2 × CONNECT_TIMEOUT."""
        client = self._handler.client
        try:
            client.wss_uri = await asyncio.wait_for(client.issue_new_wss_url(), CONNECT_TIMEOUT)
        except SlackApiError as exc:
            code = exc.response.get("error", "unknown_error")
            raise SocketModeRefused(f"Slack refused SLACK_APP_TOKEN ({code}): {_FIX}") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SocketModeRefused(f"could not reach Slack to open Socket Mode ({type(exc).__name__})") from None
        try:
            await asyncio.wait_for(self._handler.connect_async(), CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
        except TimeoutError:
            await self.close()
            raise SocketModeRefused(
                f"Slack's Socket Mode endpoint did not answer within {CONNECT_TIMEOUT:g}s; check this host can "
                "open outbound WebSocket connections to wss-primary.slack.com"
            ) from None
        self._opened = True

    async def problem(self) -> str | None:
        """None while the link is up; otherwise a line for `/healthz` (the client is reconnecting)."""
        if self._opened and await self._handler.client.is_connected():
            return None
        return "slack socket: not connected (Socket Mode); reconnecting"

    async def close(self) -> None:
        """Close the link; give up waiting after CLOSE_TIMEOUT (the process is stopping anyway)."""
        self._opened = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._handler.close_async(), CLOSE_TIMEOUT)  # type: ignore[no-untyped-call]
