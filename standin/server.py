"""A local stand-in of the Slack Web API, for tests and ``leadrelay demo``.

``SlackStandin`` is an aiohttp server on 127.0.0.1 that the real ``slack_sdk`` client talks to::

    async with SlackStandin(tokens={"xoxb-test"}) as slack:
        alice = slack.add_user("alice", email="alice@example.com")
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
        await client.chat_postMessage(channel=alice.id, text="New lead")
        assert slack.messages_in(alice.id)[0].text == "New lead"

It keeps Slack's state (users, channels and the bot's DMs, messages by ``ts`` with threads and
metadata, ephemeral messages, modal stacks and App Home views, trigger ids), checks arguments and
Block Kit limits, and answers with Slack's own response shapes and error codes: HTTP 200 with
``{"ok": false, "error": ...}`` for API errors, a real 429 with ``Retry-After`` or a 5xx only when a
fault is injected through ``standin.faults``.

Tests observe the outcome through plain Python (``calls``, ``messages_in``, ``thread``,
``ephemerals_for``, ``home_view``, ``open_views``...) and set the scene with ``add_user``,
``add_channel``, ``deactivate_user`` and friends. Everything runs on one event loop: use the object
from the loop that serves it; it is not thread-safe.

Errors: the setup API raises ``ValueError`` for arguments Slack could never accept (an unknown
time zone, a fault on a misspelt method) so a broken test fails where it is written, and
``RuntimeError`` for lifecycle misuse (``url`` before ``start``, starting twice).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from standin import blockkit
from standin.payloads import app_home_opened_envelope

__all__ = [
    "ANY_METHOD",
    "TRIGGER_TTL_SECONDS",
    "ApiCall",
    "Channel",
    "EphemeralMessage",
    "Faults",
    "Message",
    "SlackStandin",
    "User",
    "UserFault",
    "View",
]

JsonDict = dict[str, Any]
UserFault = Literal["user_not_found", "account_inactive", "cannot_dm_bot"]
ViewType = Literal["modal", "home"]
_TokenKind = Literal["bot", "app"]
_T = TypeVar("_T")

TRIGGER_TTL_SECONDS: Final = 3.0
"""A trigger id can be exchanged once, within this many seconds of the interaction that issued it."""
ANY_METHOD: Final = "*"
"""Pass as the method of a call fault to make it match every method."""

MAX_MODAL_STACK: Final = 3
MAX_MARKDOWN_TEXT: Final = 12_000
MAX_ATTACHMENTS: Final = 100
MAX_PAGE: Final = 1000

# Slack ids are upper-case; channel names are lower-case, so the two never collide.
_USER_ID: Final = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_FORM_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


# --------------------------------------------------------------------------------------------------
# Value objects handed to tests. Frozen: the stand-in replaces them on change instead of mutating
# them, so an object a test holds stays as it was read.


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

    ``name`` is None and ``user`` is the other party for a DM; ``members`` keeps joining order.
    """

    id: str
    name: str | None
    is_im: bool
    is_private: bool
    user: str | None
    members: tuple[str, ...]
    created: int


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


# --------------------------------------------------------------------------------------------------
# Fault injection


@dataclass(slots=True, kw_only=True)
class _CallFault:
    kind: Literal["ratelimited", "server_error", "timeout"]
    method: str
    remaining: int
    retry_after: int = 0
    status: int = 500
    delay: float = 0.0
    processed: bool = False


class Faults:
    """Failures to inject into the stand-in.

    Call faults (``rate_limit``, ``server_error``, ``timeout``) apply to the next ``times`` calls of
    ``method`` (or of any method with ``ANY_METHOD``) and then disappear. They are consumed in the
    order they were added: a call takes the oldest pending fault that matches it, so
    ``rate_limit("chat.postMessage"); server_error("chat.postMessage")`` makes the first post
    answer 429 and the second 500. A call fault applies after authentication succeeded.

    User faults (``user_error``) stay until cleared and make every post to that user (chat.postMessage
    to their id or DM, chat.postEphemeral to them, conversations.open with them) fail with the code.
    """

    def __init__(self, methods: Iterable[str]) -> None:
        self._methods = frozenset(methods)
        self._calls: list[_CallFault] = []
        self._users: dict[str, UserFault] = {}

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer HTTP 429 ``{"ok": false, "error": "ratelimited"}`` with ``Retry-After: retry_after``."""
        if retry_after < 0:
            raise ValueError(f"retry_after must be >= 0 seconds, got {retry_after}")
        self._add(_CallFault(kind="ratelimited", method=method, remaining=times, retry_after=retry_after))

    def server_error(self, method: str, *, times: int = 1, status: int = 500) -> None:
        """Answer HTTP ``status`` (5xx) without carrying the call out."""
        if not 500 <= status <= 599:
            raise ValueError(f"status must be a 5xx code, got {status}")
        self._add(_CallFault(kind="server_error", method=method, remaining=times, status=status))

    def timeout(self, method: str, *, times: int = 1, delay: float = 5.0, processed: bool = False) -> None:
        """Hold the answer for ``delay`` seconds (an ``asyncio.sleep``, so client timeouts trip).

        With ``processed=False`` the call is carried out after the delay, and only if the client is
        still waiting: a client that timed out changed nothing. With ``processed=True`` the call is
        carried out at once and only the answer is late: the ambiguous case where Slack posted the
        message but the client never learnt its ``ts``, which a sender must de-duplicate.
        Stopping the stand-in cuts the delay short.
        """
        if delay <= 0:
            raise ValueError(f"delay must be > 0 seconds, got {delay}")
        self._add(_CallFault(kind="timeout", method=method, remaining=times, delay=delay, processed=processed))

    def user_error(self, user_id: str, error: UserFault) -> None:
        """Make every post to ``user_id`` fail with ``error`` until ``clear_user_error``/``clear``."""
        if error not in get_args(UserFault):
            raise ValueError(f"unsupported user error {error!r}; expected one of {get_args(UserFault)}")
        self._users[user_id] = error

    def clear_user_error(self, user_id: str) -> None:
        """Let posts to ``user_id`` succeed again."""
        self._users.pop(user_id, None)

    def clear(self) -> None:
        """Drop every pending call fault and user fault."""
        self._calls.clear()
        self._users.clear()

    @property
    def pending(self) -> int:
        """How many faulty answers are still queued (a fault with ``times=3`` counts 3)."""
        return sum(fault.remaining for fault in self._calls)

    def _add(self, fault: _CallFault) -> None:
        if fault.method != ANY_METHOD and fault.method not in self._methods:
            raise ValueError(f"unknown Slack method {fault.method!r}")
        if fault.remaining < 1:
            raise ValueError(f"times must be >= 1, got {fault.remaining}")
        self._calls.append(fault)

    def _take(self, method: str) -> _CallFault | None:
        for fault in self._calls:
            if fault.method in (method, ANY_METHOD):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._calls.remove(fault)
                return fault
        return None

    def _for_user(self, user_id: str) -> UserFault | None:
        return self._users.get(user_id)


# --------------------------------------------------------------------------------------------------
# Request plumbing


class _ApiError(Exception):
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


def _missing(name: str) -> _ApiError:
    return _ApiError("invalid_arguments", f"[ERROR] missing required field: {name}")


class _Args:
    """A request's arguments with Slack's coercions: form values are strings, JSON keeps types."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw

    def text(self, name: str) -> str | None:
        """The argument as a string; None when absent. An array or object is ``invalid_array_arg``."""
        value = self._raw.get(name)
        if value is None:
            return None
        if isinstance(value, list | dict):
            raise _ApiError("invalid_array_arg")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def required(self, name: str, error: str | None = None) -> str:
        """A non-empty string argument; absent or empty raises ``error`` (default invalid_arguments)."""
        value = self.text(name)
        if not value:
            raise _ApiError(error) if error else _missing(name)
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
            raise _ApiError(error) from None

    def json(self, name: str, *, error: str) -> Any:
        """A JSON argument, decoded when it came as a string (form data); None when absent or empty."""
        value = self._raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _ApiError(error) from None
        if isinstance(value, list | dict):
            return value
        raise _ApiError(error)


async def _read_args(request: web.Request) -> JsonDict:
    """Merge query-string and body arguments the way Slack reads them.

    slack_sdk sends some methods as JSON and others as query parameters or form data. Slack ignores
    a ``token`` inside a JSON body (JSON requests must authenticate with the header), so it is dropped.
    """
    args: JsonDict = dict(request.query)
    if not request.body_exists:
        return args
    if "Content-Type" not in request.headers:
        raise _ApiError("missing_post_type")
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _ApiError("invalid_json") from None
        if not isinstance(body, dict):
            raise _ApiError("invalid_json")
        body.pop("token", None)
        args.update(body)
    elif content_type in _FORM_TYPES:
        form = await request.post()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    else:
        raise _ApiError("invalid_post_type")
    return args


def _request_token(request: web.Request, args: Mapping[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and header[len("Bearer ") :].strip():
        return header[len("Bearer ") :].strip()
    token = args.get("token")
    return token if isinstance(token, str) and token else None


@dataclass(frozen=True, slots=True)
class _Content:
    """The content arguments of chat.postMessage/update/postEphemeral; None means "not given"."""

    text: str | None
    blocks: list[JsonDict] | None
    attachments: list[JsonDict] | None


@dataclass(slots=True)
class _Trigger:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass(frozen=True, slots=True)
class _Usergroup:
    id: str
    handle: str
    members: tuple[str, ...]


_Handler = Callable[[_Args], JsonDict]


# --------------------------------------------------------------------------------------------------


class SlackStandin:
    """A stateful, local Slack Web API (see the module docstring).

    ``tokens`` are the accepted tokens: ``xoxb-…`` bot tokens for the Web API and, optionally,
    ``xapp-…`` app-level tokens for apps.connections.open. ``clock`` (monotonic seconds) times trigger
    ids and stamps ``ApiCall.at``; ``wall_clock`` (epoch seconds) makes message ``ts`` values and
    creation times. Both are injectable so tests move time instead of sleeping.
    """

    team_id: Final = "T0STANDIN"
    team_name: Final = "Leadrelay Stand-in"
    team_domain: Final = "leadrelay-standin"
    app_id: Final = "A0STANDIN"
    bot_id: Final = "B0STANDIN"
    bot_user_id: Final = "U0STANDIN"

    def __init__(
        self,
        *,
        tokens: Iterable[str],
        bot_name: str = "leadrelay",
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens: dict[str, _TokenKind] = {}
        for token in tokens:
            if token.startswith("xoxb-"):
                self._tokens[token] = "bot"
            elif token.startswith("xapp-"):
                self._tokens[token] = "app"
            else:
                raise ValueError(f"unsupported token {token[:5]!r}…: expected xoxb- or xapp-")
        if "bot" not in self._tokens.values():
            raise ValueError("at least one xoxb- bot token is required")
        self._host = host
        self._clock = clock
        self._wall_clock = wall_clock

        self._methods: dict[str, tuple[_Handler, _TokenKind]] = {
            "auth.test": (self._auth_test, "bot"),
            "apps.connections.open": (self._apps_connections_open, "app"),
            "chat.postMessage": (self._chat_post_message, "bot"),
            "chat.update": (self._chat_update, "bot"),
            "chat.delete": (self._chat_delete, "bot"),
            "chat.postEphemeral": (self._chat_post_ephemeral, "bot"),
            "chat.getPermalink": (self._chat_get_permalink, "bot"),
            "conversations.open": (self._conversations_open, "bot"),
            "conversations.info": (self._conversations_info, "bot"),
            "conversations.join": (self._conversations_join, "bot"),
            "conversations.members": (self._conversations_members, "bot"),
            "conversations.history": (self._conversations_history, "bot"),
            "conversations.replies": (self._conversations_replies, "bot"),
            "users.info": (self._users_info, "bot"),
            "users.list": (self._users_list, "bot"),
            "users.lookupByEmail": (self._users_lookup_by_email, "bot"),
            "usergroups.users.list": (self._usergroups_users_list, "bot"),
            "views.open": (self._views_open, "bot"),
            "views.push": (self._views_push, "bot"),
            "views.update": (self._views_update, "bot"),
            "views.publish": (self._views_publish, "bot"),
        }
        self.faults = Faults(self._methods)
        self.calls: list[ApiCall] = []
        """Every request received, in arrival order; a test may ``clear()`` it."""

        self._ids = 0
        self._last_ts_us = 0
        self._users: dict[str, User] = {}
        self._channels: dict[str, Channel] = {}
        self._channel_by_name: dict[str, str] = {}
        self._dm_by_user: dict[str, str] = {}
        self._messages: dict[str, dict[str, Message]] = {}
        self._ephemerals: list[EphemeralMessage] = []
        self._views: dict[str, View] = {}
        self._home_by_user: dict[str, str] = {}
        self._modal_stacks: dict[str, list[str]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._usergroups: dict[str, _Usergroup] = {}

        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._stopping = asyncio.Event()
        self._stopped = False

        self.add_user(bot_name, id=self.bot_user_id, real_name=bot_name, is_bot=True)

    # ---------------------------------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on ``host`` at a free port; ``url`` is valid afterwards. A stand-in starts once."""
        if self._runner is not None or self._stopped:
            raise RuntimeError("a SlackStandin can be started only once")
        runner = web.AppRunner(self.create_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, 0).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}/api/"

    async def stop(self) -> None:
        """Stop serving; delayed answers (timeout faults) are cut short. Safe to call twice."""
        self._stopped = True
        self._stopping.set()
        runner, self._runner = self._runner, None
        self._url = None
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        """The Web API base URL for ``AsyncWebClient(base_url=...)``, ending in ``/api/``."""
        if self._url is None:
            raise RuntimeError("the stand-in is not serving: use `async with` or `await start()` first")
        return self._url

    def create_app(self) -> web.Application:
        """An aiohttp app serving ``/api/{method}``, to mount in-process (its base URL is the mount
        point plus ``api/``). Shutting the app down cuts delayed answers short, as ``stop`` does."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_shutdown(self, _app: web.Application) -> None:
        self._stopping.set()

    # --------------------------------------------------------------------------------- setting the scene

    def add_user(
        self,
        name: str,
        *,
        id: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "UTC",
        tz_offset: int | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> User:
        """Add a workspace member and return it. ``tz`` is an IANA zone; ``tz_offset`` (seconds east
        of UTC) defaults to the zone's current offset. Raises ValueError for a taken id or email, a
        malformed id or an unknown zone."""
        user_id = id or self._new_id("U")
        if not _USER_ID.match(user_id):
            raise ValueError(f"user id {user_id!r} must look like a Slack user id (U or W, then A-Z0-9)")
        if user_id in self._users:
            raise ValueError(f"user id {user_id!r} is taken")
        if email is not None and self._user_by_email(email) is not None:
            raise ValueError(f"email {email!r} is taken")
        if tz_offset is None:
            try:
                offset = ZoneInfo(tz).utcoffset(datetime.fromtimestamp(self._wall_clock(), UTC))
            except ZoneInfoNotFoundError:
                raise ValueError(f"unknown time zone {tz!r}") from None
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        user = User(
            id=user_id,
            name=name,
            real_name=real_name if real_name is not None else name,
            email=email,
            tz=tz,
            tz_offset=tz_offset,
            is_bot=is_bot,
            deleted=deleted,
        )
        self._users[user_id] = user
        return user

    def deactivate_user(self, user_id: str) -> None:
        """Deactivate a member (``deleted=True``): posts to them fail with ``account_inactive``."""
        self._users[user_id] = replace(self._known_user(user_id), deleted=True)

    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
        is_private: bool = False,
        id: str | None = None,
    ) -> str:
        """Create a channel and return its ``C…`` id. A private channel the bot is not in is invisible
        to it (``channel_not_found``), as in Slack. Raises ValueError for a bad or taken name or an
        unknown member."""
        if not _CHANNEL_NAME.match(name):
            raise ValueError(f"channel name {name!r} must be lower-case letters, digits, - or _ (max 80)")
        if name in self._channel_by_name:
            raise ValueError(f"channel name {name!r} is taken")
        member_ids = [self._known_user(user_id).id for user_id in members]
        if bot_is_member and self.bot_user_id not in member_ids:
            member_ids.insert(0, self.bot_user_id)
        channel = Channel(
            id=self._channel_id(id, is_private),
            name=name,
            is_im=False,
            is_private=is_private,
            user=None,
            members=tuple(dict.fromkeys(member_ids)),
            created=int(self._wall_clock()),
        )
        self._channels[channel.id] = channel
        self._channel_by_name[name] = channel.id
        return channel.id

    def _channel_id(self, wanted: str | None, is_private: bool) -> str:
        """A fresh ``C…`` id, or `wanted` (a config that names its channels by id) if it is free."""
        if wanted is None:
            return self._new_id("C")
        if not re.match(r"^[CG][A-Z0-9]{2,}$", wanted) or wanted in self._channels:
            raise ValueError(f"channel id {wanted!r} must look like a Slack channel id and be free")
        return wanted

    def add_usergroup(self, handle: str, members: Iterable[str]) -> str:
        """Create a user group (``@handle``) and return its ``S…`` id."""
        group = _Usergroup(
            id=self._new_id("S"),
            handle=handle,
            members=tuple(self._known_user(user_id).id for user_id in members),
        )
        self._usergroups[group.id] = group
        return group.id

    def add_message(self, channel: str, *, user: str, text: str, thread_ts: str | None = None) -> Message:
        """Record a message ``user`` wrote (e.g. a rep's reply in a lead's thread); the bot cannot
        edit or delete it. ``channel`` is an id, a ``#name`` or a user id (the bot's DM with them)."""
        channel_id = self._observed_channel_id(channel, create_dm=True)
        if channel_id is None or channel_id not in self._channels:
            raise ValueError(f"unknown channel {channel!r}")
        author = self._known_user(user).id
        message = Message(channel=channel_id, ts=self._next_ts(), user=author, text=text, thread_ts=thread_ts)
        self._messages.setdefault(channel_id, {})[message.ts] = message
        return message

    def issue_trigger_id(self, user_id: str) -> str:
        """A trigger id, as Slack puts in an interaction payload from ``user_id``: views.open/push
        accept it once, within ``TRIGGER_TTL_SECONDS`` of now on ``clock``."""
        self._known_user(user_id)
        trigger_id = f"{self._next_id_number()}.{int(self._wall_clock())}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(user_id=user_id, issued_at=self._clock())
        return trigger_id

    def close_views(self, user_id: str) -> None:
        """The user dismissed their modals (or Slack closed them after a submission)."""
        for view_id in self._modal_stacks.pop(user_id, []):
            self._views.pop(view_id, None)

    def app_home_opened_event(self, user_id: str, *, tab: Literal["home", "messages"] = "home") -> JsonDict:
        """The ``app_home_opened`` event envelope Slack would send now for ``user_id``, including the
        Home view published for them, if any. Opens the bot's DM with the user, as Slack has one."""
        user = self._known_user(user_id)
        channel, _ = self._open_dm(user.id)
        home = self.home_view(user.id)
        return app_home_opened_envelope(
            user_id=user.id,
            channel_id=channel.id,
            team_id=self.team_id,
            api_app_id=self.app_id,
            bot_user_id=self.bot_user_id,
            event_ts=self._next_ts(),
            event_id=f"Ev{self._next_id_number():010d}",
            tab=tab,
            view=None if home is None else self._view_payload(home),
        )

    # ---------------------------------------------------------------------------------------- observing

    def user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def channel(self, channel_id: str) -> Channel | None:
        return self._channels.get(channel_id)

    def dm_channel_id(self, user_id: str) -> str | None:
        """The bot's DM channel (``D…``) with the user, once conversations.open or a post opened it."""
        return self._dm_by_user.get(user_id)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method, in arrival order."""
        return [call for call in self.calls if call.method == method]

    def messages_in(self, channel_or_user_id: str, *, include_replies: bool = True) -> list[Message]:
        """Messages in a channel (by id or ``#name``) or, for a user id, in the bot's DM with them,
        oldest first. Thread replies are included unless ``include_replies=False``."""
        channel_id = self._observed_channel_id(channel_or_user_id)
        if channel_id is None:
            return []
        messages = sorted(self._messages.get(channel_id, {}).values(), key=lambda m: _ts_key(m.ts))
        if include_replies:
            return messages
        return [m for m in messages if m.thread_ts is None or m.thread_ts == m.ts or m.reply_broadcast]

    def message(self, channel_or_user_id: str, ts: str) -> Message | None:
        """The message at ``ts``, or None (never posted, or deleted)."""
        channel_id = self._observed_channel_id(channel_or_user_id)
        return None if channel_id is None else self._messages.get(channel_id, {}).get(ts)

    def thread(self, channel_or_user_id: str, ts: str) -> list[Message]:
        """The thread under the message at ``ts``: the parent, then its replies oldest first; empty
        when the parent does not exist."""
        parent = self.message(channel_or_user_id, ts)
        if parent is None:
            return []
        replies = [m for m in self.messages_in(parent.channel) if m.thread_ts == ts and m.ts != ts]
        return [parent, *replies]

    def ephemerals_for(self, user_id: str) -> list[EphemeralMessage]:
        """Ephemeral messages shown to the user, oldest first."""
        return [e for e in self._ephemerals if e.user == user_id]

    def home_view(self, user_id: str) -> View | None:
        """The App Home view last published for the user, or None."""
        view_id = self._home_by_user.get(user_id)
        return None if view_id is None else self._views.get(view_id)

    def open_views(self, user_id: str) -> list[View]:
        """The user's open modal stack, root first (views.open starts it, views.push adds on top)."""
        return [self._views[view_id] for view_id in self._modal_stacks.get(user_id, [])]

    def view(self, view_id: str) -> View | None:
        return self._views.get(view_id)

    # ----------------------------------------------------------------------------------------- serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        received_at = self._clock()
        args: JsonDict = {}
        try:
            raw = await _read_args(request)
            token = _request_token(request, raw)
            args = {key: value for key, value in raw.items() if key != "token"}
            handler = self._authorize(method, token)
        except _ApiError as error:
            return self._answer(method, args, received_at, 200, error.body())

        fault = self.faults._take(method)
        if fault is None:
            return self._answer(method, args, received_at, 200, self._run(handler, args))
        if fault.kind == "ratelimited":
            body = {"ok": False, "error": "ratelimited"}
            headers = {"Retry-After": str(fault.retry_after)}
            return self._answer(method, args, received_at, 429, body, fault="ratelimited", headers=headers)
        if fault.kind == "server_error":
            code = "internal_error" if fault.status == 500 else "service_unavailable"
            body = {"ok": False, "error": code}
            return self._answer(method, args, received_at, fault.status, body, fault="server_error")

        # A timeout: record the call on arrival, so a test that saw the client give up finds it at
        # once, and settle the record if an answer does go out.
        response = self._run(handler, args) if fault.processed else None
        held = ApiCall(method=method, args=args, at=received_at, status=None, response=response, fault="timeout")
        self.calls.append(held)
        await self._pause(fault.delay)
        if _client_gone(request):
            # Nobody is waiting: with processed=False the call is dropped, and no answer goes out.
            return web.Response(status=503)
        if response is None:
            response = self._run(handler, args)
        for index, call in enumerate(self.calls):
            if call is held:
                self.calls[index] = replace(held, status=200, response=response)
        return web.json_response(response)

    def _authorize(self, method: str, token: str | None) -> _Handler:
        entry = self._methods.get(method)
        if entry is None:
            raise _ApiError("unknown_method")
        handler, kind = entry
        if token is None:
            raise _ApiError("not_authed")
        token_kind = self._tokens.get(token)
        if token_kind is None:
            raise _ApiError("invalid_auth")
        if token_kind != kind:
            raise _ApiError("not_allowed_token_type")
        return handler

    def _run(self, handler: _Handler, args: JsonDict) -> JsonDict:
        try:
            return {"ok": True, **handler(_Args(args))}
        except _ApiError as error:
            return error.body()

    def _answer(
        self,
        method: str,
        args: JsonDict,
        received_at: float,
        status: int,
        body: JsonDict,
        *,
        fault: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        self.calls.append(ApiCall(method=method, args=args, at=received_at, status=status, response=body, fault=fault))
        return web.json_response(body, status=status, headers=headers)

    async def _pause(self, delay: float) -> None:
        # Waiting on the stop event rather than sleeping blindly lets stop() end a long delay at once
        # instead of holding the runner's shutdown.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)

    # ------------------------------------------------------------------------------------ Web API: auth

    def _auth_test(self, _args: _Args) -> JsonDict:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self._users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, _args: _Args) -> JsonDict:
        # Socket Mode is out of scope: the URL is well-formed but deliberately unresolvable (.invalid).
        ticket = secrets.token_hex(8)
        return {"url": f"wss://wss-standin.invalid/link/?ticket={ticket}&app_id={self.app_id}"}

    # ------------------------------------------------------------------------------------ Web API: chat

    def _chat_post_message(self, args: _Args) -> JsonDict:
        target = args.required("channel", "channel_not_found")
        content = self._read_content(args)
        _, metadata = self._read_metadata(args)
        # Resolved last: posting to a user id opens the DM, which a rejected post must not do.
        channel = self._post_target(target)
        thread_ts = args.text("thread_ts") or None
        if thread_ts is not None:
            parent = self._messages.get(channel.id, {}).get(thread_ts)
            # Slack files a reply to a reply under the thread's parent.
            if parent is not None and parent.thread_ts is not None:
                thread_ts = parent.thread_ts
        message = Message(
            channel=channel.id,
            ts=self._next_ts(),
            user=self.bot_user_id,
            text=content.text or "",
            blocks=content.blocks or [],
            attachments=content.attachments or [],
            metadata=metadata,
            thread_ts=thread_ts,
            reply_broadcast=thread_ts is not None and args.flag("reply_broadcast"),
            bot_id=self.bot_id,
        )
        self._messages.setdefault(channel.id, {})[message.ts] = message
        return {"channel": channel.id, "ts": message.ts, "message": self._message_payload(message)}

    def _chat_update(self, args: _Args) -> JsonDict:
        # Only a conversation id will do: Slack answers channel_not_found for a user id here.
        channel = self._conversation(args.required("channel", "channel_not_found"))
        ts = args.required("ts", "message_not_found")
        message = self._messages.get(channel.id, {}).get(ts)
        if message is None:
            raise _ApiError("message_not_found")
        if message.user != self.bot_user_id:
            raise _ApiError("cant_update_message")
        content = self._read_content(args)
        metadata_given, metadata = self._read_metadata(args)
        # Fields left out keep their value; metadata={} removes it (the documented chat.update rules).
        updated = replace(
            message,
            text=message.text if content.text is None else content.text,
            blocks=message.blocks if content.blocks is None else content.blocks,
            attachments=message.attachments if content.attachments is None else content.attachments,
            metadata=metadata if metadata_given else message.metadata,
            edited_ts=self._next_ts(),
        )
        self._messages[channel.id][ts] = updated
        return {
            "channel": channel.id,
            "ts": ts,
            "text": updated.text,
            "message": self._message_payload(updated),
        }

    def _chat_delete(self, args: _Args) -> JsonDict:
        channel = self._conversation(args.required("channel", "channel_not_found"))
        ts = args.required("ts", "message_not_found")
        message = self._messages.get(channel.id, {}).get(ts)
        if message is None:
            raise _ApiError("message_not_found")
        if message.user != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        del self._messages[channel.id][ts]
        return {"channel": channel.id, "ts": ts}

    def _chat_post_ephemeral(self, args: _Args) -> JsonDict:
        target = args.required("channel", "channel_not_found")
        user_id = args.required("user", "user_not_found")
        user = self._recipient(user_id, inactive_error="account_inactive", direct=False)
        content = self._read_content(args)
        if _USER_ID.match(target):
            # A user id names the bot's DM with that user, which only that user can see.
            if target != user.id:
                raise _ApiError("user_not_in_channel")
            channel, _ = self._open_dm(user.id)
        else:
            channel = self._find_channel(target, by_name=True)
        if channel.is_im:
            if channel.user != user.id:
                raise _ApiError("user_not_in_channel")
        elif self.bot_user_id not in channel.members:
            raise _ApiError("not_in_channel")
        elif user.id not in channel.members:
            raise _ApiError("user_not_in_channel")
        ephemeral = EphemeralMessage(
            channel=channel.id,
            user=user.id,
            ts=self._next_ts(),
            text=content.text or "",
            blocks=content.blocks or [],
            thread_ts=args.text("thread_ts") or None,
        )
        self._ephemerals.append(ephemeral)
        return {"message_ts": ephemeral.ts}

    def _chat_get_permalink(self, args: _Args) -> JsonDict:
        channel = self._conversation(args.required("channel", "channel_not_found"))
        ts = args.required("message_ts", "message_not_found")
        message = self._messages.get(channel.id, {}).get(ts)
        if message is None:
            raise _ApiError("message_not_found")
        permalink = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        if message.thread_ts is not None and message.thread_ts != ts:
            permalink += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": permalink}

    def _read_content(self, args: _Args) -> _Content:
        """text/markdown_text/blocks/attachments, checked; at least one must carry content (no_text)."""
        text = args.text("text")
        markdown_text = args.text("markdown_text")
        blocks_value = args.json("blocks", error="invalid_blocks_format")
        attachments_value = args.json("attachments", error="invalid_attachments")
        if markdown_text:
            if text or blocks_value:
                raise _ApiError("markdown_text_conflict")
            if len(markdown_text) > MAX_MARKDOWN_TEXT:
                raise _ApiError("msg_too_long")
            text = markdown_text
        if text is not None and len(text) > blockkit.MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        blocks: list[JsonDict] | None = None
        if blocks_value is not None:
            if not isinstance(blocks_value, list):
                raise _ApiError("invalid_blocks_format")
            problems = blockkit.message_block_problems(blocks_value)
            if problems:
                raise _ApiError("invalid_blocks", *problems)
            blocks = self._stamp_block_ids(blocks_value)
        attachments: list[JsonDict] | None = None
        if attachments_value is not None:
            if not isinstance(attachments_value, list) or not all(isinstance(a, dict) for a in attachments_value):
                raise _ApiError("invalid_attachments")
            if len(attachments_value) > MAX_ATTACHMENTS:
                raise _ApiError("too_many_attachments")
            attachments = attachments_value
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        return _Content(text=text, blocks=blocks, attachments=attachments)

    def _read_metadata(self, args: _Args) -> tuple[bool, JsonDict | None]:
        """(given, metadata): ``{}`` is given-and-empty, which chat.update reads as "remove it"."""
        value = args.json("metadata", error="invalid_metadata_format")
        if value is None:
            return False, None
        if not isinstance(value, dict):
            raise _ApiError("invalid_metadata_format")
        if not value:
            return True, None
        event_type = value.get("event_type")
        event_payload = value.get("event_payload")
        if not isinstance(event_type, str) or not event_type or not isinstance(event_payload, dict):
            raise _ApiError("invalid_metadata_schema")
        return True, {"event_type": event_type, "event_payload": event_payload}

    def _stamp_block_ids(self, blocks: Sequence[JsonDict]) -> list[JsonDict]:
        return [
            block if "block_id" in block else {**block, "block_id": f"b{self._next_id_number():05X}"}
            for block in blocks
        ]

    # --------------------------------------------------------------------------- Web API: conversations

    def _conversations_open(self, args: _Args) -> JsonDict:
        channel_id = args.text("channel")
        users = [u.strip() for u in (args.text("users") or "").split(",") if u.strip()]
        if channel_id:
            channel = self._conversation(channel_id)
            if not channel.is_im:
                raise _ApiError("method_not_supported_for_channel_type")
            created = False
        elif not users:
            raise _ApiError("users_list_not_supplied")
        elif len(set(users)) > 1:
            raise _ApiError("invalid_arguments", "[ERROR] stand-in: multi-person DMs are not modelled")
        else:
            user = self._recipient(users[0], inactive_error="user_disabled")
            channel, created = self._open_dm(user.id)
        body: JsonDict = {}
        if not created:
            body.update(no_op=True, already_open=True)
        body["channel"] = self._channel_payload(channel) if args.flag("return_im") else {"id": channel.id}
        return body

    def _conversations_info(self, args: _Args) -> JsonDict:
        channel = self._conversation(args.required("channel", "channel_not_found"))
        payload = self._channel_payload(channel)
        if args.flag("include_num_members"):
            payload["num_members"] = len(channel.members)
        if args.flag("include_locale"):
            payload["locale"] = "en-US"
        return {"channel": payload}

    def _conversations_join(self, args: _Args) -> JsonDict:
        channel = self._conversation(args.required("channel", "channel_not_found"))
        if channel.is_im or channel.is_private:
            raise _ApiError("method_not_supported_for_channel_type")
        if self.bot_user_id in channel.members:
            return {
                "channel": self._channel_payload(channel),
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        channel = replace(channel, members=(*channel.members, self.bot_user_id))
        self._channels[channel.id] = channel
        return {"channel": self._channel_payload(channel)}

    def _conversations_members(self, args: _Args) -> JsonDict:
        channel = self._conversation(args.required("channel", "channel_not_found"))
        members, next_cursor = _page(channel.members, args, default_limit=100, limit_error="invalid_limit")
        return {"members": members, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_history(self, args: _Args) -> JsonDict:
        """Top-level messages (and broadcast replies), newest first, within `oldest`/`latest`."""
        channel = self._readable(args.required("channel", "channel_not_found"))
        messages = [m for m in self._messages.get(channel.id, {}).values() if m.thread_ts is None or m.reply_broadcast]
        return self._history_page(sorted(messages, key=lambda m: _ts_key(m.ts), reverse=True), args)

    def _conversations_replies(self, args: _Args) -> JsonDict:
        """A thread, parent first, then replies oldest first (Slack's order)."""
        channel = self._readable(args.required("channel", "channel_not_found"))
        ts = args.required("ts", "thread_not_found")
        parent = self._messages.get(channel.id, {}).get(ts)
        if parent is None:
            raise _ApiError("thread_not_found")
        replies = sorted(
            (m for m in self._messages[channel.id].values() if m.thread_ts == ts), key=lambda m: _ts_key(m.ts)
        )
        return self._history_page([parent, *replies], args)

    def _readable(self, channel_id: str) -> Channel:
        channel = self._conversation(channel_id)
        if not channel.is_im and self.bot_user_id not in channel.members:
            raise _ApiError("not_in_channel")
        return channel

    def _history_page(self, messages: list[Message], args: _Args) -> JsonDict:
        oldest, latest = args.text("oldest"), args.text("latest")
        if oldest:
            messages = [m for m in messages if _ts_key(m.ts) >= _ts_key(oldest)]
        if latest:
            messages = [m for m in messages if _ts_key(m.ts) <= _ts_key(latest)]
        limit = args.integer("limit", error="invalid_limit") or 100
        with_metadata = args.flag("include_all_metadata")
        payloads = []
        for message in messages[:limit]:
            payload = self._message_payload(message)
            if not with_metadata:
                payload.pop("metadata", None)
            payloads.append(payload)
        return {
            "messages": payloads,
            "has_more": len(messages) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    # ----------------------------------------------------------------------------------- Web API: users

    def _users_info(self, args: _Args) -> JsonDict:
        user = self._known_user_or(args.required("user", "user_not_found"), "user_not_found")
        payload = self._user_payload(user)
        if args.flag("include_locale"):
            payload["locale"] = "en-US"
        return {"user": payload}

    def _users_list(self, args: _Args) -> JsonDict:
        # No limit means everything, as the reference says Slack attempts.
        everyone = list(self._users.values())
        users, next_cursor = _page(everyone, args, default_limit=None, limit_error="invalid_limit")
        return {
            "members": [self._user_payload(user) for user in users],
            "cache_ts": int(self._wall_clock()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _users_lookup_by_email(self, args: _Args) -> JsonDict:
        user = self._user_by_email(args.required("email", "users_not_found"))
        if user is None:
            raise _ApiError("users_not_found")
        return {"user": self._user_payload(user)}

    def _usergroups_users_list(self, args: _Args) -> JsonDict:
        group = self._usergroups.get(args.required("usergroup", "no_such_subteam"))
        if group is None:
            raise _ApiError("no_such_subteam")
        return {"users": list(group.members)}

    # ----------------------------------------------------------------------------------- Web API: views

    def _views_open(self, args: _Args) -> JsonDict:
        spec = self._read_view(args, expected_type="modal")
        user_id = self._exchange_trigger(args)
        self._check_external_id(spec)
        for view_id in self._modal_stacks.pop(user_id, []):
            self._views.pop(view_id, None)
        view = self._make_view(spec, user_id=user_id, view_id=self._new_id("V"))
        self._views[view.id] = view
        self._modal_stacks[user_id] = [view.id]
        return {"view": self._view_payload(view)}

    def _views_push(self, args: _Args) -> JsonDict:
        spec = self._read_view(args, expected_type="modal")
        user_id = self._exchange_trigger(args)
        stack = self._modal_stacks.get(user_id, [])
        if not stack:
            raise _ApiError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise _ApiError("push_limit_reached")
        self._check_external_id(spec)
        view = self._make_view(
            spec,
            user_id=user_id,
            view_id=self._new_id("V"),
            root_view_id=stack[0],
            previous_view_id=stack[-1],
        )
        self._views[view.id] = view
        stack.append(view.id)
        return {"view": self._view_payload(view)}

    def _views_update(self, args: _Args) -> JsonDict:
        view_id = args.text("view_id")
        external_id = args.text("external_id")
        if bool(view_id) == bool(external_id):
            raise _ApiError("invalid_arguments", "[ERROR] exactly one of view_id or external_id is required")
        current = (
            self._views.get(view_id)
            if view_id
            else next((v for v in self._views.values() if v.external_id == external_id), None)
        )
        if current is None:
            raise _ApiError("not_found")
        spec = self._read_view(args, expected_type=current.type)
        self._check_hash(args, current)
        spec.setdefault("external_id", current.external_id)  # left out: the view keeps its id
        self._check_external_id(spec, replacing=current.id)
        view = self._make_view(
            spec,
            user_id=current.user_id,
            view_id=current.id,
            root_view_id=current.root_view_id,
            previous_view_id=current.previous_view_id,
        )
        self._views[view.id] = view
        return {"view": self._view_payload(view)}

    def _views_publish(self, args: _Args) -> JsonDict:
        user_id = args.required("user_id")
        spec = self._read_view(args, expected_type="home")
        user = self._users.get(user_id)
        if user is None or user.deleted:
            raise _ApiError("invalid_arguments", "invalid `user_id`")
        current = self.home_view(user_id)
        if current is not None:
            self._check_hash(args, current)
        self._check_external_id(spec, replacing=None if current is None else current.id)
        # A user's Home tab keeps its view id across publishes; only the hash moves.
        view = self._make_view(spec, user_id=user_id, view_id=current.id if current else self._new_id("V"))
        self._views[view.id] = view
        self._home_by_user[user_id] = view.id
        return {"view": self._view_payload(view)}

    def _read_view(self, args: _Args, *, expected_type: ViewType) -> JsonDict:
        spec = args.json("view", error="invalid_arguments")
        if spec is None:
            raise _missing("view")
        problems = blockkit.view_problems(spec)
        if problems:
            raise _ApiError("invalid_arguments", *problems)
        assert isinstance(spec, dict)  # view_problems reports anything else
        if spec["type"] != expected_type:
            raise _ApiError("invalid_arguments", f"[ERROR] view type must be `{expected_type}` here")
        return spec

    def _exchange_trigger(self, args: _Args) -> str:
        trigger_id = args.text("trigger_id")
        pointer = args.text("interactivity_pointer")
        if bool(trigger_id) == bool(pointer):
            raise _ApiError("invalid_arguments", "[ERROR] exactly one of trigger_id or interactivity_pointer")
        trigger = self._triggers.get(trigger_id or pointer or "")
        if trigger is None:
            raise _ApiError("invalid_trigger_id")
        if trigger.used:
            raise _ApiError("exchanged_trigger_id")
        if self._clock() - trigger.issued_at >= TRIGGER_TTL_SECONDS:
            raise _ApiError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def _check_hash(self, args: _Args, current: View) -> None:
        expected = args.text("hash")
        if expected and expected != current.hash:
            raise _ApiError("hash_conflict")

    def _check_external_id(self, spec: Mapping[str, Any], *, replacing: str | None = None) -> None:
        external_id = spec.get("external_id")
        if external_id and any(v.external_id == external_id and v.id != replacing for v in self._views.values()):
            raise _ApiError("duplicate_external_id")

    def _make_view(
        self,
        spec: Mapping[str, Any],
        *,
        user_id: str,
        view_id: str,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> View:
        return View(
            id=view_id,
            user_id=user_id,
            type=spec["type"],
            blocks=self._stamp_block_ids(spec["blocks"]),
            title=spec.get("title"),
            submit=spec.get("submit"),
            close=spec.get("close"),
            callback_id=spec.get("callback_id") or "",
            private_metadata=spec.get("private_metadata") or "",
            external_id=spec.get("external_id") or "",
            hash=f"{int(self._wall_clock())}.{secrets.token_hex(4)}",
            root_view_id=root_view_id or view_id,
            previous_view_id=previous_view_id,
            clear_on_close=bool(spec.get("clear_on_close", False)),
            notify_on_close=bool(spec.get("notify_on_close", False)),
        )

    # ------------------------------------------------------------------------------ resolving targets

    def _post_target(self, target: str) -> Channel:
        """Where chat.postMessage goes: a user id opens (or reuses) the bot's DM with them."""
        if _USER_ID.match(target):
            user = self._recipient(target, inactive_error="account_inactive")
            channel, _ = self._open_dm(user.id)
            return channel
        channel = self._find_channel(target, by_name=True)
        if channel.is_im:
            assert channel.user is not None
            self._recipient(channel.user, inactive_error="account_inactive")
        elif self.bot_user_id not in channel.members:
            raise _ApiError("not_in_channel")
        return channel

    def _recipient(self, user_id: str, *, inactive_error: str, direct: bool = True) -> User:
        """The user the bot is about to write to (``direct``: in a DM), or the error Slack gives.

        User faults come first, so a test can make any user fail the way a real one might.
        """
        fault = self.faults._for_user(user_id)
        if fault is not None:
            raise _ApiError(fault)
        user = self._known_user_or(user_id, "user_not_found")
        if direct and user.is_bot:
            raise _ApiError("cannot_dm_bot")
        if user.deleted:
            raise _ApiError(inactive_error)
        return user

    def _conversation(self, channel_id: str) -> Channel:
        """A conversation by id only (no names, no user ids), as most methods require."""
        return self._find_channel(channel_id, by_name=False)

    def _find_channel(self, target: str, *, by_name: bool) -> Channel:
        channel_id = target
        if by_name and not target.startswith(("C", "D", "G")):
            channel_id = self._channel_by_name.get(target.removeprefix("#"), "")
        channel = self._channels.get(channel_id)
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            raise _ApiError("channel_not_found")
        return channel

    def _open_dm(self, user_id: str) -> tuple[Channel, bool]:
        """The bot's DM with the user, created on first use; True when it was just created."""
        existing = self._dm_by_user.get(user_id)
        if existing is not None:
            return self._channels[existing], False
        channel = Channel(
            id=self._new_id("D"),
            name=None,
            is_im=True,
            is_private=True,
            user=user_id,
            members=(self.bot_user_id, user_id),
            created=int(self._wall_clock()),
        )
        self._channels[channel.id] = channel
        self._dm_by_user[user_id] = channel.id
        return channel, True

    def _observed_channel_id(self, target: str, *, create_dm: bool = False) -> str | None:
        if _USER_ID.match(target):
            if create_dm:
                return self._open_dm(self._known_user(target).id)[0].id
            return self._dm_by_user.get(target)
        if target.startswith("#"):
            return self._channel_by_name.get(target[1:])
        return target

    def _known_user(self, user_id: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}")
        return user

    def _known_user_or(self, user_id: str, error: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise _ApiError(error)
        return user

    def _user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self._users.values() if u.email and u.email.lower() == wanted), None)

    # ----------------------------------------------------------------------------------- API payloads

    def _message_payload(self, message: Message) -> JsonDict:
        payload: JsonDict = {
            "type": "message",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
        }
        if message.bot_id is not None:
            payload.update(bot_id=message.bot_id, app_id=self.app_id)
        if message.blocks:
            payload["blocks"] = message.blocks
        if message.attachments:
            payload["attachments"] = message.attachments
        if message.metadata is not None:
            payload["metadata"] = message.metadata
        if message.thread_ts is not None:
            payload["thread_ts"] = message.thread_ts
            parent = self._messages.get(message.channel, {}).get(message.thread_ts)
            if parent is not None:
                payload["parent_user_id"] = parent.user
        if message.edited_ts is not None:
            payload["edited"] = {"user": message.user, "ts": message.edited_ts}
        return payload

    def _channel_payload(self, channel: Channel) -> JsonDict:
        if channel.is_im:
            latest = self.messages_in(channel.id)
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.user,
                "last_read": "0000000000.000000",
                "latest": self._message_payload(latest[-1]) if latest else None,
                "unread_count": 0,
                "unread_count_display": 0,
                "is_open": True,
                "priority": 0,
            }
        empty_text = {"value": "", "creator": "", "last_set": 0}
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.is_private,
            "created": channel.created,
            "is_archived": False,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "creator": "",
            "is_member": self.bot_user_id in channel.members,
            "topic": dict(empty_text),
            "purpose": dict(empty_text),
            "previous_names": [],
        }

    def _user_payload(self, user: User) -> JsonDict:
        profile: JsonDict = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "team": self.team_id,
        }
        if user.email is not None:
            profile["email"] = user.email
        if user.id == self.bot_user_id:
            profile["bot_id"] = self.bot_id
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_offset": user.tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 0,
        }

    def _view_payload(self, view: View) -> JsonDict:
        payload: JsonDict = {
            "id": view.id,
            "team_id": self.team_id,
            "type": view.type,
            "blocks": view.blocks,
            "private_metadata": view.private_metadata,
            "callback_id": view.callback_id,
            "external_id": view.external_id,
            "state": {"values": {}},
            "hash": view.hash,
            "close": view.close,
            "submit": view.submit,
            "clear_on_close": view.clear_on_close,
            "notify_on_close": view.notify_on_close,
            "root_view_id": view.root_view_id,
            "previous_view_id": view.previous_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if view.title is not None:
            payload["title"] = view.title
        return payload

    # ------------------------------------------------------------------------------------- id sources

    def _next_id_number(self) -> int:
        self._ids += 1
        return self._ids

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{self._next_id_number():08X}"

    def _next_ts(self) -> str:
        """A message ts from ``wall_clock``, strictly increasing even when the clock stalls or steps
        back, since Slack's ts doubles as the message's unique key in its channel."""
        micros = max(int(self._wall_clock() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction or 0)


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _page(items: Sequence[_T], args: _Args, *, default_limit: int | None, limit_error: str) -> tuple[list[_T], str]:
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
            raise _ApiError("invalid_cursor") from None
        if kind != "offset" or not 0 <= offset <= len(items):
            raise _ApiError("invalid_cursor")
    limit = args.integer("limit", error=limit_error)
    if limit is not None and limit < 0:
        raise _ApiError(limit_error)
    if not limit:  # absent or 0
        limit = default_limit
    end = len(items) if limit is None else min(offset + min(limit, MAX_PAGE), len(items))
    page = list(items[offset:end])
    next_cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return page, next_cursor
