"""The outcome poll: what the CRM says became of each lead (a deal won or lost), recorded through the
store's `record_outcome`, from a cursor kept in the database (`storage.cursors`).

Each run reads pages of outcomes changed since the stored cursor, records each, then stores the page's
cursor. A crash between the two re-reads that page next time and records nothing twice: an outcome is
idempotent on (lead, state, occurred_at). An outcome that is already the lead's current one records
nothing either (`changes_only`): Salesforce re-reports a Lead's unchanged Status, stamped anew, whenever
anyone edits the Lead. The lead is the one whose CRM id is the record's
(`source` = the CRM's name, `external_id`), else the latest with its email; a record that is no lead
of ours (a deal from another channel) is skipped.

A run that fails (the CRM down, the token revoked) leaves the cursor where it was, says so in `problem`
(on `/healthz`), and the next run tries again from the same place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from connectors.crm.api import CrmApi, CrmOutcome
from connectors.crm.transport import CrmCallFailed, call
from connectors.delivery import CALL_TIMEOUT, AddressFault, Permanent, Transient, WorkspaceFault
from storage.cursors import PollCursors
from storage.errors import LeadRefNotFound
from storage.model import LeadRef
from storage.store import Store

log = logging.getLogger(__name__)

MAX_PAGES = 20  # per run: a backlog larger than this goes on at the next run, so one run stays short


class OutcomePoll:
    """Reads `api`'s outcomes into `store`. `now`: the injected clock."""

    def __init__(
        self,
        api: CrmApi,
        store: Store,
        cursors: PollCursors,
        *,
        now: Callable[[], datetime],
        timeout: float = CALL_TIMEOUT,
    ) -> None:
        self.api, self.store, self.cursors, self.now, self.timeout = api, store, cursors, now, timeout
        self.name = f"crm:{api.name}"
        self.problem: str | None = None  # why the last run failed, for /healthz; None: it did not
        self._failing_since: datetime | None = None
        self.unmatched = 0  # records read that are no lead of ours, since start

    async def run(self) -> int:
        """One poll: every page there is (up to `MAX_PAGES`). Returns how many outcomes it recorded;
        a failure is kept in `problem`, never raised (the scheduler runs it again)."""
        recorded = 0
        try:
            for _ in range(MAX_PAGES):
                cursor = await self.cursors.get(self.name)
                page = await call(self.api.read_outcomes, cursor, timeout=self.timeout)
                for outcome in page.outcomes:
                    recorded += await self._record(outcome)
                await self.cursors.advance(self.name, page.cursor, now=self.now())
                if not page.more:
                    break
        except CrmCallFailed as failed:
            self._failed(_error(failed))
        except Exception as exc:  # the database: the same answer, try again next run
            log.exception("%s outcome poll failed", self.api.name)
            self._failed(f"{exc.__class__.__name__}: {exc}")
        else:
            self.problem, self._failing_since = None, None
        return recorded

    async def _record(self, outcome: CrmOutcome) -> int:
        refs = [LeadRef(source=self.api.name, external_id=outcome.record_id)]
        if outcome.email:
            refs.append(LeadRef(email=outcome.email))
        for ref in refs:
            try:
                result = await self.store.record_outcome(
                    ref,
                    state=outcome.state,
                    occurred_at=outcome.occurred_at,
                    amount=outcome.amount,
                    source=self.api.name,
                    by=self.api.name,
                    now=self.now(),
                    changes_only=True,  # a record edited for something else re-reports its status
                )
            except LeadRefNotFound:
                continue
            return int(result.recorded)
        self.unmatched += 1
        return 0

    def _failed(self, error: str) -> None:
        now = self.now()
        self._failing_since = self._failing_since or now
        since = self._failing_since.isoformat(timespec="seconds")
        self.problem = f"{self.api.name} outcomes: poll failing since {since}: {error}"
        log.warning("%s", self.problem)


def _error(failed: CrmCallFailed) -> str:
    match failed.outcome:
        case WorkspaceFault() | AddressFault() as fault:
            return f"{fault.error}: {fault.fix}"
        case Transient() | Permanent() as other:
            return other.error
        case _:
            return str(failed.outcome)
