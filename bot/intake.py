"""`POST /leads`: authenticate, bound, parse, validate, then hand the lead to the service.

Form tools authenticate with ``Authorization: Bearer <LEADRELAY_INTAKE_TOKEN>``, or sign the request
the way Slack signs its own: ``X-Leadrelay-Timestamp: <unix seconds>`` and
``X-Leadrelay-Signature: v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>" keyed by the token>``, valid for
five minutes. Both are compared in constant time.

| request                          | response                                               |
|----------------------------------|--------------------------------------------------------|
| no or bad credentials            | 401                                                    |
| body over 64 KiB                 | 413 (however it is sent; a longer one is not read)     |
| not UTF-8, not JSON              | 400                                                    |
| invalid fields                   | 422 naming every bad field (`?source=` as `source`)    |
| accepted                         | 202: lead id, state, assignee, rule, reasons, due_at   |
| repeat of (source, external_id)  | 200: the original result again                         |
| database busy or unreachable     | 503 with Retry-After; the sender tries again later     |

Nothing a sender sends reaches a parser or the database unchecked: headers are matched before they
are converted, the body goes through `bot.request_body.load_json` (sizes, depth, numbers, text a
store cannot hold) and then `bot.lead_input.parse_lead`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.lead_input import ParsedLead, parse_lead
from bot.request_body import BodyRejected, InputInvalid, load_json, read_body
from storage.errors import StorageBusy

MAX_BODY = 64 * 1024
SIGNATURE_WINDOW = 300  # seconds
TIMESTAMP_HEADER = "X-Leadrelay-Timestamp"
SIGNATURE_HEADER = "X-Leadrelay-Signature"
RETRY_AFTER = 5  # seconds a sender waits before retrying a lead the database was too busy to take
UNIX_SECONDS = re.compile(r"[0-9]{1,12}")  # ASCII digits only: `isdigit()` also takes '²', which `int()` refuses

log = logging.getLogger(__name__)

IntakeResult = tuple[bool, Mapping[str, Any]]  # (created, the response document)
Accept = Callable[[ParsedLead, Mapping[str, Any]], Awaitable[IntakeResult]]


def sign(token: str, timestamp: int, body: bytes) -> str:
    """The signature header value a sender computes (used by tests, `leadrelay import` and senders)."""
    digest = hmac.new(token.encode(), b"v1:%d:" % timestamp + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def _bearer_ok(header: str, token: str) -> bool:
    scheme, _, presented = header.partition(" ")
    # aiohttp keeps undecodable header bytes as surrogates: give them back as the bytes they were.
    presented_bytes = presented.strip().encode("utf-8", "surrogateescape")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented_bytes, token.encode())


def _signature_ok(headers: Mapping[str, str], body: bytes, token: str, now: float) -> bool:
    stamp, signature = headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, "")
    if not UNIX_SECONDS.fullmatch(stamp) or not signature:
        return False
    if abs(now - int(stamp)) > SIGNATURE_WINDOW:
        return False
    return hmac.compare_digest(sign(token, int(stamp), body).encode(), signature.encode("utf-8", "surrogateescape"))


def problem(status: int, error: str, **extra: Any) -> web.Response:
    return web.json_response({"error": error, **extra}, status=status)


def _unauthorized() -> web.Response:
    response = problem(401, "unauthorized: send 'Authorization: Bearer <token>' or a signed request")
    response.headers["WWW-Authenticate"] = 'Bearer realm="leadrelay"'
    return response


async def authenticated_body(request: web.Request, token: str, now: Callable[[], float]) -> bytes | web.Response:
    """The whole body of a request that authenticates as an intake sender (a bearer token or a signed
    body), or the response that refuses it: 401, or 413 for a body over `MAX_BODY` (not read further).
    `POST /leads` and `POST /outcomes` share it."""
    authorization = request.headers.get("Authorization")
    if authorization is not None and not _bearer_ok(authorization, token):
        return _unauthorized()
    body = await read_body(request, MAX_BODY)
    if body is None:
        return problem(413, f"body is larger than {MAX_BODY} bytes")
    if authorization is None and not _signature_ok(request.headers, body, token, now()):
        return _unauthorized()
    return body


def rejected(exc: BodyRejected | InputInvalid) -> web.Response:
    """400 or 422 naming every field that is wrong."""
    if isinstance(exc, BodyRejected):
        return problem(exc.status, exc.message, **({"fields": exc.fields} if exc.fields else {}))
    fields = [{"field": p.field, "message": p.message} for p in exc.problems]
    return problem(422, f"invalid {exc.noun}: {exc}", fields=fields)


def busy(exc: StorageBusy) -> web.Response:
    """503 with Retry-After: the database was too busy; the sender tries again shortly."""
    log.warning("intake answered 503: %s", exc)  # storage's message names the failure, never a value
    response = problem(503, "the database is busy; try again shortly")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def intake_handler(
    token: str, accept: Accept, now: Callable[[], float]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler. `accept` stores and routes a valid lead; `now` gives unix seconds."""

    async def handle(request: web.Request) -> web.Response:
        body = await authenticated_body(request, token, now)
        if isinstance(body, web.Response):
            return body
        try:
            raw = load_json(body)
            parsed = parse_lead(raw, default_source=request.query.get("source", "api"))
        except (BodyRejected, InputInvalid) as exc:
            return rejected(exc)
        try:
            created, document = await accept(parsed, raw)
        except StorageBusy as exc:
            return busy(exc)
        return web.json_response(document, status=202 if created else 200)

    return handle
