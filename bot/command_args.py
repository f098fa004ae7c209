"""Parsing slash-command text: pure, and every mistake comes back as the command's usage line.

Slack sends mentions escaped (the manifest sets should_escape), as ``<@U123|alice>`` or ``<@U123>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PTO_USAGE = (
    "Usage: `/pto 2026-12-01 2026-12-05`, `/pto today`, `/pto until 2026-12-05`, `/pto clear`, "
    "or just `/pto` for a date picker. Managers can add a rep first: `/pto @rep …`."
)
CAPACITY_USAGE = (
    "Usage: `/capacity` to see your load, `/capacity 8` to set it, `/capacity pause` to take no new leads "
    "until `/capacity resume`; managers: `/capacity @rep 8`."
)
MAX_CAPACITY = 200
MAX_PTO_DAYS = 366  # the longest window, and how far ahead its last day may be

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


class UsageError(ValueError):
    """The text could not be read; the message is what to show the person (usage included)."""


@dataclass(frozen=True, slots=True)
class PtoRequest:
    target: str | None  # Slack user id of the rep, when a manager names one
    clear: bool = False
    first_day: date | None = None  # None with clear=False: open the date picker
    last_day: date | None = None


@dataclass(frozen=True, slots=True)
class CapacityRequest:
    target: str | None
    value: int | None  # None: show, don't change
    paused: bool | None = None  # True: pause, False: resume, None: leave as it is


def _split_target(text: str) -> tuple[str | None, list[str]]:
    words = text.split()
    if words and (match := _MENTION.match(words[0])):
        return match.group(1), words[1:]
    if words and words[0].startswith("@"):
        raise UsageError(f"I couldn't tell who {words[0]} is; pick them from the @-mention list. ")
    return None, words


def _day(word: str, today: date) -> date:
    if word.lower() == "today":
        return today
    if word.lower() == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(f"{word!r} is not a date like 2026-12-01. {PTO_USAGE}") from None


def parse_pto(text: str, today: date) -> PtoRequest:
    """`today` is the rep's local date. Raises UsageError."""
    target, words = _split_target(text)
    lowered = [word.lower() for word in words]
    if not words:
        return PtoRequest(target)
    if lowered == ["clear"]:
        return PtoRequest(target, clear=True)
    if lowered[0] == "until" and len(words) == 2:
        first, last = today, _day(words[1], today)
    elif len(words) == 1:
        first = last = _day(words[0], today)
    elif len(words) == 2:
        first, last = _day(words[0], today), _day(words[1], today)
    else:
        raise UsageError(PTO_USAGE)
    try:
        check_pto_days(first, last, today)
    except UsageError as problem:
        raise UsageError(f"{problem} {PTO_USAGE}") from None
    return PtoRequest(target, first_day=first, last_day=last)


def check_pto_days(first: date, last: date, today: date) -> None:
    """The one rule for a PTO window, typed or picked: `last` on or after `first`, not past, at most
    `MAX_PTO_DAYS` long and ending within `MAX_PTO_DAYS` of `today` (the rep's local date). Raises
    UsageError saying what is wrong, in a sentence short enough for a modal field."""
    if last < first:
        raise UsageError(f"The last day ({last}) is before the first ({first}).")
    if last < today:
        raise UsageError(f"{last} is already past.")
    if (last - first).days >= MAX_PTO_DAYS or (last - today).days >= MAX_PTO_DAYS:
        raise UsageError(f"PTO is set at most a year ahead, {MAX_PTO_DAYS} days at a time.")


def parse_capacity(text: str) -> CapacityRequest:
    """Raises UsageError."""
    target, words = _split_target(text)
    if not words:
        return CapacityRequest(target, None)
    if len(words) == 1 and words[0].lower() in ("pause", "resume"):
        return CapacityRequest(target, None, paused=words[0].lower() == "pause")
    if len(words) != 1:
        raise UsageError(CAPACITY_USAGE)
    try:
        return CapacityRequest(target, capacity_value(words[0]))
    except UsageError as problem:
        raise UsageError(f"{problem} {CAPACITY_USAGE}") from None


def capacity_value(text: str) -> int:
    """The one rule for a capacity, typed or entered in the modal: ASCII digits, 0 to `MAX_CAPACITY`.
    Raises UsageError saying what is wrong."""
    if not (text.isascii() and text.isdigit()):
        raise UsageError("A capacity is a whole number, like 8.")
    if len(text) > len(str(MAX_CAPACITY)) or int(text) > MAX_CAPACITY:
        raise UsageError(f"At most {MAX_CAPACITY} open leads; pick a smaller number.")
    return int(text)
