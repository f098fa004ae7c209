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

import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from standin.endpoint import METHODS, WebApi
from standin.faults import Faults
from standin.loopback import Loopback
from standin.model import ApiCall, Channel, EphemeralMessage, JsonDict, Message, User, View
from standin.payloads import app_home_opened_envelope
from standin.responses import ResponseUrls
from standin.socket import PATH as SOCKET_PATH
from standin.socket import SocketEndpoint
from standin.views import view_payload
from standin.workspace import USER_ID, Trigger, Usergroup, Workspace

__all__ = ["SlackStandin"]

_CHANNEL_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class SlackStandin(Loopback):  # `async with`: start, then stop
    """A stateful, local Slack Web API (see the module docstring).

    ``tokens`` are the accepted tokens: ``xoxb-…`` bot tokens for the Web API and, optionally,
    ``xapp-…`` app-level tokens for apps.connections.open. ``clock`` (monotonic seconds) times trigger
    ids and stamps ``ApiCall.at``; ``wall_clock`` (epoch seconds) makes message ``ts`` values and
    creation times. Both are injectable so tests move time instead of sleeping.
    """

    team_id: Final = Workspace.team_id
    team_name: Final = Workspace.team_name
    team_domain: Final = Workspace.team_domain
    app_id: Final = Workspace.app_id
    bot_id: Final = Workspace.bot_id
    bot_user_id: Final = Workspace.bot_user_id

    def __init__(
        self,
        *,
        tokens: Iterable[str],
        bot_name: str = "leadrelay",
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.faults = Faults(METHODS)
        self._ws = Workspace(faults=self.faults, clock=clock, wall_clock=wall_clock)
        self._api = WebApi(self._ws, tokens=tokens, faults=self.faults, clock=clock)
        self._responses = ResponseUrls(self._ws)
        self.socket = SocketEndpoint()
        """Socket Mode's WebSocket endpoint: ``drop`` cuts every link, ``accepting`` refuses new ones."""
        self.calls: list[ApiCall] = self._api.calls
        """Every request received, in arrival order; a test may ``clear()`` it."""
        self._host = host
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._stopped = False

        self.add_user(bot_name, id=self.bot_user_id, real_name=bot_name, is_bot=True)

    # ---------------------------------------------------------------------------------------- lifecycle

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
        self._ws.socket_url = f"ws://{host}:{port}{SOCKET_PATH}"
        self._ws.upload_base = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop serving; delayed answers (timeout faults) are cut short. Safe to call twice."""
        self._stopped = True
        self._api.cut_delays_short()
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
        app = self._api.create_app()
        self._responses.add_routes(app)
        self.socket.add_routes(app)
        return app

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
        user_id = id or self._ws.new_id("U")
        if not USER_ID.match(user_id):
            raise ValueError(f"user id {user_id!r} must look like a Slack user id (U or W, then A-Z0-9)")
        if user_id in self._ws.users:
            raise ValueError(f"user id {user_id!r} is taken")
        if email is not None and self._ws.user_by_email(email) is not None:
            raise ValueError(f"email {email!r} is taken")
        if tz_offset is None:
            try:
                offset = ZoneInfo(tz).utcoffset(datetime.fromtimestamp(self._ws.wall_clock(), UTC))
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
        self._ws.users[user_id] = user
        return user

    def deactivate_user(self, user_id: str) -> None:
        """Deactivate a member (``deleted=True``): posts to them fail with ``user_disabled``."""
        self._ws.users[user_id] = replace(self._ws.known_user(user_id), deleted=True)

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
        if name in self._ws.channel_by_name:
            raise ValueError(f"channel name {name!r} is taken")
        member_ids = [self._ws.known_user(user_id).id for user_id in members]
        if bot_is_member and self.bot_user_id not in member_ids:
            member_ids.insert(0, self.bot_user_id)
        channel = Channel(
            id=self._channel_id(id, is_private),
            name=name,
            is_im=False,
            is_private=is_private,
            user=None,
            members=tuple(dict.fromkeys(member_ids)),
            created=int(self._ws.wall_clock()),
        )
        self._ws.channels[channel.id] = channel
        self._ws.channel_by_name[name] = channel.id
        return channel.id

    def archive_channel(self, channel_id: str) -> None:
        """Archive a channel: posts and joins answer ``is_archived``, conversations.info says so."""
        self._ws.channels[channel_id] = replace(self._known_channel(channel_id), is_archived=True)

    def unarchive_channel(self, channel_id: str) -> None:
        """Unarchive a channel: it takes posts again from its members."""
        self._ws.channels[channel_id] = replace(self._known_channel(channel_id), is_archived=False)

    def remove_bot_from_channel(self, channel_id: str) -> None:
        """The bot leaves (or is removed from) a channel: posts to it answer ``not_in_channel``."""
        channel = self._known_channel(channel_id)
        members = tuple(member for member in channel.members if member != self.bot_user_id)
        self._ws.channels[channel_id] = replace(channel, members=members)

    def _known_channel(self, channel_id: str) -> Channel:
        channel = self._ws.channels.get(channel_id)
        if channel is None or channel.is_im:
            raise ValueError(f"unknown channel {channel_id!r}")
        return channel

    def _channel_id(self, wanted: str | None, is_private: bool) -> str:
        """A fresh ``C…`` id, or `wanted` (a config that names its channels by id) if it is free."""
        if wanted is None:
            return self._ws.new_id("C")
        if not re.match(r"^[CG][A-Z0-9]{2,}$", wanted) or wanted in self._ws.channels:
            raise ValueError(f"channel id {wanted!r} must look like a Slack channel id and be free")
        return wanted

    def add_usergroup(self, handle: str, members: Iterable[str]) -> str:
        """Create a user group (``@handle``) and return its ``S…`` id."""
        group = Usergroup(
            id=self._ws.new_id("S"),
            handle=handle,
            members=tuple(self._ws.known_user(user_id).id for user_id in members),
        )
        self._ws.usergroups[group.id] = group
        return group.id

    def add_message(self, channel: str, *, user: str, text: str, thread_ts: str | None = None) -> Message:
        """Record a message ``user`` wrote (e.g. a rep's reply in a lead's thread); the bot cannot
        edit or delete it. ``channel`` is an id, a ``#name`` or a user id (the bot's DM with them)."""
        channel_id = self._ws.observed_channel_id(channel, create_dm=True)
        if channel_id is None or channel_id not in self._ws.channels:
            raise ValueError(f"unknown channel {channel!r}")
        author = self._ws.known_user(user).id
        message = Message(channel=channel_id, ts=self._ws.next_ts(), user=author, text=text, thread_ts=thread_ts)
        self._ws.messages.setdefault(channel_id, {})[message.ts] = message
        return message

    def issue_trigger_id(self, user_id: str) -> str:
        """A trigger id, as Slack puts in an interaction payload from ``user_id``: views.open/push
        accept it once, within ``TRIGGER_TTL_SECONDS`` of now on ``clock``."""
        self._ws.known_user(user_id)
        trigger_id = f"{self._ws.next_id_number()}.{int(self._ws.wall_clock())}.{secrets.token_hex(16)}"
        self._ws.triggers[trigger_id] = Trigger(user_id=user_id, issued_at=self._ws.clock())
        return trigger_id

    def issue_response_url(self, user_id: str, channel: str) -> str:
        """The ``response_url`` Slack would put in a request from ``user_id`` in ``channel`` (an id, or a
        user id for the bot's DM with them): answers to it are ephemeral messages for the user there."""
        channel_id = self._ws.observed_channel_id(channel, create_dm=True)
        if channel_id is None:
            raise ValueError(f"unknown channel {channel!r}")
        key = self._responses.issue(self._ws.known_user(user_id).id, channel_id)
        return self.url.removesuffix("api/") + f"response/{key}"

    def close_views(self, user_id: str) -> None:
        """The user dismissed their modals (or Slack closed them after a submission)."""
        self._ws.close_modals(user_id)

    def app_home_opened_event(self, user_id: str, *, tab: Literal["home", "messages"] = "home") -> JsonDict:
        """The ``app_home_opened`` event envelope Slack would send now for ``user_id``, including the
        Home view published for them, if any. Opens the bot's DM with the user, as Slack has one."""
        user = self._ws.known_user(user_id)
        channel, _ = self._ws.open_dm(user.id)
        home = self.home_view(user.id)
        return app_home_opened_envelope(
            user_id=user.id,
            channel_id=channel.id,
            team_id=self.team_id,
            api_app_id=self.app_id,
            bot_user_id=self.bot_user_id,
            event_ts=self._ws.next_ts(),
            event_id=f"Ev{self._ws.next_id_number():010d}",
            tab=tab,
            view=None if home is None else view_payload(self._ws, home),
        )

    # ---------------------------------------------------------------------------------------- observing

    def user(self, user_id: str) -> User | None:
        return self._ws.users.get(user_id)

    def channel(self, channel_id: str) -> Channel | None:
        return self._ws.channels.get(channel_id)

    def dm_channel_id(self, user_id: str) -> str | None:
        """The bot's DM channel (``D…``) with the user, once conversations.open or a post opened it."""
        return self._ws.dm_by_user.get(user_id)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method, in arrival order."""
        return [call for call in self.calls if call.method == method]

    def messages_in(self, channel_or_user_id: str, *, include_replies: bool = True) -> list[Message]:
        """Messages in a channel (by id or ``#name``) or, for a user id, in the bot's DM with them,
        oldest first. Thread replies are included unless ``include_replies=False``."""
        channel_id = self._ws.observed_channel_id(channel_or_user_id)
        if channel_id is None:
            return []
        messages = self._ws.messages_in(channel_id)
        if include_replies:
            return messages
        return [m for m in messages if m.thread_ts is None or m.thread_ts == m.ts or m.reply_broadcast]

    def message(self, channel_or_user_id: str, ts: str) -> Message | None:
        """The message at ``ts``, or None (never posted, or deleted)."""
        channel_id = self._ws.observed_channel_id(channel_or_user_id)
        return None if channel_id is None else self._ws.messages.get(channel_id, {}).get(ts)

    def thread(self, channel_or_user_id: str, ts: str) -> list[Message]:
        """The thread under the message at ``ts``: the parent, then its replies oldest first; empty
        when the parent does not exist."""
        parent = self.message(channel_or_user_id, ts)
        if parent is None:
            return []
        replies = [m for m in self.messages_in(parent.channel) if m.thread_ts == ts and m.ts != ts]
        return [parent, *replies]

    def uploaded(self, file_id: str) -> bytes | None:
        """The bytes uploaded for ``file_id`` (files_upload_v2), or None if none arrived."""
        stored = self._ws.files.get(file_id)
        return None if stored is None else stored.content

    def ephemerals_for(self, user_id: str) -> list[EphemeralMessage]:
        """Ephemeral messages shown to the user, oldest first."""
        return [e for e in self._ws.ephemerals if e.user == user_id]

    def home_view(self, user_id: str) -> View | None:
        """The App Home view last published for the user, or None."""
        return self._ws.home_view(user_id)

    def open_views(self, user_id: str) -> list[View]:
        """The user's open modal stack, root first (views.open starts it, views.push adds on top)."""
        return [self._ws.views[view_id] for view_id in self._ws.modal_stacks.get(user_id, [])]

    def view(self, view_id: str) -> View | None:
        return self._ws.views.get(view_id)
