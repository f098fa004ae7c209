"""The team and SLA the benchmark runs on, and the expiry worker it starts in other processes
(a function a spawned process can import, which `__main__` is not)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from routing import Engine, parse_config
from storage import Database, Store, connect

SLA = timedelta(hours=1)  # every offer: far longer than a run, so successors never fall due
REPS = [f"rep{i:02d}" for i in range(50)]
CONFIG_YAML = f"""
timezone: UTC
working_hours: always
managers: [{{id: boss, name: Boss}}]
reps:
{chr(10).join(f"  - {{id: {rep}, name: Rep {rep}, capacity: 1000000, manager: boss}}" for rep in REPS)}
teams:
  - {{id: inbound, members: [{", ".join(REPS)}], manager: boss, channel: CINBOUND, strategy: round_robin}}
rules:
  - {{name: everyone, route: {{team: inbound}}}}
sla:
  - {{name: standard, within: 1h}}
fallback: {{team: inbound}}
"""
CONFIG = parse_config(CONFIG_YAML)


async def drain(store: Store) -> int:
    """Expire everything due, batch after batch, until nothing is; returns how many expired."""
    done = 0
    while expired := await store.expire_due(datetime.now(UTC)):
        done += len(expired)
    return done


class Retries:
    """Counts the transactions `Database.transact` ran again (a lost pool-cursor race, a deadlock)."""

    def __init__(self, db: Database) -> None:
        self.calls = self.attempts = 0
        transact = db.transact

        async def counted(work: Any) -> Any:
            self.calls += 1

            def attempt(conn: Any, locks: frozenset[str]) -> Any:
                self.attempts += 1
                return work(conn, locks)

            return await transact(attempt)

        db.transact = counted  # type: ignore[method-assign]

    @property
    def count(self) -> int:
        return self.attempts - self.calls


def worker_process(url: str, start_at: float) -> tuple[int, float, int]:
    """In a process of its own: connect, wait for `start_at` (epoch seconds), drain.
    Returns (expired, end time, transactions retried)."""

    async def run() -> tuple[int, float, int]:
        db = await connect(url, migrate=False)
        try:
            retries = Retries(db)
            store = Store(db, Engine(CONFIG))
            await store.next_due_at()  # connect and warm up before the start
            await asyncio.sleep(max(0.0, start_at - time.time()))
            done = await drain(store)
            return done, time.time(), retries.count
        finally:
            await db.close()

    return asyncio.run(run())
