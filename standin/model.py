"""The values the Slack stand-in hands to tests: users, conversations, messages, views and API calls.

Frozen: the stand-in replaces them on change instead of mutating them, so an object a test holds
stays as it was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ApiCall",
    "Channel",
    "EphemeralMessage",
    "JsonDict",
    "Message",
    "User",
    "UserFault",
    "View",
    "ViewType",
]

JsonDict = dict[str, Any]
UserFault = Literal["user_not_found", "user_disabled", "cannot_dm_bot"]
ViewType = Literal["modal", "home"]


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A workspace member. ``deleted`` is Slack's word for deactivated."""

    id: str
    name: str
    real_name: str
    email: str | None
    tz: str
    tz_offset: int
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """A conversation: a channel (``C…``, public or private) or the bot's DM with one user (``D…``).

    ``name`` is None and ``user`` is the other party for a DM; ``members`` keeps joining order. An
    archived channel keeps its messages and refuses new ones (``is_archived``).
    """

    id: str
    name: str | None
    is_im: bool
    is_private: bool
    user: str | None
    members: tuple[str, ...]
    created: int
    is_archived: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A message as Slack stores it.

    ``blocks`` are what the client sent, except that a block without a ``block_id`` gets a generated
    one, as Slack does (interaction payloads quote it). ``metadata`` is ``{"event_type": ...,
    "event_payload": {...}}`` or None. ``thread_ts`` is set on replies only. ``edited_ts`` is set by
    chat.update.
    """

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[JsonDict] = field(default_factory=list)
    attachments: list[JsonDict] = field(default_factory=list)
    metadata: JsonDict | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    bot_id: str | None = None
    edited_ts: str | None = None
    files: list[JsonDict] = field(default_factory=list)  # files shared by files.completeUploadExternal

    @property
    def event_type(self) -> str | None:
        """The metadata ``event_type``, or None without metadata."""
        return None if self.metadata is None else str(self.metadata["event_type"])

    @property
    def event_payload(self) -> JsonDict | None:
        """The metadata ``event_payload``, or None without metadata."""
        return None if self.metadata is None else dict(self.metadata["event_payload"])


@dataclass(frozen=True, slots=True, kw_only=True)
class EphemeralMessage:
    """A message only ``user`` saw in ``channel``; Slack keeps no copy, the stand-in records it."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[JsonDict] = field(default_factory=list)
    thread_ts: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """A modal (``type="modal"``) or an App Home tab (``type="home"``) shown to ``user_id``.

    ``id`` is stable across views.update and, for a Home tab, across views.publish; ``hash`` changes
    on every change, as Slack's does.
    """

    id: str
    user_id: str
    type: ViewType
    blocks: list[JsonDict]
    title: JsonDict | None = None
    submit: JsonDict | None = None
    close: JsonDict | None = None
    callback_id: str = ""
    private_metadata: str = ""
    external_id: str = ""
    hash: str = ""
    root_view_id: str = ""
    previous_view_id: str | None = None
    clear_on_close: bool = False
    notify_on_close: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiCall:
    """One request the stand-in received, in arrival order.

    ``args`` are the arguments as sent (token removed; form values are strings, so ``blocks`` may
    be a JSON string). ``status`` is the HTTP status sent back; None while a timeout fault holds the
    answer back, and for good when the client gave up first. ``response`` is the body sent, or held
    back; None when the call was not carried out. ``fault`` names the injected fault, if any.
    """

    method: str
    args: JsonDict
    at: float
    status: int | None
    response: JsonDict | None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        """True when Slack carried the call out successfully (whether or not the client saw it)."""
        return self.response is not None and self.response.get("ok") is True

    @property
    def error(self) -> str | None:
        """The Slack error code of the response, if it was an error."""
        return None if self.response is None else self.response.get("error")
