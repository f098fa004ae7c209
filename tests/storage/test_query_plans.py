"""Every statement on a hot path is bounded by an index, not by history (SQLite's EXPLAIN QUERY PLAN).

The database holds a quarter of claimed leads (seeded by `bench.scale`'s bulk SQL) and is ANALYZEd,
so the planner decides with real statistics. Each hot path then runs for real while its statements
are captured, and each captured statement's plan is read: none may scan a table that grows with
history (leads, offers, audit, outbox, load holds) in full. `rep_load`, pools, PTO and settings grow
with the team, not with the leads, and may be scanned.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from bench.scale.__main__ import seed
from bench.storage.__main__ import CONFIG, _lead
from connectors.delivery import LEASE
from routing import Engine as RoutingEngine
from storage import Database, Store, Views, connect
from storage.model import LeadRef, OutcomeState
from tests.storage.conftest import T0

HISTORY = ("leads", "offers", "audit", "outbox", "load_holds", "outcomes", "closed_leads", "lead_repeats")
# Partial indexes of rows that are waiting, not history: walking one is bounded by what is pending.
PENDING_ONLY = ("ix_offers_open_rep", "ix_outbox_pending_address")


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The (statement, parameters) pairs run on `db` inside the block, executemany left out: by the
    readers and by SQLite's writer, which has an engine of its own (hence listening on every engine)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not many and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            seen.append((statement, parameters))

    del db  # every engine: the writer's is private to the database
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def full_scans(path: Path, statements: list[tuple[str, Any]]) -> list[str]:
    """The plan lines that scan a history table in full, with their statement."""
    found = []
    with sqlite3.connect(path) as conn:
        for statement, parameters in statements:
            for *_ids, detail in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters):
                words = detail.split()
                if words[0] == "SCAN" and words[1] in HISTORY and words[-1] not in PENDING_ONLY:
                    found.append(f"{detail}  <-  {statement}")
    return found


async def test_hot_paths_search_indexes_on_a_quarter_of_history(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    db = await connect(f"sqlite+aiosqlite:///{path}")
    try:
        await db.transact(lambda conn, _locks: seed(conn, 3000))
        store, views = Store(db, RoutingEngine(CONFIG)), Views(db, CONFIG)
        await store.check_load(T0, repair=True)
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        with captured(db) as hot:
            month = timedelta(days=30)
            made = [
                await store.intake(
                    _lead(i),
                    source="web",
                    external_id=f"p{i}",
                    payload={},
                    now=T0,
                    dedupe_window=month,
                    hand_over=LEASE,
                )  # as `POST /leads` calls it: the DM leased to the caller in the same INSERT
                for i in range(6)
            ]
            again = await store.intake(
                _lead(0), source="web", external_id="p0b", payload={}, now=T0, dedupe_window=month
            )
            assert again.attached
            offers = [m.assigned.offer for m in made if m.assigned is not None and m.assigned.offer is not None]
            assert len(offers) == 6
            await store.claim(offers[0].id, by=offers[0].rep_id, now=T0)
            await store.reassign(offers[1].id, by=offers[1].rep_id, reason="busy", now=T0)
            await store.expire_due(T0 + timedelta(hours=1))
            await store.next_due_at()
            for ref in (LeadRef(email=_lead(0).email), LeadRef(source="web", external_id="p0"), LeadRef(lead_id=1)):
                await store.record_outcome(ref, state=OutcomeState.WON, occurred_at=T0, source="api", by="api", now=T0)
            await store.outbox.lease_due(T0 + timedelta(hours=1))
            await store.load_routing_state(T0)
            await views.open_offers_for("rep2")
            await views.recent_claims("rep2", limit=10)
            await views.unclaimed_for_team("inbound")
            await views.lead_views([offer.lead_id for offer in offers])
        assert len(hot) > 40
        scans = full_scans(path, hot)
        assert scans == [], "\n".join(scans)
    finally:
        await db.close()
