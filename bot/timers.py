"""SLA timers: expiries, reminders, manager re-pings and the release of leads held for the first shift,
driven by deadlines stored in the database.

APScheduler (3.x, in-memory store) runs two jobs, never one job per lead:

* a safety sweep every `SWEEP_EVERY` (first run at start-up, `misfire_grace_time=None`, `coalesce`),
  which also picks up everything that fell due while the service was down;
* a one-off wake-up at the next due moment, re-armed with a fresh job id after every commit that may
  have moved it, so a deadline is acted on within milliseconds rather than at the next sweep.

Each tick runs the storage transitions, which claim due work with one conditional statement (``SKIP
LOCKED`` on PostgreSQL): a tick that fires late, twice, or on two replicas at once does nothing extra.
The clock is injected; the scheduler itself runs on real time, so a due moment on the injected clock
is turned into a real-time run date.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.service import Leadrelay

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=20)
BATCH = 100


class SlaTimers:
    def __init__(self, service: Leadrelay) -> None:
        self.service = service
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._ids = itertools.count()
        self._wakeup_id: str | None = None
        self._armed_for: datetime | None = None
        self._lock = asyncio.Lock()  # one tick at a time in this process; replicas are kept apart by the database
        self._rearming: asyncio.Task[None] | None = None
        service.on_commit.append(self.request_rearm)

    def start(self) -> None:
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=SWEEP_EVERY.total_seconds(),
            id="sla-sweep",
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)

    async def tick(self) -> int:
        """Do all timer work due now, then re-arm the wake-up. Returns how many items it handled."""
        async with self._lock:
            self.service.sender.sweeping = True
            try:
                handled = await self._sweep()
            finally:
                self.service.sender.sweeping = False
            if handled:
                # Wake the sender once the whole sweep is done: after an outage every overdue lead's
                # channel note is then waiting together, and they go out as one digest, not several.
                self.service.committed()
            else:
                self.service.sender.wake()  # it stood aside during the sweep; a wake-up meanwhile was lost
            self.service.metrics.last_sweep.set(datetime.now(UTC).timestamp())
        await self.rearm()
        return handled

    async def _sweep(self) -> int:
        handled = 0
        store, metrics = self.service.store, self.service.metrics
        while True:
            now = self.service.clock.now()
            expired = await store.expire_due(now, limit=BATCH)
            reminded = await store.remind_due(now, limit=BATCH)
            repinged = await store.repings_due(now, limit=BATCH)
            released = await store.release_held_due(now, limit=BATCH)
            for item in expired:
                metrics.sla_breaches.inc()
                metrics.expiry_lateness.observe(max(0.0, (now - item.due_at).total_seconds()))
                if item.escalated:
                    metrics.escalations.labels("0").inc()
            for ping in repinged:
                metrics.escalations.labels(str(ping.level)).inc()
            handled += len(expired) + len(reminded) + len(repinged) + len(released)
            if max(len(expired), len(reminded), len(repinged), len(released)) < BATCH:
                return handled

    def request_rearm(self, due: datetime | None = None) -> None:
        """After a commit. A commit that added a deadline (`due`, on the injected clock) can only make the
        next wake-up earlier, so it is armed at once with no query; any other commit re-reads the next
        due moment. A commit that removed the earliest deadline leaves an early wake-up, which finds
        nothing to do and re-arms from the database."""
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
        due = await self.service.store.next_due_at()
        if due is None:
            self._disarm()
        else:
            self._arm(due)

    def _arm(self, due: datetime) -> None:
        """One wake-up at `due` (a fresh job id each time; the previous one is dropped)."""
        self._disarm()
        if not self.scheduler.running:
            return
        delay = max(timedelta(0), due - self.service.clock.now())
        self._wakeup_id, self._armed_for = f"sla-wakeup-{next(self._ids)}", due
        self.scheduler.add_job(
            self.tick, "date", run_date=datetime.now(UTC) + delay, id=self._wakeup_id, misfire_grace_time=None
        )

    def _disarm(self) -> None:
        if self._wakeup_id is not None and self.scheduler.get_job(self._wakeup_id) is not None:
            self.scheduler.remove_job(self._wakeup_id)
        self._wakeup_id, self._armed_for = None, None
