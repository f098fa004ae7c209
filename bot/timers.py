"""SLA timers: expiries, reminders, manager re-pings and the release of leads held for the first shift,
driven by deadlines stored in the database.

APScheduler (3.x, in-memory store) runs these jobs, never one job per lead:

* a safety sweep every `SWEEP_EVERY` (first run at start-up, `misfire_grace_time=None`, `coalesce`),
  which also picks up everything that fell due while the service was down;
* every `PRUNE_EVERY`, retention: operational rows older than `retain` are deleted (`storage.retention`);
* a one-off wake-up at the next due moment, re-armed with a fresh job id after every commit that may
  have moved it, so a deadline is acted on within milliseconds rather than at the next sweep.

Each tick runs the storage transitions, which claim due work with one conditional statement (``SKIP
LOCKED`` on PostgreSQL): a tick that fires late, twice, or on two replicas at once does nothing extra.
The clock is injected; the scheduler itself runs on real time, so a due moment on the injected clock
is turned into a real-time run date. The timers hear about other commits through the event hub
(`committed`, subscribed by the composition root) and announce their sweeps on it (`SweepStarted`,
`SweepFinished`: the outbox sender holds its channel posts meanwhile, to digest them).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.events import SweepFinished, SweepStarted
from bot.metrics import Metrics
from storage.events import Event, LeadAssigned, LeadEscalated, LeadHeld, LeadReceived, RepChanged
from storage.retention import DEFAULT_KEEP
from storage.store import Store

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=20)
PRUNE_EVERY = timedelta(hours=1)
BATCH = 100


# Commits that can only add deadlines (carried on the event) or change none.
_NO_DEADLINE_GONE = (LeadAssigned, LeadEscalated, LeadHeld, LeadReceived, RepChanged)


def every(scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[object]], period: timedelta, *, job_id: str) -> None:
    """Run `job` every `period`, the first time at once (work that fell due while we were down), never
    two at a time, a missed run made up once however late (`misfire_grace_time=None`, `coalesce`)."""
    scheduler.add_job(
        job,
        "interval",
        seconds=period.total_seconds(),
        id=job_id,
        next_run_time=datetime.now(UTC),
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
    )


class SlaTimers:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        metrics: Metrics,
        publish: Callable[[Iterable[object]], None],
        retain: timedelta = DEFAULT_KEEP,
    ) -> None:
        self.store, self.clock, self.metrics, self.publish = store, clock, metrics, publish
        self.retain = retain  # how long delivered outbox rows and ended PTO are kept (`storage.retention`)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._ids = itertools.count()
        self._wakeup_id: str | None = None
        self._armed_for: datetime | None = None
        self._lock = asyncio.Lock()  # one tick at a time in this process; replicas are kept apart by the database
        self._rearming: asyncio.Task[None] | None = None

    def start(self) -> None:
        every(self.scheduler, self.tick, SWEEP_EVERY, job_id="sla-sweep")
        self.scheduler.add_job(
            self.prune,
            "interval",
            seconds=PRUNE_EVERY.total_seconds(),
            id="retention",
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)

    async def prune(self) -> int:
        """Delete operational rows older than `retain` (never the audit trail); returns how many."""
        pruned = await self.store.prune(self.clock.now(), keep=self.retain)
        if pruned.outbox or pruned.pto:
            log.info("pruned %d outbox row(s) and %d ended PTO window(s)", pruned.outbox, pruned.pto)
        return pruned.outbox + pruned.pto

    async def tick(self) -> int:
        """Do all timer work due now, then re-arm the wake-up. Returns how many items it handled."""
        async with self._lock:
            self.publish((SweepStarted(),))
            handled = 0
            try:
                handled = await self._sweep()
            finally:
                # After an outage every overdue lead's channel note is now waiting together, and they go
                # out as one digest, not several.
                self.publish((SweepFinished(handled=handled),))
            self.metrics.last_sweep.set(datetime.now(UTC).timestamp())
        await self.rearm()
        return handled

    async def _sweep(self) -> int:
        handled = 0
        while True:
            now = self.clock.now()
            expired = await self.store.expire_due(now, limit=BATCH)
            reminded = await self.store.remind_due(now, limit=BATCH)
            repinged = await self.store.repings_due(now, limit=BATCH)
            released = await self.store.release_held_due(now, limit=BATCH)
            handled += len(expired) + len(reminded) + len(repinged) + len(released)
            if max(len(expired), len(reminded), len(repinged), len(released)) < BATCH:
                return handled

    def committed(self, event: Event) -> None:
        """After a commit, the wake-up follows its deadlines. A new offer or ping (`due_at`,
        `remind_at`, `next_ping_at`, on the injected clock) can only make the next wake-up earlier, so
        it is armed at once with no query; a change that may have removed a deadline (a claim, an
        expiry, a hand-off) re-reads the next due moment. A removed earliest deadline leaves an early
        wake-up, which finds nothing to do and re-arms from the database. During a sweep of this
        process nothing is done: the sweep re-arms when it ends."""
        if self._lock.locked():
            return
        if isinstance(event, _NO_DEADLINE_GONE):
            dues = [
                *((event.due_at, event.remind_at) if isinstance(event, LeadAssigned) else ()),
                *((event.next_ping_at,) if isinstance(event, LeadEscalated) else ()),
                *((event.release_at,) if isinstance(event, LeadHeld) else ()),
            ]
            soonest = min((due for due in dues if due is not None), default=None)
            if soonest is not None:
                self.request_rearm(soonest)
            return
        self.request_rearm()

    def request_rearm(self, due: datetime | None = None) -> None:
        """Arm the wake-up at `due` if that is earlier than it is armed for; with no `due`, re-read the
        next due moment from the database (one query at a time)."""
        if not self.scheduler.running:
            return
        if due is not None:
            if self._armed_for is None or due < self._armed_for:
                self._arm(due)
            return
        if self._rearming is None or self._rearming.done():
            self._rearming = asyncio.get_running_loop().create_task(self.rearm())

    async def rearm(self) -> None:
        """Schedule the one-off wake-up at the next due moment read from the database."""
        due = await self.store.next_due_at()
        if due is None:
            self._disarm()
        else:
            self._arm(due)

    def _arm(self, due: datetime) -> None:
        """One wake-up at `due` (a fresh job id each time; the previous one is dropped)."""
        self._disarm()
        if not self.scheduler.running:
            return
        delay = max(timedelta(0), due - self.clock.now())
        self._wakeup_id, self._armed_for = f"sla-wakeup-{next(self._ids)}", due
        self.scheduler.add_job(
            self.tick, "date", run_date=datetime.now(UTC) + delay, id=self._wakeup_id, misfire_grace_time=None
        )

    def _disarm(self) -> None:
        if self._wakeup_id is not None and self.scheduler.get_job(self._wakeup_id) is not None:
            self.scheduler.remove_job(self._wakeup_id)
        self._wakeup_id, self._armed_for = None, None
