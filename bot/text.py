"""Safe mrkdwn text for Slack: escaping, truncation, mentions, dates and durations.

Slack reads ``&``, ``<`` and ``>`` as control characters in message text: ``<!channel>`` pings a whole
channel, ``<@U123>`` mentions someone and ``<https://x|label>`` disguises a link. Every string that
came from a lead, a user or a file goes through `escape` (or `inline`, which also flattens it to one
line) before it is placed in a message; only Leadrelay's own tokens (`mention`, `slack_date`) stay
unescaped. Everything here is pure: no clock, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from routing import RoutingConfig

ELLIPSIS = "…"
DEFAULT_DATE_FALLBACK = "%b %d %H:%M UTC"


def escape(text: str) -> str:
    """`text` with ``&``, ``<`` and ``>`` replaced by ``&amp;``, ``&lt;`` and ``&gt;``, as Slack requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TOKEN = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def plain(text: str, name_of: Callable[[str], str | None] = lambda _user: None) -> str:
    """Slack message text as a person reads it, for reuse outside Slack (a lead's note): ``<@U123>``
    becomes ``@Name`` (`name_of` the user id, else the label, else ``@someone``), ``<#C1|sales>``
    ``#sales``, ``<mailto:a@b.c|a@b.c>`` the address, ``<https://x|label>`` ``label (https://x)``,
    ``<!here>`` ``@here``, and ``&amp;``, ``&lt;``, ``&gt;`` their characters."""

    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (name_of(target[1:]) or label or "someone")
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            keyword = target[1:].split("^")[0]
            return _SPECIAL.get(keyword, label or "")
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    unwrapped = _TOKEN.sub(readable, text)
    return unwrapped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else a prefix ending in ``…`` of at most `limit`.

    The cut never splits an escape sequence (``&amp;``) or a ``<…>`` token (a mention or a date): such
    a fragment is dropped whole, so truncating escaped text keeps it escaped. Raises ValueError if
    `limit` < 1.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    amp = head.rfind("&", max(0, len(head) - len("&amp;") + 1))
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    bracket = head.rfind("<")
    if bracket != -1 and ">" not in head[bracket:]:
        head = head[:bracket]
    return head.rstrip() + ELLIPSIS


def inline(text: str, limit: int) -> str:
    """Untrusted `text` as one line of safe mrkdwn of at most `limit` characters.

    Control characters and bidirectional overrides become spaces and runs of whitespace (newlines
    included) one space, so a value cannot fake extra lines in a card or reverse the text after it;
    then the text is escaped and truncated. May return "".
    """
    visible = "".join(" " if _hidden(char) else char for char in text)
    return truncate(escape(" ".join(visible.split())), limit)


# Bidirectional overrides and isolates: in a lead's value they could make the rest of a line read
# backwards ("Accept" shown as "tpeccA").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _hidden(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def mention(config: RoutingConfig, person_id: str) -> str:
    """``<@SLACKID>`` for a rep or manager with a Slack id, else their name (escaped) from the config.

    An id the config does not know renders as the id itself, escaped.
    """
    slack_id = config.slack_id(person_id)
    if slack_id:
        return f"<@{slack_id}>"
    return escape(config.person_name(person_id))


def slack_date(moment: datetime, fallback_format: str = DEFAULT_DATE_FALLBACK) -> str:
    """A ``<!date^…>`` token: each reader sees `moment` in their own time zone ("Today at 3:04 PM").

    Clients that cannot render the token show `moment` in UTC, formatted with `fallback_format`
    (strftime). Raises ValueError for a naive `moment`.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    fallback = escape(moment.astimezone(UTC).strftime(fallback_format))
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def duration(delta: timedelta) -> str:
    """A span as people say it, to the nearest minute (4m59s is "5 minutes"): "less than a minute",
    "1 minute", "2 hours 5 minutes", "3 days 4 hours" (minutes are dropped from a day or more)."""
    if delta.total_seconds() < 60:
        return "less than a minute"
    minutes = int((delta.total_seconds() + 30) // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [(days, "day"), (hours, "hour")]
    elif hours:
        parts = [(hours, "hour"), (minutes, "minute")]
    else:
        parts = [(minutes, "minute")]
    return " ".join(f"{count} {unit}{'' if count == 1 else 's'}" for count, unit in parts if count)
