"""The Slack transport: delivers outbox rows as Slack messages, and reads Slack's errors into the taxonomy.

Everything Slack-specific about delivery lives here: the message kinds (`bot.kinds`, rendered at send
time from the lead as it is now), digests (a backlog of posts to one channel becomes one message with
the details in its thread), the dedup key every post carries in its metadata (a retry looks for it
first, so a lost answer never posts twice), pacing to Slack's ~1 message per second per channel, and
joining a public channel the bot is not in. Rows of transport `slack` have as address a config person
id (their DM) or a channel id.

Slack's errors, as `deliver` reports them (`connectors.delivery`):

    429 (with Retry-After), 5xx, timeouts, ratelimited, internal_error, …     Transient
    invalid_auth, not_authed, token_revoked, token_expired, account_inactive,
    missing_scope (with the scope `needed`), team_access_not_granted           WorkspaceFault
    not_in_channel (the bot cannot join: a private channel), channel_not_found,
    is_archived                                                                AddressFault
    user_not_found, user_disabled, cannot_dm_bot, …                            RecipientGone
    anything else (Slack rejects this message as it stands)                    Permanent

`probe` is `auth.test` (with the scopes Slack lists on its answer, for a missing scope); `recheck` is
`conversations.info`, joining the channel if the bot may.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.clock import Clock
from bot.kinds import DIGESTIBLE, KINDS, Landed, NotDeliverable
from bot.people import People
from bot.render import channel as channel_posts
from bot.render.kit import Rendered
from bot.slack import RateLimited, Slack, SlackProblem, SlackRejected, SlackUnavailable, Upload
from bot.slack import RecipientGone as SlackRecipientGone
from connectors.delivery import (
    EXPONENTIAL,
    LEASE,
    AddressFault,
    Delivered,
    Outcome,
    Permanent,
    RecipientGone,
    Transient,
    WorkspaceFault,
)
from routing import RoutingConfig
from storage.model import LeadView, OutboxItem
from storage.outbox import Outbox
from storage.views import Views

_T = TypeVar("_T")

CHANNEL_GAP = timedelta(seconds=1)  # Slack: about one message per second per channel
DEDUP_EVENT = "leadrelay_outbox"  # metadata event_type stamped on every post
DIGEST_AT = 5  # pending posts to one channel that become one digest rather than a stream
RECENT_HISTORY = 100  # messages searched for an earlier attempt's post: a retry follows it within minutes

REINSTALL = (
    "reinstall the app to the workspace (api.slack.com/apps → Install App) and set SLACK_BOT_TOKEN to its new "
    "xoxb- token"
)
WORKSPACE_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid token: set it to the app's Bot User OAuth Token (xoxb-…)",
    "not_authed": "SLACK_BOT_TOKEN is empty: set it to the app's Bot User OAuth Token (xoxb-…)",
    "token_revoked": f"the token was revoked or the app removed: {REINSTALL}",
    "token_expired": f"the token expired: {REINSTALL}",
    "account_inactive": f"the app's bot user or the workspace is deactivated: {REINSTALL}",
    "team_access_not_granted": "the app is not granted access to this workspace: an org admin must add it, "
    "then reinstall",
}
ADDRESS_FIXES = {
    "channel_not_found": "no such channel, or a private one the app is not in: check the team's `channel:` id, "
    "or invite the app to it (/invite @Leadrelay)",
    "is_archived": "the channel is archived: unarchive it, or point the team's `channel:` at another one",
    "not_in_channel": "the app is not in this private channel: invite it (/invite @Leadrelay in the channel)",
}


class SlackTransport:
    """The `slack` transport (see the module docstring); also the `bot.kinds.Outlet` the kinds deliver
    through. `channel_gap`: the pause between two posts to one channel (tests not about pacing use 0)."""

    retry_schedule = EXPONENTIAL  # a DM must arrive however long Slack is out: never give up

    def __init__(
        self,
        *,
        slack: Slack,
        views: Views,
        outbox: Outbox,
        config: RoutingConfig,
        people: People,
        clock: Clock,
        channel_gap: timedelta = CHANNEL_GAP,
    ) -> None:
        self.slack, self.views, self.outbox, self.people, self.clock = slack, views, outbox, people, clock
        self._config = config
        self.channel_gap = channel_gap
        self._channel_free_at: dict[str, datetime] = {}
        self._missing_scopes: frozenset[str] = frozenset()  # what the last missing_scope said we need

    @property
    def config(self) -> RoutingConfig:
        return self._config

    # ------------------------------------------------------------------------------------- the transport

    async def deliver(self, item: OutboxItem, view: LeadView | None) -> Outcome:
        """Deliver one row as its kind says, or as one digest with the channel's backlog."""
        now = self.clock.now()
        try:
            digested = await self._backlog(item, now)
            if digested:
                channel, ts = await self._post_digest(item.address, digested, now)
                return Delivered(channel=channel, ts=ts, digested=tuple(digested))
            if view is None and item.lead_id is not None:
                view = await self.views.lead_view(item.lead_id)
            kind = KINDS.get(item.kind)
            if kind is None:
                return Permanent(error=f"outbox: unknown kind {item.kind!r}")
            channel, ts = await kind.deliver(self, item, view, now)
        except NotDeliverable as exc:
            return Permanent(error=f"outbox: {exc}")
        except SlackProblem as exc:
            return self.classify(exc)
        return Delivered(channel=channel, ts=ts, view=view)

    async def probe(self, fault: WorkspaceFault | None) -> Outcome:
        """`auth.test`: Slack answers, our token works, and it holds the scopes a missing_scope named."""
        try:
            granted = await self.slack.granted_scopes()
        except SlackProblem as exc:
            outcome = self.classify(exc)
            # Slack answered with an error of its own: it is up (the token is another matter).
            return outcome if isinstance(outcome, (Transient, WorkspaceFault)) else Delivered()
        if fault is not None and granted is not None and not self._missing_scopes <= granted:
            return self._missing_scope(sorted(self._missing_scopes - granted))
        self._missing_scopes = frozenset()
        return Delivered()

    async def recheck(self, address: str, fault: AddressFault) -> Outcome:
        """`conversations.info`: the channel exists, is not archived, and the bot is in it (joining a
        public one)."""
        try:
            channel = (await self.slack.call("conversations.info", channel=address))["channel"]
            if channel.get("is_archived"):
                return AddressFault(error="is_archived", fix=ADDRESS_FIXES["is_archived"])
            if not channel.get("is_member", True) and not channel.get("is_im"):
                await self._join(address)
        except SlackProblem as exc:
            return self.classify(exc)
        return Delivered()

    def classify(self, exc: SlackProblem) -> Outcome:
        """Slack's error, as the taxonomy reads it (see the module docstring)."""
        if isinstance(exc, RateLimited):
            return Transient(error=str(exc), after=exc.retry_after, rate_limited=True)
        if isinstance(exc, SlackUnavailable):
            return Transient(error=str(exc))
        if isinstance(exc, SlackRecipientGone):
            return RecipientGone(error=str(exc), reason=exc.code)
        if exc.code == "missing_scope":
            needed = exc.needed if isinstance(exc, SlackRejected) else None
            return self._missing_scope(sorted(filter(None, (needed or "").split(","))))
        if exc.code in WORKSPACE_FIXES:
            return WorkspaceFault(error=exc.code, fix=WORKSPACE_FIXES[exc.code])
        if exc.code in ADDRESS_FIXES:
            return AddressFault(error=exc.code, fix=ADDRESS_FIXES[exc.code])
        return Permanent(error=str(exc))

    def _missing_scope(self, needed: list[str]) -> WorkspaceFault:
        self._missing_scopes = frozenset(needed)
        scopes = ", ".join(needed) or "the scope Slack names"
        fix = f"add the {scopes} scope to the app (api.slack.com/apps → OAuth & Permissions), then reinstall it"
        return WorkspaceFault(error=f"missing_scope: {scopes}" if needed else "missing_scope", fix=fix)

    # ---------------------------------------------------------------------- the Outlet the kinds send with

    def dm(self, person_id: str) -> str:
        """The Slack user behind config id `person_id`; raises RecipientGone for nobody."""
        slack_id = self.people.slack_id(person_id)
        if slack_id is None:
            raise SlackRecipientGone("chat.postMessage", "user_not_found")
        return slack_id

    async def update(self, channel: str, ts: str, rendered: Rendered) -> Landed:
        """Rewrite the message at (`channel`, `ts`)."""
        await self.slack.call("chat.update", channel=channel, ts=ts, text=rendered.text, blocks=rendered.blocks)
        return channel, ts

    async def upload(self, item: OutboxItem, channel: str, files: Sequence[Upload], *, thread_ts: str) -> None:
        """Share `files` in the thread of `thread_ts` (`Outlet.upload`), unless an earlier attempt of `item`
        already did: a retry first looks in the thread for a message with the same file names."""
        if item.attempts > 1:
            replies = await self.slack.call("conversations.replies", channel=channel, ts=thread_ts, limit=200)
            names = {f.filename for f in files}
            for message in replies.get("messages", []):
                if names <= {str(shared.get("name")) for shared in message.get("files", [])}:
                    return
        await self.slack.upload(channel, files, thread_ts=thread_ts)

    async def post(
        self,
        item: OutboxItem,
        channel: str,
        rendered: Rendered,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
        dedup_key: str | None = None,
    ) -> Landed:
        """Post, stamped with `dedup_key` (default: the row's), unless an earlier attempt already did.
        A public channel the bot is not in is joined first. Returns (channel, ts)."""
        key = dedup_key or item.dedup_key
        if item.attempts > 1:  # an earlier attempt may have reached Slack before we could record it
            found = await self._joining(channel, lambda: self._already_posted(key, channel, thread_ts))
            if found is not None:
                return found
        await self._pace(channel)
        arguments: dict[str, Any] = {
            "channel": channel,
            "text": rendered.text,
            "blocks": rendered.blocks,
            "unfurl_links": False,
            "metadata": {"event_type": DEDUP_EVENT, "event_payload": {"dedup_key": key}},
        }
        if thread_ts:
            arguments["thread_ts"] = thread_ts
            arguments["reply_broadcast"] = broadcast
        response = await self._joining(channel, lambda: self.slack.call("chat.postMessage", **arguments))
        return str(response["channel"]), str(response["ts"])

    # ------------------------------------------------------------------------------------------ helpers

    async def _joining(self, channel: str, call: Callable[[], Awaitable[_T]]) -> _T:
        """`call`, and if Slack says the bot is not in `channel`, join it and call again. Raises
        SlackProblem (`not_in_channel` when the bot may not join: a private channel)."""
        try:
            return await call()
        except SlackRejected as exc:
            if exc.code != "not_in_channel":
                raise
        await self._join(channel)
        return await call()

    async def _join(self, channel: str) -> None:
        """`conversations.join`; a private channel (which only an invitation opens) is `not_in_channel`."""
        try:
            await self.slack.call("conversations.join", channel=channel)
        except SlackRejected as exc:
            if exc.code == "method_not_supported_for_channel_type":
                raise SlackRejected("conversations.join", "not_in_channel") from exc
            raise

    async def _backlog(self, item: OutboxItem, now: datetime) -> list[OutboxItem]:
        """A channel's pending posts, leased, when there are enough to send one digest instead."""
        if item.kind not in DIGESTIBLE or not item.address.startswith(("C", "G")):
            return []
        return await self.outbox.lease_backlog(item.address, kinds=DIGESTIBLE, at_least=DIGEST_AT, now=now, lease=LEASE)

    async def _post_digest(self, channel: str, rows: list[OutboxItem], now: datetime) -> Landed:
        """One message for many leads (after an outage, say), with the details in its thread."""
        views = await self.views.lead_views([row.lead_id for row in rows if row.lead_id is not None])
        key = f"digest:{rows[0].id}"
        parent = channel_posts.backlog_digest(views, self.config, now)
        channel, ts = await self.post(rows[0], channel, parent, dedup_key=key)
        for part, details in enumerate(channel_posts.backlog_digest_details(views, self.config, now), start=1):
            await self.post(rows[0], channel, details, thread_ts=ts, dedup_key=f"{key}:{part}")
        return channel, ts

    async def _already_posted(self, key: str, channel: str, thread_ts: str | None) -> Landed | None:
        """The (channel, ts) of a message carrying dedup `key`, if Slack already has one."""
        if channel.startswith(("U", "W")):  # a DM is addressed by user; its history lives in the D… channel
            channel = str((await self.slack.call("conversations.open", users=channel))["channel"]["id"])
        if thread_ts:
            page = await self.slack.call(
                "conversations.replies", channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            page = await self.slack.call(
                "conversations.history", channel=channel, include_all_metadata=True, limit=RECENT_HISTORY
            )
        for message in page.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("dedup_key") == key:
                return channel, str(message["ts"])
        return None

    async def _pace(self, channel: str) -> None:
        """Hold a post until the channel's previous one is `channel_gap` old (real time: Slack's clock)."""
        loop_now = datetime.fromtimestamp(asyncio.get_running_loop().time())
        free_at = self._channel_free_at.get(channel)
        if free_at is not None and free_at > loop_now:
            await asyncio.sleep((free_at - loop_now).total_seconds())
            loop_now = free_at
        self._channel_free_at[channel] = loop_now + self.channel_gap
