"""`POST /slack/events`: Slack's signature is checked on the raw body before anything parses it.

| request                                               | response                        |
|-------------------------------------------------------|---------------------------------|
| body over 1 MiB                                       | 413                             |
| missing, garbled or stale timestamp; bad signature    | 401                             |
| signed, but not a payload Bolt can read               | 400                             |
| otherwise                                             | whatever the Bolt app answers   |

Bolt verifies requests too; checking first here means an unsigned request never reaches its body
parser (which raises on `payload=[]`), and a signed but malformed one is a 400, not a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.intake import UNIX_SECONDS
from bot.request_body import read_body

MAX_SLACK_BODY = 1024 * 1024  # aiohttp's own default limit; Slack's largest payloads (views) fit easily


def _refused(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status)


def slack_events_handler(bolt: AsyncApp, signing_secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler that verifies a Slack request (five-minute window) and hands it to `bolt`."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.Response:
        body = await read_body(request, MAX_SLACK_BODY)
        if body is None:
            return _refused(413, f"body is larger than {MAX_SLACK_BODY} bytes")
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        try:
            text = body.decode("utf-8")  # Slack signs UTF-8 text: other bytes cannot carry its signature
        except UnicodeDecodeError:
            text = None
        if (
            text is None
            or not UNIX_SECONDS.fullmatch(stamp)
            or not signature.isascii()  # `hmac.compare_digest` raises on non-ASCII text
            or not verifier.is_valid(body=text, timestamp=stamp, signature=signature)
        ):
            return _refused(401, "invalid Slack request signature or timestamp")
        try:
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
        except (ValueError, TypeError, AttributeError, LookupError, RecursionError) as exc:
            # Bolt's parser and context builder assume a well-formed payload and fail with these otherwise.
            return _refused(400, f"not a Slack payload: {type(exc).__name__}")
        if not isinstance(bolt_request.body, dict):
            return _refused(400, "not a Slack payload: expected an object")
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return handle
