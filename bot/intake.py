"""`POST /leads`: authenticate, bound, parse, validate, then hand the lead to the service.

Form tools authenticate with ``Authorization: Bearer <LEADRELAY_INTAKE_TOKEN>``, or sign the request
the way Slack signs its own: ``X-Leadrelay-Timestamp: <unix seconds>`` and
``X-Leadrelay-Signature: v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>" keyed by the token>``, valid for
five minutes. Both are compared in constant time.

| request                          | response                                               |
|----------------------------------|--------------------------------------------------------|
| no or bad credentials            | 401                                                    |
| body over 64 KiB                 | 413                                                    |
| not JSON                         | 400                                                    |
| invalid fields                   | 422 naming every bad field                             |
| accepted                         | 202: lead id, state, assignee, rule, reasons, due_at   |
| repeat of (source, external_id)  | 200: the original result again                         |
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.lead_input import LeadInvalid, ParsedLead, parse_lead

MAX_BODY = 64 * 1024
SIGNATURE_WINDOW = 300  # seconds
TIMESTAMP_HEADER = "X-Leadrelay-Timestamp"
SIGNATURE_HEADER = "X-Leadrelay-Signature"

IntakeResult = tuple[bool, Mapping[str, Any]]  # (created, the response document)
Accept = Callable[[ParsedLead, Mapping[str, Any]], Awaitable[IntakeResult]]


def sign(token: str, timestamp: int, body: bytes) -> str:
    """The signature header value a sender computes (used by tests, `leadrelay import` and senders)."""
    digest = hmac.new(token.encode(), b"v1:%d:" % timestamp + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def _bearer_ok(header: str, token: str) -> bool:
    scheme, _, presented = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def _signature_ok(headers: Mapping[str, str], body: bytes, token: str, now: float) -> bool:
    stamp, signature = headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, "")
    if not stamp.isdigit() or not signature:
        return False
    if abs(now - int(stamp)) > SIGNATURE_WINDOW:
        return False
    return hmac.compare_digest(sign(token, int(stamp), body).encode(), signature.encode())


def _problem(status: int, error: str, **extra: Any) -> web.Response:
    return web.json_response({"error": error, **extra}, status=status)


def _unauthorized() -> web.Response:
    response = _problem(401, "unauthorized: send 'Authorization: Bearer <token>' or a signed request")
    response.headers["WWW-Authenticate"] = 'Bearer realm="leadrelay"'
    return response


def intake_handler(
    token: str, accept: Accept, now: Callable[[], float]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler. `accept` stores and routes a valid lead; `now` gives unix seconds."""

    async def handle(request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization")
        if authorization is not None and not _bearer_ok(authorization, token):
            return _unauthorized()
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _problem(413, f"body is larger than {MAX_BODY} bytes")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _problem(413, f"body is larger than {MAX_BODY} bytes")
        if authorization is None and not _signature_ok(request.headers, body, token, now()):
            return _unauthorized()
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _problem(400, f"body is not JSON: {exc}")
        source = request.query.get("source", "api")
        try:
            parsed = parse_lead(raw, default_source=source)
        except LeadInvalid as exc:
            fields = [{"field": p.field, "message": p.message} for p in exc.problems]
            return _problem(422, "invalid lead: " + "; ".join(str(p) for p in exc.problems), fields=fields)
        created, document = await accept(parsed, raw)
        return web.json_response(document, status=202 if created else 200)

    return handle
