"""The outbox sender: delivers what transitions wrote, right after they commit, and owns every retry.

Rows are rendered at send time from the lead as it is now, so a message delayed by a Slack outage
still shows the truth when it lands. Retries: 429 waits for Slack's `Retry-After`; 5xx and timeouts
back off exponentially with jitter; permanent errors are recorded and dropped (the lead itself is in
the database and unaffected). A recipient Slack says is gone (`user_not_found`, `account_inactive`,
`cannot_dm_bot`) has their offer withdrawn and the lead routed to someone else.

The sender hears about the rest of the service through the event hub (`bot.events`), as the
composition root subscribes it: `wake` after a commit that queued rows, `hold` and `release` around an
SLA sweep; it publishes `MessageDelivered` after each delivery (the Home refresher listens).

A new lead's DM does not wait for the loop: intake leases it in the transaction that routes the lead
and `hand_over` posts it straight after the commit. Should that process die first, the lease runs out
and the loop delivers it like any other row.

Posts to one channel are paced to Slack's ~1 message per second. The outbox hands out at most one row
per address at a time, so delivery order per rep and per channel is the order of the transitions.

An outage is a circuit (`bot.circuit`): once Slack fails transiently across messages the sender stops
sending (rows it is handed go back to the outbox untried), `/healthz` names the outage, and a cheap
`auth.test` probes every second. When Slack answers again, every row still waiting out a backoff from
the outage is made due at once, so the backlog drains at the rate Slack and channel pacing allow rather
than row by row. A 429's `Retry-After` still holds for the row it was given to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.circuit import SlackCircuit
from bot.clock import Clock
from bot.events import MessageDelivered
from bot.kinds import DIGESTIBLE, KINDS, Landed, NotDeliverable
from bot.metrics import Metrics
from bot.people import People
from bot.render import channel as channel_posts
from bot.render.kit import Rendered
from bot.slack import (
    TIMEOUT,
    RateLimited,
    RecipientGone,
    Slack,
    SlackProblem,
    SlackRejected,
    SlackUnavailable,
    Upload,
)
from routing import RoutingConfig
from storage.model import Handover, LeadView, OutboxItem, OutboxKind
from storage.store import Store
from storage.views import Views

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(seconds=TIMEOUT + 5)  # outlasts one Slack call, so no second sender claims a row in flight
CHANNEL_GAP = timedelta(seconds=1)  # Slack: about one message per second per channel
BACKOFF_BASE, BACKOFF_CAP = 2.0, 300.0  # seconds
DEDUP_EVENT = "leadrelay_outbox"  # metadata event_type stamped on every post
DIGEST_AT = 5  # pending posts to one channel that become one digest rather than a stream
RECENT_HISTORY = 100  # messages searched for an earlier attempt's post: a retry follows it within minutes
PROBE_TIMEOUT = 2.0  # seconds: a probe that hangs is a failed probe, not a stalled sender

Publish = Callable[[Iterable[object]], None]


class OutboxSender:
    def __init__(
        self,
        *,
        store: Store,
        views: Views,
        slack: Slack,
        config: RoutingConfig,
        people: People,
        clock: Clock,
        metrics: Metrics,
        publish: Publish,
    ) -> None:
        self.store, self.outbox, self.views, self.slack = store, store.outbox, views, slack
        self.config, self.people, self.clock, self.metrics = config, people, clock, metrics
        self.publish = publish
        self._wake = asyncio.Event()
        self._channel_free_at: dict[str, datetime] = {}
        self.channel_gap = CHANNEL_GAP  # tests that are not about pacing set it to zero
        self._held = False  # an SLA sweep is writing: see `hold`
        self.posts_on_commit = True  # False offline, where nobody posts: rows wait for `serve`
        self._in_flight: set[asyncio.Task[None]] = set()
        self._refill = False  # the loop filled every slot: wake it when half are free again
        self.circuit = SlackCircuit()
        self._backing_off: dict[int, datetime] = {}  # row id: the retry time a transient failure gave it

    @property
    def handover_lease(self) -> timedelta | None:
        """The lease a transition takes on a new DM it hands to `hand_over`; None: leave it to the loop."""
        return LEASE if self.posts_on_commit else None

    def hand_over(self, handover: Handover) -> None:
        """Post a DM leased in the transaction that just committed, now, beside the delivery loop: a new
        lead's DM waits for no claim round trip."""
        self._start(handover.item, handover.view)

    def wake(self) -> None:
        """Deliver now: called after every commit that wrote outbox rows, and when a delivered row had
        another waiting behind it."""
        self._wake.set()

    def hold(self) -> None:
        """Lease nothing until `release`: an SLA sweep is writing, and its channel posts should go out
        together as one digest. (Holding leased rows instead would count attempts.)"""
        self._held = True

    def release(self) -> None:
        """Lease again, at once: what the sweep queued, and any wake-up missed meanwhile."""
        self._held = False
        self.wake()

    async def run(self, *, idle: float = 1.0) -> None:
        """Deliver forever: on every wake-up, and at least every `idle` seconds for retries that fall due.

        Each row goes out in a task of its own, so one slow call (a Slack timeout, a channel's pacing)
        holds up only its own address's later rows; at most BATCH are in flight at once, and a backlog
        larger than that is claimed again as soon as half of them are done."""
        while True:
            timeout = idle
            if (probe_at := self.circuit.probe_at) is not None:  # Slack is out: wake for the next probe
                timeout = min(idle, max(0.0, (probe_at - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):  # idle: look again for retries that fell due
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            self._wake.clear()
            try:
                while (room := BATCH - len(self._in_flight)) > 0:
                    items = await self._lease(room)
                    for item in items:
                        self._start(item)
                    if len(items) < room:
                        break
                else:  # every slot taken and more may be due (a backlog): claim again once half are free
                    self._refill = True
            except Exception:  # the loop must outlive any one bad claim; rows stay pending
                log.exception("outbox delivery failed; retrying")

    async def drain(self) -> int:
        """Deliver one batch of due rows and wait for them; returns how many were handed out. Rows for
        different addresses go out concurrently; each address's rows stay in order."""
        items = await self._lease(BATCH)
        await asyncio.gather(*(self.deliver(item) for item in items))
        return len(items)

    async def settle(self, *, grace: float | None = None) -> None:
        """Wait for the rows in flight to be delivered. After `grace` seconds, stop waiting and cancel the
        rest: their leases run out and they are delivered again, by this process or another."""
        while self._in_flight:
            _done, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            if pending and grace is not None:
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending)
                return

    async def _lease(self, limit: int) -> list[OutboxItem]:
        if self._held:
            return []
        if not await self._slack_is_up():
            return []
        return await self.outbox.lease_due(self.clock.now(), limit=limit, lease=LEASE)

    async def _slack_is_up(self) -> bool:
        """Whether to send: the circuit is closed, or a probe that is due finds Slack back (which closes it
        and resumes the backlog)."""
        if self.circuit.outage is None:
            return True
        now = self.clock.now()
        if not self.circuit.probe_due(now):
            return False
        try:
            await asyncio.wait_for(self.slack.call("auth.test"), PROBE_TIMEOUT)
        except RateLimited as exc:
            self.circuit.probe_failed(now, str(exc), retry_after=timedelta(seconds=exc.retry_after))
            return False
        except (SlackUnavailable, TimeoutError) as exc:
            self.circuit.probe_failed(now, str(exc) or "auth.test: timeout")
            return False
        except SlackProblem:
            pass  # Slack answered, if with an error of its own: it is up
        await self._answered()
        return True

    async def _answered(self) -> None:
        """Slack answered a call. If that ends an outage, every row waiting out a backoff from it is due now."""
        if not self.circuit.answered():
            return
        waiting, self._backing_off = self._backing_off, {}
        resumed = await self.outbox.resume(waiting, now=self.clock.now())
        log.warning("Slack is answering again; %d waiting message(s) resume now", resumed)
        self.wake()

    async def _failed(self, item: OutboxItem, exc: SlackProblem, retry_at: datetime) -> None:
        """Record a transient failure of `item`'s delivery: retry it at `retry_at`, and tell the circuit."""
        await self.outbox.mark_retry(item.id, error=str(exc), at=retry_at)
        if not isinstance(exc, RateLimited):  # Retry-After holds for its row even after an outage ends
            self._backing_off[item.id] = retry_at
        if self.circuit.failed(self.clock.now(), str(exc), message=item.id):
            log.warning("Slack is failing across messages (%s); holding delivery and probing", exc)

    def _start(self, item: OutboxItem, view: LeadView | None = None) -> None:
        task = asyncio.create_task(self.deliver(item, view), name=f"outbox-{item.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if self._refill and len(self._in_flight) <= BATCH // 2:  # a backlog drains at Slack's pace, not idle's
            self._refill = False
            self.wake()
        if not task.cancelled() and task.exception() is not None:  # the row stays leased: redelivered later
            log.error("outbox row delivery failed; retrying after its lease", exc_info=task.exception())

    async def deliver(self, item: OutboxItem, view: LeadView | None = None) -> None:
        """Deliver one leased row and record the outcome. `view`: the lead, if the caller has it at hand.
        While Slack is out (the circuit is open) the row goes back to the outbox untried."""
        now = self.clock.now()
        if self.circuit.outage is not None:
            await self.outbox.release(item.id, at=now)
            return
        self._backing_off.pop(item.id, None)  # leased again: the backoff it waited out is over
        digested: list[OutboxItem] = []
        try:
            digested = await self._backlog(item, now)
            if digested:
                channel, ts = await self._post_digest(item.address, digested, now)
            else:
                if view is None and item.lead_id is not None:
                    view = await self.views.lead_view(item.lead_id)
                channel, ts = await self._send(item, now, view)
        except RateLimited as exc:
            await self._failed(item, exc, now + timedelta(seconds=exc.retry_after))
        except SlackUnavailable as exc:
            delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, item.attempts - 1))
            # jitter spreads replicas apart; the circuit makes the row due again as soon as Slack is back
            await self._failed(item, exc, now + timedelta(seconds=delay * random.uniform(0.5, 1.0)))
        except RecipientGone as exc:
            await self._answered()
            await self._unblock(self.outbox.mark_failed(item.id, error=str(exc), now=now))
            await self._reroute(item, exc.code)
        except SlackRejected as exc:
            log.error("outbox row %s (%s) rejected by Slack: %s", item.id, item.kind, exc)
            await self._answered()
            await self._unblock(self.outbox.mark_failed(item.id, error=str(exc), now=now))
        else:
            await self._answered()
            sent_at = self.clock.now()
            if digested:
                await self.outbox.mark_digested([row.id for row in digested], channel=channel, ts=ts, now=sent_at)
                return
            await self._unblock(self.outbox.mark_sent(item.id, channel=channel, ts=ts, now=sent_at))
            self.publish((MessageDelivered(item=item, view=view),))
            if item.kind == OutboxKind.OFFER_DM:  # queued in the routing transaction, right after intake
                self.metrics.intake_to_dm.observe(max(0.0, (sent_at - item.created_at).total_seconds()))
                if view is not None and item.payload.get("attempt") == 1:  # the lead's first DM: system time
                    since_intake = (sent_at - view.lead.received_at).total_seconds()
                    self.metrics.speed_to_lead_system.observe(max(0.0, since_intake))

    async def _reroute(self, item: OutboxItem, code: str) -> None:
        """Slack says the recipient of `item` is gone: withdraw an offer's DM's offer and route the lead
        to someone else (the store publishes what that commits)."""
        if item.kind != OutboxKind.OFFER_DM or item.offer_id is None:
            # Updates and reminders to a gone rep have nobody left to inform.
            log.warning("outbox row %s: recipient %s is gone (%s)", item.id, item.address, code)
            return
        await self.store.withdraw_unreachable(item.offer_id, code=code, now=self.clock.now())

    async def _unblock(self, finished: Awaitable[bool]) -> None:
        """Record a row as done; if its address has another row waiting behind it, deliver that now."""
        if await finished:
            self.wake()

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

    async def _send(self, item: OutboxItem, now: datetime, view: LeadView | None) -> Landed:
        """Deliver one row as its kind says (`bot.kinds`); returns the (channel, ts) it landed as. Raises
        SlackProblem."""
        kind = KINDS.get(item.kind)
        if kind is None:
            raise SlackRejected("outbox", f"unknown kind {item.kind!r}")
        try:
            return await kind.deliver(self, item, view, now)
        except NotDeliverable as exc:
            raise SlackRejected("outbox", str(exc)) from exc

    async def update(self, channel: str, ts: str, rendered: Rendered) -> Landed:
        """Rewrite the message at (`channel`, `ts`): `Outlet.update` for the kinds."""
        await self.slack.call("chat.update", channel=channel, ts=ts, text=rendered.text, blocks=rendered.blocks)
        return channel, ts

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
        """Post, stamped with `dedup_key` (default: the row's), unless an earlier attempt already did: the
        `Outlet.post` the kinds deliver through. Returns (channel, ts)."""
        key = dedup_key or item.dedup_key
        if item.attempts > 1:  # an earlier attempt may have reached Slack before we could record it
            found = await self._already_posted(key, channel, thread_ts)
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
        response = await self.slack.call("chat.postMessage", **arguments)
        return str(response["channel"]), str(response["ts"])

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

    async def _already_posted(self, key: str, channel: str, thread_ts: str | None) -> tuple[str, str] | None:
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
        """Hold a post until the channel's previous one is a second old (real time: Slack's clock)."""
        loop_now = datetime.fromtimestamp(asyncio.get_running_loop().time())
        free_at = self._channel_free_at.get(channel)
        if free_at is not None and free_at > loop_now:
            await asyncio.sleep((free_at - loop_now).total_seconds())
            loop_now = free_at
        self._channel_free_at[channel] = loop_now + self.channel_gap

    def dm(self, person_id: str) -> str:
        """`Outlet.dm`: the Slack user behind config id `person_id`; raises RecipientGone for nobody."""
        slack_id = self.people.slack_id(person_id)
        if slack_id is None:
            raise RecipientGone("chat.postMessage", "user_not_found")
        return slack_id


__all__ = ["OutboxSender", "SlackProblem"]
