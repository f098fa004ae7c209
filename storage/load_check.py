"""`leadrelay db check`: the load counters recomputed from the offers, and the win-rate counters from the
outcomes, compared, and repaired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from storage import load, results
from storage.scope import Scope


@dataclass(frozen=True, slots=True)
class LoadCheck:
    """What the check found: one line per drifting counter or hold, and whether it was repaired."""

    drift: tuple[str, ...]
    repaired: bool
    reps: int  # reps with counters after the check
    holds: int  # claimed offers held in a load


class LoadChecks:
    """Recomputes the counters of `storage.load` from the offers."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def check_load(self, now: datetime, *, repair: bool = False) -> LoadCheck:
        """Compare the stored counters with what the offers say at `now`; with `repair`, store what the
        offers say. Holds the window has passed are settled first (that is the sweep's job, not drift).
        One write transaction: O(offers in the load window) plus one query per rep."""
        zones = {rep.id: rep.tz for rep in self.scope.config.reps.values()}

        def work(conn: Connection, _locks: frozenset[str]) -> LoadCheck:
            load.lock(conn)
            by_window = self.scope.claims_close_by_window
            since = now - self.scope.load_window
            while by_window and load.settle(conn, since):
                pass
            wanted = load.recompute(conn, now, self.scope.load_window, zones, by_window=by_window)
            load_drift = load.drift(load.read(conn), wanted)
            results_since = now - self.scope.config.outcomes.performance_window
            while results.settle(conn, results_since):
                pass
            closed = results.recompute(conn, results_since)
            results_drift = results.drift(conn, closed)
            if load_drift and repair:
                load.replace_all(conn, wanted)
            if results_drift and repair:
                results.replace_all(conn, closed)
            drift = tuple(load_drift + results_drift)
            return LoadCheck(
                drift=drift, repaired=bool(drift) and repair, reps=len(wanted.reps), holds=len(wanted.holds)
            )

        return await self.scope.transact(work)
