"""Reading a Web API request the way Slack does: arguments, tokens, pages, and API error bodies.

``ApiError`` is the one exception a method handler raises: it becomes HTTP 200 with
``{"ok": false, "error": code}``, Slack's answer for every API-level error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from aiohttp import web

from standin.model import JsonDict

__all__ = ["ApiError", "Args", "missing_argument", "paginate", "read_args", "request_token"]

_T = TypeVar("_T")

MAX_PAGE: Final = 1000
_FORM_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class ApiError(Exception):
    """A Slack API error: becomes HTTP 200 ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, *messages: str) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error": self.code}
        if self.messages:
            body["response_metadata"] = {"messages": list(self.messages)}
        return body


def missing_argument(name: str) -> ApiError:
    return ApiError("invalid_arguments", f"[ERROR] missing required field: {name}")


class Args:
    """A request's arguments with Slack's coercions: form values are strings, JSON keeps types."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw

    def text(self, name: str) -> str | None:
        """The argument as a string; None when absent. An array or object is ``invalid_array_arg``."""
        value = self._raw.get(name)
        if value is None:
            return None
        if isinstance(value, list | dict):
            raise ApiError("invalid_array_arg")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def required(self, name: str, error: str | None = None) -> str:
        """A non-empty string argument; absent or empty raises ``error`` (default invalid_arguments)."""
        value = self.text(name)
        if not value:
            raise ApiError(error) if error else missing_argument(name)
        return value

    def flag(self, name: str) -> bool:
        return self._raw.get(name) in (True, 1, "1", "true", "True")

    def integer(self, name: str, *, error: str) -> int | None:
        value = self._raw.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(error) from None

    def json(self, name: str, *, error: str) -> Any:
        """A JSON argument, decoded when it came as a string (form data); None when absent or empty."""
        value = self._raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(error) from None
        if isinstance(value, list | dict):
            return value
        raise ApiError(error)


async def read_args(request: web.Request) -> JsonDict:
    """Merge query-string and body arguments the way Slack reads them.

    slack_sdk sends some methods as JSON and others as query parameters or form data. Slack ignores
    a ``token`` inside a JSON body (JSON requests must authenticate with the header), so it is dropped.
    """
    args: JsonDict = dict(request.query)
    if not request.body_exists:
        return args
    if "Content-Type" not in request.headers:
        raise ApiError("missing_post_type")
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError("invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError("invalid_json")
        body.pop("token", None)
        args.update(body)
    elif content_type in _FORM_TYPES:
        form = await request.post()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    else:
        raise ApiError("invalid_post_type")
    return args


def request_token(request: web.Request, args: Mapping[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and header[len("Bearer ") :].strip():
        return header[len("Bearer ") :].strip()
    token = args.get("token")
    return token if isinstance(token, str) and token else None


def paginate(items: Sequence[_T], args: Args, *, default_limit: int | None, limit_error: str) -> tuple[list[_T], str]:
    """One page of ``items`` and the ``next_cursor`` ("" on the last page), Slack-style.

    Cursors are opaque base64 strings; one not issued by this pagination is ``invalid_cursor``.
    """
    offset = 0
    cursor = args.text("cursor")
    if cursor:
        try:
            kind, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
            offset = int(number)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiError("invalid_cursor") from None
        if kind != "offset" or not 0 <= offset <= len(items):
            raise ApiError("invalid_cursor")
    limit = args.integer("limit", error=limit_error)
    if limit is not None and limit < 0:
        raise ApiError(limit_error)
    if not limit:  # absent or 0
        limit = default_limit
    end = len(items) if limit is None else min(offset + min(limit, MAX_PAGE), len(items))
    page = list(items[offset:end])
    next_cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return page, next_cursor
