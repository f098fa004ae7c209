"""Untrusted request bodies: read whole and bounded, decoded into JSON that every store can hold.

`read_body` returns the whole body however the sender chunked it (one write or many, with
`Content-Length` or `Transfer-Encoding: chunked`), and stops reading as soon as it passes the limit.

`load_json` is the one place a body becomes a value. It fails with `BodyRejected` (status 400 or 422,
naming the field) instead of letting a parser or the database fail later:

- not UTF-8, not JSON, or nested so deep the decoder gives up: 400;
- ``NaN``, ``Infinity``, a number that overflows a float or has more than `MAX_NUMBER_CHARS`
  characters, or nesting deeper than `MAX_DEPTH`: 422 naming the top-level field;
- NUL and lone UTF-16 surrogates (which JSON can escape but PostgreSQL's JSONB and text columns cannot
  hold) are removed from every string and key, at any depth: NUL dropped, a lone surrogate replaced by
  U+FFFD. Both can only arrive as ``\\u`` escapes, so a body without one skips that work.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_DEPTH = 32  # lead fields are flat; a kept payload nests a little, never this much
MAX_NUMBER_CHARS = 40  # longer number literals are not lead data (and `int()` refuses past 4,300 digits)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Unrepresentable:
    """A number literal the decoder met that no store can keep: NaN, ±Infinity, an overflow, too long."""

    literal: str


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InputInvalid(ValueError):
    """The document cannot be accepted; `problems` names every offending field. `noun` says what the
    document is, in the answer's title (`invalid lead: …`)."""

    noun = "input"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(slots=True)
class BodyRejected(ValueError):
    """The body cannot be accepted: `status` 400 (not JSON) or 422, `fields` naming what is wrong."""

    status: int
    message: str
    fields: list[dict[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, however it arrived; None when it is longer than `limit` bytes.

    A declared `Content-Length` over the limit is refused before reading anything; otherwise reading
    stops at `limit + 1` bytes, so an endless chunked body costs at most that much.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        # `read(n)` returns what has arrived so far (at least one byte) and b"" only at the end.
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


def _number(literal: str) -> float | Unrepresentable:
    value = float(literal)
    return value if math.isfinite(value) and len(literal) <= MAX_NUMBER_CHARS else Unrepresentable(literal)


def _integer(literal: str) -> int | Unrepresentable:
    return int(literal) if len(literal) <= MAX_NUMBER_CHARS else Unrepresentable(literal)


_decode = json.JSONDecoder(parse_float=_number, parse_int=_integer, parse_constant=Unrepresentable).decode


def load_json(body: bytes) -> Any:
    """Decode `body` into a JSON value whose every string can be stored. Raises BodyRejected."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRejected(400, f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        value = _decode(text)
    except json.JSONDecodeError as exc:
        raise BodyRejected(400, f"body is not JSON: {exc}") from None
    except RecursionError:
        raise BodyRejected(400, f"body is not JSON we accept: nested deeper than {MAX_DEPTH} levels") from None
    problems: dict[str, str] = {}
    value = _clean(value, 0, "(body)", "\\u" in text, problems)
    if problems:
        fields = [{"field": name, "message": message} for name, message in problems.items()]
        raise BodyRejected(422, "invalid lead: " + "; ".join(f"{f['field']}: {f['message']}" for f in fields), fields)
    return value


def _clean(value: Any, depth: int, name: str, escaped: bool, problems: dict[str, str]) -> Any:
    """`value` with every string made storable; what cannot be stored goes into `problems` under `name`
    (the top-level key it is under, `""` for the empty key, or "(body)": a field is never named by
    nothing).

    `escaped`: the body has a ``\\u`` escape somewhere, so strings may hold NUL or lone surrogates.
    """
    kind = type(value)
    if kind is str:
        return _clean_text(value) if escaped else value
    if kind is Unrepresentable:
        problems.setdefault(name, f"{value.literal} is not a number that can be stored")
        return None
    if kind is dict or kind is list:
        if depth >= MAX_DEPTH:
            problems.setdefault(name, f"nested deeper than {MAX_DEPTH} levels")
            return None
        if kind is list:
            return [_clean(item, depth + 1, name, escaped, problems) for item in value]
        return {
            (_clean_text(key) if escaped else key): _clean(
                item, depth + 1, (key or '""') if depth == 0 else name, escaped, problems
            )
            for key, item in value.items()
        }
    return value


def _clean_text(text: str) -> str:
    return _UNSTORABLE.sub(_replacement, text) if _UNSTORABLE.search(text) else text


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"
