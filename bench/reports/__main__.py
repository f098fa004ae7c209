"""`python -m bench.reports`: the report over the last week as the stored history grows.

Fills a SQLite file with N leads received over the past (one first offer each, its DM delivered and
most claimed; every tenth expired, every twentieth by the fallback team), of which the last week always
holds the same 5,000, then times `read_report` (that week and the week before, every number) for the
whole database and one team. Flat times from 10k to 1M stored leads are the point: the report reads
indexed ranges, not history.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, insert

from reports.numbers import read_report
from routing import load_config
from storage import connect
from storage.tables import leads, offers, outbox

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "leadrelay.yml"
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
IN_WEEK = 5_000
CHUNK = 20_000


Rows = list[dict[str, object]]


def rows(n: int, first: int, last: int, config_teams: list[tuple[str, list[str]]]) -> tuple[Rows, Rows, Rows]:
    """Leads, offers and DM rows for lead ids first..last of n: the last IN_WEEK of n fall in the last week."""
    lead_rows: Rows = []
    offer_rows: Rows = []
    dm_rows: Rows = []
    old = n - IN_WEEK
    for i in range(first, last + 1):
        if i <= old:
            received = NOW - 2 * WEEK - timedelta(seconds=(old - i) * 60)
        else:
            received = NOW - WEEK + (WEEK - timedelta(minutes=1)) * ((i - old) / IN_WEEK)
        team, members = config_teams[i % len(config_teams)]
        assigned = received + timedelta(seconds=2)
        due = assigned + timedelta(minutes=15)
        expired = i % 10 == 0
        claimed = None if expired else assigned + timedelta(seconds=30 + (i % 900))
        lead_rows.append(
            {
                "id": i,
                "source": "bench",
                "payload": {},
                "contact": {"email": f"l{i}@example.com"},
                "state": "assigned" if expired else "claimed",
                "team_id": team,
                "received_at": received,
                "assigned_at": assigned,
                "claimed_at": claimed,
            }
        )
        offer_rows.append(
            {
                "id": i,
                "lead_id": i,
                "rep_id": members[i % len(members)],
                "attempt": 1,
                "rule": "fallback" if i % 20 == 0 else "bench",
                "pool": team,
                "fallback": i % 20 == 0,
                "sla": "standard",
                "summary": "",
                "reasons": [{"code": "rule", "text": "rule bench: everyone"}],
                "offered_by": "leadrelay",
                "assigned_at": assigned,
                "due_at": due,
                "claimed_at": claimed,
                "ended_at": due if expired else None,
                "end_reason": "expired" if expired else None,
                "state": "ended" if expired else "claimed",
            }
        )
        dm_rows.append(
            {
                "kind": "offer_dm",
                "lead_id": i,
                "offer_id": i,
                "address": members[i % len(members)],
                "payload": {},
                "dedup_key": f"offer:{i}:dm",
                "next_attempt_at": assigned,
                "created_at": assigned,
                "sent_at": assigned + timedelta(seconds=1),
            }
        )
    return lead_rows, offer_rows, dm_rows


async def measure(n: int, directory: Path, repeats: int) -> tuple[float, float]:
    config = load_config(str(EXAMPLE))
    teams = [(team.id, list(team.members)) for team in config.teams.values()]
    db = await connect(f"sqlite+aiosqlite:///{directory / f'report-{n}.db'}")
    try:
        for start in range(0, n, CHUNK):
            batch = rows(n, start + 1, min(n, start + CHUNK), teams)

            def fill(conn: Connection, _locks: frozenset[str], batch: tuple[Rows, Rows, Rows] = batch) -> None:
                for table, values in zip((leads, offers, outbox), batch, strict=True):
                    conn.execute(insert(table), values)

            await db.transact(fill)
        timings: dict[str | None, list[float]] = {None: [], teams[0][0]: []}
        for _ in range(repeats):
            for team_id, spent in timings.items():
                started = time.perf_counter()
                report = await read_report(db, config, since=NOW - WEEK, until=NOW, team_id=team_id)
                spent.append(time.perf_counter() - started)
                if team_id is None:
                    assert report.current.received == IN_WEEK, report.current.received
        return statistics.median(timings[None]), statistics.median(timings[teams[0][0]])
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reports")
    parser.add_argument("--sizes", default="10000,1000000", help="stored leads, comma-separated")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"report over the last week ({IN_WEEK} leads in it, and the week before), median of {args.repeats}")
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        for n in (int(size) for size in args.sizes.split(",")):
            everyone, one_team = asyncio.run(measure(n, Path(tmp), args.repeats))
            print(f"  {n:>9,} leads stored: all teams {everyone * 1000:7.1f} ms   one team {one_team * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
