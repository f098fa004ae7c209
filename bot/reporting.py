"""The report schedules: each team's weekly digest and its live threshold alerts, as outbox rows.

`tick(now)` runs every `EVERY` (APScheduler, beside the SLA timers) and does two things per team with a
channel:

* **digest**: if the team's latest digest moment (its weekday and time in the team's zone, see
  `reports.periods`) passed less than `SEND_WINDOW` ago, queue that week's numbers under the key
  ``digest:{team}:{week}``. The outbox takes one row per key, so a restart in the send window, a
  second replica or a late tick queues nothing more: exactly once per team and week.
* **alerts**: read the team's numbers over the rolling window and, for each threshold whose state
  changes (`reports.alerts.transition`: raise above the line, clear well below it), queue the next turn
  of ``alert:{team}:{metric}:{n}``. The state is the latest such row, so it survives restarts and is
  shared by replicas; two replicas deciding the same change queue it once.

Nothing here calls Slack: the sender delivers the rows (`bot.kinds.digest`, `bot.kinds.threshold_alert`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.metrics import Metrics
from bot.timers import every
from reports.alerts import Reading, readings, transition
from reports.culprits import culprits
from reports.export import document
from reports.numbers import Report, build_numbers, read_report
from reports.periods import latest_week
from reports.periods import this_week as week_so_far
from routing import RoutingConfig
from routing.config import Team, Thresholds
from storage import messages
from storage.db import Database
from storage.model import OutboxKind
from storage.outbox import Outbox

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)
SEND_WINDOW = timedelta(hours=12)  # a digest not queued within this of its moment waits for next week


async def this_week(
    db: Database, config: RoutingConfig, team_ids: Iterable[str], now: datetime
) -> list[tuple[str, Report]]:
    """Each team's numbers from the start of its week (Monday 00:00 in its zone) to `now`, against the
    same stretch of the week before: a manager's Home and `/leads report`."""
    found = []
    for team_id in team_ids:
        since, until = week_so_far(now, config.teams[team_id].tz)
        found.append((team_id, await read_report(db, config, since=since, until=until, team_id=team_id)))
    return found


class Reporting:
    def __init__(
        self,
        *,
        db: Database,
        config: RoutingConfig,
        outbox: Outbox,
        clock: Clock,
        metrics: Metrics,
        wake: Callable[[], None],
    ) -> None:
        self.db, self.config, self.outbox, self.clock, self.metrics, self.wake = (
            db,
            config,
            outbox,
            clock,
            metrics,
            wake,
        )
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        every(self.scheduler, self.tick, EVERY, job_id="reports")  # at once: a digest due while we were down
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)

    async def tick(self) -> int:
        """Queue every digest and alert change due now; returns how many rows this call queued."""
        now = self.clock.now()
        queued = 0
        for team in self.config.teams.values():
            if team.channel is None:
                continue
            try:
                queued += await self._digest(team, team.channel, now)
                if self.config.thresholds is not None:
                    queued += await self._alerts(team, team.channel, self.config.thresholds, now)
            except Exception:  # one team's failure must not hold the others' digests and alerts
                log.exception("reports for team %s failed; trying again next tick", team.id)
        if queued:
            self.wake()
        return queued

    async def _digest(self, team: Team, channel: str, now: datetime) -> int:
        if self.config.digest is None:
            return 0
        week = latest_week(now, team.tz, self.config.digest)
        if now - week.due >= SEND_WINDOW:
            return 0
        if await self.outbox.has(messages.digest_key(team.id, week.key)):
            return 0  # already queued: skip reading the numbers again
        report = await read_report(self.db, self.config, since=week.since, until=week.until, team_id=team.id)
        row = messages.digest(team_id=team.id, channel=channel, week=week.key, report=document(report))
        return int(await self.outbox.queue_once(row, now=now))

    async def _alerts(self, team: Team, channel: str, thresholds: Thresholds, now: datetime) -> int:
        since = now - thresholds.window
        async with self.db.read() as conn:
            numbers = await build_numbers(conn, self.config, since=since, until=now, team_id=team.id)
        queued = 0
        for reading in readings(numbers, thresholds):
            prefix = messages.alert_key_prefix(team.id, reading.metric.value)
            latest = await self.outbox.latest(OutboxKind.THRESHOLD_ALERT.value, prefix)
            turn = int(latest[0].removeprefix(prefix)) if latest else 0
            active = bool(latest[1]["raised"]) if latest else False
            changed = transition(reading, active=active, thresholds=thresholds)
            self.metrics.alert_active.labels(team.id, reading.metric.value).set(
                int(active if changed is None else changed)
            )
            if changed is None:
                continue
            queued += await self._alert(team, channel, reading, turn + 1, changed, since=since, now=now)
        return queued

    async def _alert(
        self, team: Team, channel: str, reading: Reading, turn: int, raised: bool, *, since: datetime, now: datetime
    ) -> int:
        lead_ids: list[int] = []
        if raised:
            async with self.db.read() as conn:
                assert self.config.thresholds is not None
                lead_ids = await culprits(
                    conn,
                    reading.metric,
                    team_id=team.id,
                    since=since,
                    until=now,
                    assignment=self.config.thresholds.assignment,
                )
        row = messages.threshold_alert(
            team_id=team.id,
            channel=channel,
            metric=reading.metric.value,
            turn=turn,
            raised=raised,
            reading={
                "value": reading.value,
                "sample": reading.sample,
                "threshold": reading.threshold,
                "text": reading.text,
            },
            lead_ids=lead_ids,
        )
        return int(await self.outbox.queue_once(row, now=now))
