"""The Slack stand-in's workspace: its state, its id sources, and how a Web API target resolves.

One ``Workspace`` holds everything Slack would remember (users, conversations, messages by ``ts``,
ephemeral messages, views, modal stacks, trigger ids, user groups). The Web API method families
(``standin.chat``, ``standin.conversations``, ``standin.users``, ``standin.views``) read and change
it through the attributes and helpers here; ``SlackStandin`` sets the scene and observes it. Helpers
raise ``ApiError`` with the code Slack would answer, except ``known_user``, which serves the setup
API and raises ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from standin.arguments import ApiError, Args
from standin.faults import Faults
from standin.model import Channel, EphemeralMessage, JsonDict, Message, User, View

if TYPE_CHECKING:
    from standin.files import StoredFile

__all__ = ["USER_ID", "Handler", "TokenKind", "Trigger", "Usergroup", "Workspace", "ts_key"]

# Slack ids are upper-case; channel names are lower-case, so the two never collide.
USER_ID: Final = re.compile(r"^[UW][A-Z0-9]{2,}$")

TokenKind = Literal["bot", "app"]
"""Which token a method takes: a bot token (``xoxb-``) or an app-level token (``xapp-``)."""


@dataclass(slots=True)
class Trigger:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass(frozen=True, slots=True)
class Usergroup:
    id: str
    handle: str
    members: tuple[str, ...]


class Workspace:
    """Slack's state for one workspace with one app installed (see the module docstring).

    ``clock`` (monotonic seconds) times trigger ids; ``wall_clock`` (epoch seconds) makes message
    ``ts`` values and creation times. ``faults`` supplies the injected user faults.
    """

    team_id: Final = "T0STANDIN"
    team_name: Final = "Leadrelay Stand-in"
    team_domain: Final = "leadrelay-standin"
    app_id: Final = "A0STANDIN"
    bot_id: Final = "B0STANDIN"
    bot_user_id: Final = "U0STANDIN"

    def __init__(self, *, faults: Faults, clock: Callable[[], float], wall_clock: Callable[[], float]) -> None:
        self.faults = faults
        self.clock = clock
        self.wall_clock = wall_clock
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.channel_by_name: dict[str, str] = {}
        self.dm_by_user: dict[str, str] = {}
        self.messages: dict[str, dict[str, Message]] = {}
        self.ephemerals: list[EphemeralMessage] = []
        self.views: dict[str, View] = {}
        self.home_by_user: dict[str, str] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.triggers: dict[str, Trigger] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.socket_url: str | None = None  # Socket Mode's endpoint, once the stand-in serves it
        self.files: dict[str, StoredFile] = {}  # by file id: what files.* announced and received
        self.upload_base = ""  # scheme://host:port the upload URLs point at, set when the server starts
        self._ids = 0
        self._last_ts_us = 0

    def messages_in(self, channel_id: str) -> list[Message]:
        """Every message in the conversation, thread replies included, oldest first."""
        return sorted(self.messages.get(channel_id, {}).values(), key=lambda m: ts_key(m.ts))

    def home_view(self, user_id: str) -> View | None:
        """The App Home view last published for the user, or None."""
        view_id = self.home_by_user.get(user_id)
        return None if view_id is None else self.views.get(view_id)

    def close_modals(self, user_id: str) -> None:
        """Forget the user's modal stack: they dismissed it, or views.open replaces it."""
        for view_id in self.modal_stacks.pop(user_id, []):
            self.views.pop(view_id, None)

    def stamp_block_ids(self, blocks: Sequence[JsonDict]) -> list[JsonDict]:
        """The blocks, each without a ``block_id`` given a generated one, as Slack does."""
        return [
            block if "block_id" in block else {**block, "block_id": f"b{self.next_id_number():05X}"} for block in blocks
        ]

    def post_target(self, target: str) -> Channel:
        """Where chat.postMessage goes: a user id opens (or reuses) the bot's DM with them. A deactivated
        user is ``user_disabled``, as conversations.open answers (``account_inactive`` is about the
        caller's own token); an archived channel ``is_archived``; a channel the bot is not in
        ``not_in_channel``."""
        if USER_ID.match(target):
            user = self.recipient(target, inactive_error="user_disabled")
            channel, _ = self.open_dm(user.id)
            return channel
        channel = self.find_channel(target, by_name=True)
        if channel.is_im:
            assert channel.user is not None
            self.recipient(channel.user, inactive_error="user_disabled")
        elif channel.is_archived:
            raise ApiError("is_archived")
        elif self.bot_user_id not in channel.members:
            raise ApiError("not_in_channel")
        return channel

    def recipient(self, user_id: str, *, inactive_error: str, direct: bool = True) -> User:
        """The user the bot is about to write to (``direct``: in a DM), or the error Slack gives.

        User faults come first, so a test can make any user fail the way a real one might.
        """
        fault = self.faults.for_user(user_id)
        if fault is not None:
            raise ApiError(fault)
        user = self.known_user_or(user_id, "user_not_found")
        if direct and user.is_bot:
            raise ApiError("cannot_dm_bot")
        if user.deleted:
            raise ApiError(inactive_error)
        return user

    def conversation(self, channel_id: str) -> Channel:
        """A conversation by id only (no names, no user ids), as most methods require."""
        return self.find_channel(channel_id, by_name=False)

    def find_channel(self, target: str, *, by_name: bool) -> Channel:
        channel_id = target
        if by_name and not target.startswith(("C", "D", "G")):
            channel_id = self.channel_by_name.get(target.removeprefix("#"), "")
        channel = self.channels.get(channel_id)
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            raise ApiError("channel_not_found")
        return channel

    def open_dm(self, user_id: str) -> tuple[Channel, bool]:
        """The bot's DM with the user, created on first use; True when it was just created."""
        existing = self.dm_by_user.get(user_id)
        if existing is not None:
            return self.channels[existing], False
        channel = Channel(
            id=self.new_id("D"),
            name=None,
            is_im=True,
            is_private=True,
            user=user_id,
            members=(self.bot_user_id, user_id),
            created=int(self.wall_clock()),
        )
        self.channels[channel.id] = channel
        self.dm_by_user[user_id] = channel.id
        return channel, True

    def observed_channel_id(self, target: str, *, create_dm: bool = False) -> str | None:
        if USER_ID.match(target):
            if create_dm:
                return self.open_dm(self.known_user(target).id)[0].id
            return self.dm_by_user.get(target)
        if target.startswith("#"):
            return self.channel_by_name.get(target[1:])
        return target

    def known_user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}")
        return user

    def known_user_or(self, user_id: str, error: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(error)
        return user

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email and u.email.lower() == wanted), None)

    def next_id_number(self) -> int:
        self._ids += 1
        return self._ids

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{self.next_id_number():08X}"

    def next_ts(self) -> str:
        """A message ts from ``wall_clock``, strictly increasing even when the clock stalls or steps
        back, since Slack's ts doubles as the message's unique key in its channel."""
        micros = max(int(self.wall_clock() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction or 0)


def ts_key(ts: str) -> tuple[int, int]:
    """A message ts as a sort key: ``"1700000000.000002"`` sorts after ``"1700000000.000001"``."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction or 0)


Handler = Callable[[Workspace, Args], JsonDict]
"""A Web API method: the workspace and the request's arguments in, the ``ok`` body's fields out."""
