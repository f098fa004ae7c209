"""Keeping the identity checks current while `serve` runs: at start, every `RECHECK_EVERY`, and soon
after Slack said a rep cannot be reached (a related error: their account or `slack_id` may have gone
wrong since the last check). Each check's findings are stored (`storage.identities`) and its problems
logged with their fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.clock import Clock
from bot.identities import IdentityReport, verify_identities
from bot.slack import Slack
from routing import RoutingConfig
from storage.events import LeadReassigned
from storage.identities import IdentityChecks
from storage.model import EndReason, IdentityCheck

log = logging.getLogger(__name__)

RECHECK_EVERY = timedelta(hours=1)


class IdentityWatch:
    """Runs `bot.identities.verify_identities` and keeps its findings on record (see the module docstring)."""

    def __init__(self, *, config: RoutingConfig, slack: Slack, checks: IdentityChecks, clock: Clock) -> None:
        self.config, self.slack, self.checks, self.clock = config, slack, checks, clock
        self._asked = asyncio.Event()

    async def check(self) -> IdentityReport:
        """Check every identity now, store the findings and log each problem."""
        report = await verify_identities(self.config, self.slack)
        await self.record(report)
        return report

    async def record(self, report: IdentityReport) -> None:
        """Store a check's findings (as checked now) and log each problem with its fix."""
        now = self.clock.now()
        await self.checks.record(
            [
                IdentityCheck(subject=f.subject, ok=f.ok, detail=f.detail, fix=f.fix, checked_at=now)
                for f in report.findings
            ]
        )
        for problem in report.problems:
            log.warning("identity check: %s", problem.line())
        if report.ok:
            log.info("identity check: every person and channel resolves in %s", report.workspace)

    def committed(self, event: LeadReassigned) -> None:
        """Event subscriber: an offer withdrawn because Slack cannot reach its rep asks for a check soon."""
        if event.end_reason == EndReason.WITHDRAWN.value:
            self._asked.set()

    async def recheck_if_asked(self) -> bool:
        """Check now if a related error asked for it since the last check; True if it did."""
        if not self._asked.is_set():
            return False
        self._asked.clear()
        await self.check()
        return True

    async def run(self) -> None:
        """Check every RECHECK_EVERY, or as soon as a related error asks; until cancelled. A failed
        check (the database or Slack down) is logged and tried again at the next turn."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._asked.wait(), RECHECK_EVERY.total_seconds())
            self._asked.clear()
            try:
                await self.check()
            except Exception:  # a background loop must outlive one bad turn
                log.exception("identity check failed; trying again later")
