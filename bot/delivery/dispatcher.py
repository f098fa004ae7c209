"""The outbox dispatcher: delivers what transitions wrote, right after they commit, through each row's
transport, and owns every retry, hold and give-up, the same way for every transport.

Each row goes to the transport its `transport` column names (`connectors.delivery`), which says how
the attempt went as an `Outcome` (`connectors.delivery`). The dispatcher acts on it:

    Delivered       recorded as sent (`MessageDelivered` is published; the Home refresher listens)
    Transient       retried after the transport's Retry-After, else after the wait its retry schedule
                    gives (`connectors.delivery.RetrySchedule`, with jitter), and dead-lettered once a
                    schedule that gives up runs out; failures across messages open the transport's
                    circuit (`bot.delivery.circuit`): nothing is sent but a probe a second, and on
                    recovery every row waiting out a backoff from the outage is made due at once. A
                    failure of one address's own server (`address_only`: a webhook endpoint down)
                    leaves the circuit alone and marks that address failing until it answers
    WorkspaceFault  the whole transport is held (`bot.delivery.holds`); the row goes back untried, its
                    attempt not counted; a probe every 30 s lifts the hold once the fault is fixed
    AddressFault    that address is held the same way; re-checked every minute
    RecipientGone   given up, and an offer's lead is routed to someone else
    Permanent       dead-lettered with its error: `leadrelay outbox` lists it, `outbox retry` resends it

Every hold, outage and failing address is on `/healthz` (`problems`, `held`). A new lead's DM does not wait for the
loop: intake leases it in the transaction that routes the lead and `hand_over` posts it straight after
the commit; should that process die first, the lease runs out and the loop delivers it like any other
row. Delivery is in order per address (the outbox hands out one row per address at a time).

The dispatcher hears about the rest of the service through the event hub (`bot.events`), as the
composition root subscribes it: `wake` after a commit that queued rows, `hold` and `release` around an
SLA sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.delivery.circuit import Circuit, Outage
from bot.delivery.holds import Held, Holds
from bot.events import MessageDelivered
from connectors.delivery import (
    LEASE,
    AddressFault,
    Delivered,
    Fault,
    Permanent,
    RecipientGone,
    Transient,
    Transport,
    WorkspaceFault,
)
from storage.model import Handover, LeadView, OutboxItem, OutboxKind
from storage.store import Store

log = logging.getLogger(__name__)

BATCH = 50

Publish = Callable[[Iterable[object]], None]


@dataclass(slots=True)
class _Lane:
    """One transport and what the dispatcher knows about it."""

    name: str
    transport: Transport
    circuit: Circuit
    holds: Holds
    backing_off: dict[int, datetime] = field(default_factory=dict)  # row id: the retry time a failure gave it
    failing: dict[str, Outage] = field(default_factory=dict)  # address: its own server failing since (address_only)

    @property
    def sending(self) -> bool:
        """Neither an outage nor a workspace fault holds the whole transport."""
        return self.circuit.outage is None and self.holds.workspace is None


class Dispatcher:
    def __init__(self, *, store: Store, transports: Mapping[str, Transport], clock: Clock, publish: Publish) -> None:
        self.store, self.outbox, self.clock, self.publish = store, store.outbox, clock, publish
        self._lanes = {
            str(name): _Lane(str(name), transport, Circuit(str(name)), Holds(str(name)))
            for name, transport in transports.items()
        }
        self._wake = asyncio.Event()
        self._held = False  # an SLA sweep is writing: see `hold`
        self.posts_on_commit = True  # False offline, where nobody posts: rows wait for `serve`
        self._in_flight: set[asyncio.Task[None]] = set()
        self._refill = False  # the loop filled every slot: wake it when half are free again

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

    def problems(self) -> list[str]:
        """What keeps delivery back, one line each: outages, then holds, per transport."""
        lines = []
        for lane in self._lanes.values():
            if (outage := lane.circuit.outage) is not None:
                lines.append(outage.describe())
            lines.extend(lane.failing[address].describe() for address in sorted(lane.failing))
            lines.extend(held.describe() for held in lane.holds.all())
        return lines

    def held(self) -> list[Held]:
        """Every hold, per transport: the whole transport's first, then by address."""
        return [held for lane in self._lanes.values() for held in lane.holds.all()]

    async def run(self, *, idle: float = 1.0) -> None:
        """Deliver forever: on every wake-up, and at least every `idle` seconds for retries that fall due.

        Each row goes out in a task of its own, so one slow call (a timeout, a channel's pacing) holds
        up only its own address's later rows; at most BATCH are in flight at once, and a backlog larger
        than that is leased again as soon as half of them are done."""
        while True:
            timeout = idle
            if (check_at := self._next_check()) is not None:  # a probe or re-check is due before that
                timeout = min(idle, max(0.0, (check_at - self.clock.now()).total_seconds()))
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
                else:  # every slot taken and more may be due (a backlog): lease again once half are free
                    self._refill = True
            except Exception:  # the loop must outlive any one bad lease; rows stay pending
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

    async def deliver(self, item: OutboxItem, view: LeadView | None = None) -> None:
        """Deliver one leased row through its transport and act on the outcome. `view`: the lead, if the
        caller has it at hand. While its transport or address is held the row goes back untried."""
        now = self.clock.now()
        lane = self._lanes.get(item.transport)
        if lane is None:
            await self._settle_permanent(item, Permanent(error=f"no transport {item.transport!r}"), now)
            return
        if not lane.sending:
            workspace = lane.holds.workspace
            await self.outbox.release(item.id, at=now, error=_held(workspace.fault) if workspace else None)
            return
        if (held := lane.holds.address(item.address)) is not None:
            await self.outbox.release(item.id, at=held.check_at, error=_held(held.fault))
            return
        lane.backing_off.pop(item.id, None)  # leased again: the backoff it waited out is over
        outcome = await lane.transport.deliver(item, view)
        if not isinstance(outcome, Transient):
            lane.failing.pop(item.address, None)
            await self._answered(lane)
        match outcome:
            case Delivered():
                await self._delivered(item, outcome)
            case Transient():
                await self._retry(lane, item, outcome, now)
            case WorkspaceFault():
                await self.outbox.release(item.id, at=now, error=_held(outcome))
                if lane.holds.workspace is None:
                    log.error("%s: holding all delivery: %s (%s)", lane.name, outcome.error, outcome.fix)
                lane.holds.hold(outcome, now)
            case AddressFault():
                if lane.holds.address(item.address) is None:
                    log.error("%s %s: holding delivery: %s (%s)", lane.name, item.address, outcome.error, outcome.fix)
                held = lane.holds.hold(outcome, now, address=item.address)
                await self.outbox.release(item.id, at=held.check_at, error=_held(outcome))
            case RecipientGone():
                await self._unblock(self.outbox.mark_failed(item.id, error=outcome.error, now=now))
                await self._reroute(item, outcome.reason)
            case Permanent():
                await self._settle_permanent(item, outcome, now)

    async def _delivered(self, item: OutboxItem, outcome: Delivered) -> None:
        sent_at = self.clock.now()
        if outcome.digested:
            ids = [row.id for row in outcome.digested]
            await self.outbox.mark_digested(ids, channel=outcome.channel, ts=outcome.ts, now=sent_at)
            return
        await self._unblock(self.outbox.mark_sent(item.id, channel=outcome.channel, ts=outcome.ts, now=sent_at))
        self.publish((MessageDelivered(item=item, view=outcome.view, at=sent_at),))

    async def _retry(self, lane: _Lane, item: OutboxItem, outcome: Transient, now: datetime) -> None:
        """Try `item` again later, as the other side asked or the transport's schedule says, and tell the
        transport's circuit; dead-letter it once a schedule that gives up has run out."""
        wait = lane.transport.retry_schedule.wait(item.attempts)
        if wait is None:
            error = f"gave up after {item.attempts} attempts: {outcome.error}"
            await self._settle_permanent(item, Permanent(error=error), now)
            lane.failing.pop(item.address, None)  # the dead letter says it now; the next row's attempt says more
            return
        # jitter spreads replicas apart; the circuit makes the row due again as soon as the outage ends
        retry_at = now + timedelta(seconds=outcome.after if outcome.after is not None else wait)
        await self.outbox.mark_retry(item.id, error=outcome.error, at=retry_at)
        if not outcome.rate_limited and not outcome.address_only:  # Retry-After holds even after an outage
            lane.backing_off[item.id] = retry_at
        if outcome.address_only:  # one endpoint down says nothing of the others: the circuit stays closed
            failing = lane.failing.get(item.address)
            since = failing.since if failing is not None else now
            where = f"{lane.name} {item.address}"
            lane.failing[item.address] = Outage(transport=where, since=since, last_error=outcome.error)
            return
        if lane.circuit.failed(self.clock.now(), outcome.error, message=item.id):
            log.warning("%s is failing across messages (%s); holding delivery and probing", lane.name, outcome.error)

    async def _settle_permanent(self, item: OutboxItem, outcome: Permanent, now: datetime) -> None:
        log.error("outbox row %s (%s) dead-lettered: %s", item.id, item.kind, outcome.error)
        await self._unblock(self.outbox.mark_failed(item.id, error=outcome.error, now=now))

    async def _reroute(self, item: OutboxItem, reason: str) -> None:
        """The recipient of `item` is gone: withdraw an offer's DM's offer and route the lead to someone
        else (the store publishes what that commits)."""
        if item.kind != OutboxKind.OFFER_DM or item.offer_id is None:
            # Updates and reminders to a gone rep have nobody left to inform.
            log.warning("outbox row %s: recipient %s is gone (%s)", item.id, item.address, reason)
            return
        await self.store.withdraw_unreachable(item.offer_id, code=reason, now=self.clock.now())

    async def _unblock(self, finished: Awaitable[bool]) -> None:
        """Record a row as done; if its address has another row waiting behind it, deliver that now."""
        if await finished:
            self.wake()

    async def _answered(self, lane: _Lane) -> None:
        """The transport's other side answered. If that ends an outage, every row waiting out a backoff
        from it is due now."""
        if not lane.circuit.answered():
            return
        waiting, lane.backing_off = lane.backing_off, {}
        resumed = await self.outbox.resume(waiting, now=self.clock.now())
        log.warning("%s is answering again; %d waiting message(s) resume now", lane.name, resumed)
        self.wake()

    async def _lease(self, limit: int) -> list[OutboxItem]:
        if self._held:
            return []
        await self._check_faults()
        sending = [lane.name for lane in self._lanes.values() if lane.sending]
        if not sending:
            return []
        only = None if len(sending) == len(self._lanes) else sending
        return await self.outbox.lease_due(self.clock.now(), limit=limit, lease=LEASE, transports=only)

    def _next_check(self) -> datetime | None:
        """When the next probe (an outage, a held transport) or address re-check is due."""
        checks = [lane.circuit.probe_at for lane in self._lanes.values()]
        checks += [lane.holds.next_check() for lane in self._lanes.values()]
        return min((at for at in checks if at is not None), default=None)

    async def _check_faults(self) -> None:
        """Run the probes and re-checks that are due: an outage's, then each hold's."""
        for lane in self._lanes.values():
            now = self.clock.now()
            if lane.circuit.outage is not None:
                if lane.circuit.probe_due(now):
                    await self._probe_outage(lane, now)
                continue  # holds wait until the other side answers at all
            for held in lane.holds.due(now):
                await self._recheck(lane, held, now)

    async def _probe_outage(self, lane: _Lane, now: datetime) -> None:
        outcome = await lane.transport.probe(None)
        if isinstance(outcome, Transient):
            retry_after = timedelta(seconds=outcome.after or 0)
            lane.circuit.probe_failed(now, outcome.error, retry_after=retry_after)
            return
        await self._answered(lane)
        if isinstance(outcome, WorkspaceFault):
            lane.holds.hold(outcome, now)

    async def _recheck(self, lane: _Lane, held: Held, now: datetime) -> None:
        """Probe a held transport, or re-check a held address; lift the hold if the fault is gone. A held
        address's oldest row waits for the re-check time, so once lifted it is due already."""
        # A probe waits as long as any call of its transport (their own timeouts): a service that is slow
        # but answering is up, and a shorter bound would hold all delivery while it is slow.
        if isinstance(held.fault, WorkspaceFault):
            outcome = await lane.transport.probe(held.fault)
        else:
            assert held.address is not None
            outcome = await lane.transport.recheck(held.address, held.fault)
        if isinstance(outcome, Delivered):
            lane.holds.checked(held, now, still=None)
            where = f"{lane.name} {held.address}" if held.address else lane.name
            log.warning("%s: %s is fixed; delivery resumes", where, held.fault.error)
            self.wake()
            return
        still = outcome if isinstance(outcome, (WorkspaceFault, AddressFault)) else held.fault
        lane.holds.checked(held, now, still=still)

    def _start(self, item: OutboxItem, view: LeadView | None = None) -> None:
        task = asyncio.create_task(self.deliver(item, view), name=f"outbox-{item.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._in_flight.discard(task)
        if self._refill and len(self._in_flight) <= BATCH // 2:  # a backlog drains at the transport's pace
            self._refill = False
            self.wake()
        if not task.cancelled() and task.exception() is not None:  # the row stays leased: redelivered later
            log.error("outbox row delivery failed; retrying after its lease", exc_info=task.exception())


def _held(fault: Fault) -> str:
    """What a row held by `fault` records as its last error, for `leadrelay outbox`."""
    return f"held: {fault.error}: {fault.fix}"
