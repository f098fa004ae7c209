"""The one place Slack Web API errors are narrowed into what callers act on.

The client gets no retry handlers: the outbox sender owns retries so that every attempt is recorded.

    SlackProblem
    ├── RateLimited        429: try again after `retry_after` seconds
    ├── SlackUnavailable   5xx, timeouts, connection failures, internal_error, …: back off and try again
    ├── RecipientGone      user_not_found, user_disabled, cannot_dm_bot, …: re-route the lead
    └── SlackRejected      any other error code (`needed`: the scope a missing_scope names); what it
                           means for delivery (our token, a channel, or this one message) is the outbox
                           transport's call (`bot.delivery.slack`)

`account_inactive` is about our own token (a deleted bot user or workspace), never a recipient.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import Metrics
from connectors.delivery import CALL_TIMEOUT

RECIPIENT_GONE = frozenset({"user_not_found", "cannot_dm_bot", "user_disabled", "users_not_found", "is_bot"})
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"})
TIMEOUT = CALL_TIMEOUT  # seconds per Web API call


class SlackProblem(Exception):
    def __init__(self, method: str, code: str) -> None:
        super().__init__(f"{method}: {code}")
        self.method = method
        self.code = code


class RateLimited(SlackProblem):
    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(method, "ratelimited")
        self.retry_after = retry_after


class SlackUnavailable(SlackProblem):
    pass


class RecipientGone(SlackProblem):
    pass


class SlackRejected(SlackProblem):
    def __init__(self, method: str, code: str, *, needed: str | None = None) -> None:
        super().__init__(method, code)
        self.needed = needed


def make_client(token: str, base_url: str | None, *, timeout: float = TIMEOUT) -> AsyncWebClient:
    """A Web API client that keeps its connections open between calls: without a session of its own,
    slack_sdk opens a new connection, with a TLS handshake, for every call. Make it inside the event
    loop; `Slack.close` closes it."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
    client = AsyncWebClient(
        token=token,
        base_url=base_url or "https://slack.com/api/",
        timeout=timeout,  # type: ignore[arg-type]
        session=session,
    )
    client.retry_handlers = []  # the outbox sender retries, and records every attempt
    return client


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One file to share: its bytes, its file name and the title Slack shows."""

    content: bytes
    filename: str
    title: str


class Slack:
    """Web API calls, timed and with their errors narrowed. `call` raises only SlackProblem."""

    def __init__(self, client: AsyncWebClient, metrics: Metrics) -> None:
        self.client = client
        self.metrics = metrics

    async def close(self) -> None:
        """Close the client's connections."""
        if self.client.session is not None:
            await self.client.session.close()

    async def call(self, method: str, **arguments: Any) -> dict[str, Any]:
        return _data(await self._timed(method, self.client.api_call(method, json=arguments)))

    async def granted_scopes(self) -> frozenset[str] | None:
        """`auth.test`, and the scopes our token holds as Slack lists them on every answer
        (`X-OAuth-Scopes`); None if the answer lists none. Raises SlackProblem."""
        response = await self._timed("auth.test", self.client.api_call("auth.test", json={}))
        header = next((value for name, value in response.headers.items() if name.lower() == "x-oauth-scopes"), None)
        if header is None:
            return None
        return frozenset(scope.strip() for scope in str(header).split(",") if scope.strip())

    async def upload(self, channel: str, files: Sequence[Upload], *, thread_ts: str | None = None) -> dict[str, Any]:
        """Share `files` in `channel` (in the thread of `thread_ts`) as one message, through slack_sdk's
        `files_upload_v2` (files.getUploadURLExternal, the upload URLs, files.completeUploadExternal)."""
        uploads = [{"content": f.content, "filename": f.filename, "title": f.title} for f in files]
        calling = self.client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=thread_ts)
        return _data(await self._timed("files.completeUploadExternal", calling))

    async def _timed(self, method: str, calling: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        """Await `calling`, timed under `method`, with its errors narrowed (raises only SlackProblem)."""
        started = time.perf_counter()
        try:
            return await calling
        except SlackApiError as exc:
            raise self._narrow(method, exc) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SlackUnavailable(method, type(exc).__name__) from exc
        finally:
            self.metrics.slack_call.labels(method).observe(time.perf_counter() - started)

    def _narrow(self, method: str, exc: SlackApiError) -> SlackProblem:
        status = exc.response.status_code
        code = str(exc.response.get("error", "unknown_error"))
        if status == 429:
            self.metrics.slack_rate_limited.inc()
            retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            return RateLimited(method, float(retry_after) if retry_after else 1.0)
        if status >= 500:
            return SlackUnavailable(method, f"http_{status}")
        if code in RECIPIENT_GONE:
            return RecipientGone(method, code)
        if code in TRANSIENT:
            return SlackUnavailable(method, code)
        needed = exc.response.get("needed")
        return SlackRejected(method, code, needed=str(needed) if needed else None)


def _data(response: AsyncSlackResponse) -> dict[str, Any]:
    return dict(response.data) if isinstance(response.data, dict) else {}
