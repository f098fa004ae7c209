"""The report reads indexed ranges only: SQLite's plan for every query `build_numbers` and the alert
culprits run searches leads, offers and the outbox through an index, never scans a whole table. So the
cost follows the period's leads, not the million stored before it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from reports.alerts import Metric
from reports.culprits import culprits
from reports.numbers import build_numbers
from storage import connect
from tests.storage.conftest import CONFIG, T0

TABLES = ("leads", "offers", "outbox")


async def test_every_report_query_searches_an_index(tmp_path: Path) -> None:
    db = await connect(f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}")
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.read() as conn:
            await build_numbers(conn, CONFIG, since=T0, until=T0 + timedelta(days=7), team_id="sales")
            await build_numbers(conn, CONFIG, since=T0, until=T0 + timedelta(days=7))
            for metric in Metric:
                await culprits(
                    conn,
                    metric,
                    team_id="sales",
                    since=T0,
                    until=T0 + timedelta(hours=1),
                    assignment=timedelta(minutes=2),
                )
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        assert len(statements) >= 15
        plans = []
        async with db.read() as conn:
            for statement, parameters in statements:
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans.append([str(row[3]) for row in rows])
                full_scans = [
                    step
                    for step in plans[-1]
                    if step.startswith("SCAN") and step.split()[1] in TABLES and "INDEX" not in step
                ]
                assert full_scans == [], (statement, plans[-1])
                tables = [step.split()[1] for step in plans[-1] if step.startswith(("SEARCH", "SCAN"))]
                if "offers" in tables and "leads" in tables and "assigned_at >=" in statement:
                    # Offers in the period drive the join, never a walk over a team's whole history of leads.
                    assert tables.index("offers") < tables.index("leads"), (statement, plans[-1])
        searched = {step.split()[1] for plan in plans for step in plan if step.startswith("SEARCH")}
        assert {"leads", "offers", "outbox"} <= searched
        assert any("USING INDEX ix_leads_received_at" in step for plan in plans for step in plan)
        assert any("ix_leads_team_id_received_at" in step for plan in plans for step in plan)
        assert any("ix_offers_assigned_at_rep_id_state" in step for plan in plans for step in plan)
    finally:
        await db.close()
