"""The CRM outcome poll's schedule: `connectors.crm.poll.OutcomePoll.run` every `crm.outcomes.poll`
(APScheduler, in memory, beside the SLA timers and the report schedules), the first time at start-up.

The cursor lives in the database, so the schedule itself holds nothing worth keeping: a restarted
process, or a second replica, reads on from where the last poll stopped (two replicas polling at once
record each outcome once: outcomes are idempotent).
"""

from __future__ import annotations

from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.timers import every
from connectors.crm.poll import OutcomePoll


class CrmPolling:
    def __init__(self, poll: OutcomePoll, period: timedelta) -> None:
        self.poll, self.period = poll, period
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        every(self.scheduler, self.poll.run, self.period, job_id="crm-outcomes")
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def problems(self) -> list[str]:
        """The last poll's failure, if it failed: a `/healthz` problem line."""
        return [self.poll.problem] if self.poll.problem else []
