"""Storage throughput and claim latency, on SQLite and (with --postgres) PostgreSQL.

    python -m bench.storage [--leads N] [--claims N] [--postgres postgresql+asyncpg://user@host/db]

Per engine: intake (one transaction per lead that stores, routes and leases the DM, as `POST /leads`
does) with 1 and 16 concurrent writers, in leads per second; claim latency p50/p99 with 1 and 16
concurrent writers, each claiming its own offers; recording a delivery (`Outbox.mark_sent`) p50 with
1 writer. Every run starts from an empty database. SQLite runs on disk (a temp dir) and, for
comparison, on tmpfs; PostgreSQL in scratch databases created next to the one named and dropped
afterwards. Then a profile of SQLite's writer thread during intake says where the time goes and
names the bottleneck. Time is simulated: `now` is fixed, nothing sleeps.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.databases import ScratchPostgres, sqlite_files
from connectors.delivery import LEASE
from routing import Engine, Lead, parse_config
from storage import Outbox, Store, connect

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WRITERS = 16
REPS = [f"rep{i}" for i in range(10)]
CONFIG = parse_config(
    f"""
timezone: UTC
working_hours: always
managers: [{{id: boss, name: Boss}}]
reps:
{chr(10).join(f"  - {{id: {rep}, name: Rep {rep}, capacity: 100000, manager: boss}}" for rep in REPS)}
teams:
  - {{id: inbound, members: [{", ".join(REPS)}], manager: boss, channel: CINBOUND, strategy: round_robin}}
rules:
  - {{name: everyone, route: {{team: inbound}}}}
sla:
  - {{name: standard, within: 15m}}
fallback: {{team: inbound}}
"""
)


def _lead(i: int) -> Lead:
    return Lead(
        email=f"buyer{i}@example{i % 50}.com",
        first_name="Sam",
        last_name=f"Buyer {i}",
        company=f"Example {i % 50}",
        country="DE",
        employees=50 + i % 500,
        score=60,
        source="web",
    )


async def _intake(store: Store, i: int) -> None:
    await store.intake(
        _lead(i),
        source="web",
        external_id=f"w-{uuid.uuid4().hex}",
        payload={"form": "demo", "i": i},
        now=NOW,
        hand_over=LEASE,
    )


async def _spread(writers: int, jobs: list[Callable[[], Awaitable[float | None]]]) -> list[float]:
    """Run `jobs` on `writers` concurrent tasks; return the latencies the jobs report."""
    latencies: list[float] = []

    async def writer(mine: list[Callable[[], Awaitable[float | None]]]) -> None:
        for job in mine:
            took = await job()
            if took is not None:
                latencies.append(took)

    await asyncio.gather(*(writer(jobs[w::writers]) for w in range(writers)))
    return latencies


async def throughput(store: Store, leads: int, writers: int) -> float:
    """Leads per second through intake."""
    counter = iter(range(10**9))

    async def one() -> None:
        await _intake(store, next(counter))

    started = time.perf_counter()
    await _spread(writers, [one] * leads)
    return leads / (time.perf_counter() - started)


async def claim_latency(store: Store, claims: int, writers: int) -> tuple[float, float]:
    """p50 and p99 of claim latency in ms, each writer claiming offers of its own."""
    offers = []
    for i in range(claims):
        received = await store.receive(_lead(i), source="bench", external_id=None, payload={}, now=NOW)
        result = await store.assign(received.lead_id, now=NOW)
        assert result.offer is not None
        offers.append((result.offer.id, result.offer.rep_id))

    def job(offer_id: int, rep: str) -> Callable[[], Awaitable[float]]:
        async def run() -> float:
            started = time.perf_counter()
            await store.claim(offer_id, by=rep, now=NOW)
            return (time.perf_counter() - started) * 1000

        return run

    latencies = sorted(await _spread(writers, [job(o, r) for o, r in offers]))
    return statistics.median(latencies), latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


async def sent_latency(outbox: Outbox, limit: int) -> float:
    """p50 in ms of recording up to `limit` deliveries (`Outbox.mark_sent`, once per message the
    sender delivers), one at a time, on the DMs intake queued: each round leases what is due."""
    latencies: list[float] = []
    while len(latencies) < limit and (items := await outbox.lease_due(NOW + 2 * LEASE, limit=100)):
        for item in items:
            started = time.perf_counter()
            await outbox.mark_sent(item.id, channel=item.address, ts=f"{item.id}.000100", now=NOW)
            latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies)


async def measure(make_url: Callable[[], Awaitable[str]], leads: int, claims: int) -> dict[str, float]:
    """Every figure for one engine; each run on a fresh, empty database from `make_url`."""
    results: dict[str, float] = {}
    for writers in (1, WRITERS):
        db = await connect(await make_url(), migrate=True)
        try:
            store = Store(db, Engine(CONFIG))
            await throughput(store, 20, 1)  # warm-up: connections, compiled statements
            retried = db.retries
            results[f"intake/s @{writers}"] = await throughput(store, leads, writers)
            # Transactions run again after a lost race or a deadlock (each redoes the whole intake).
            results[f"retries/1k @{writers}"] = (db.retries - retried) * 1000 / leads
            p50, p99 = await claim_latency(store, claims, writers)
            results[f"claim p50 ms @{writers}"], results[f"claim p99 ms @{writers}"] = p50, p99
            if writers == 1:
                results["sent p50 ms @1"] = await sent_latency(Outbox(db), claims)
        finally:
            await db.close()
    return results


# Where the writer thread's time goes, by the function that spent it (cProfile's own time).
_CATEGORIES = (
    ("commit' of 'sqlite3", "SQLite commit (WAL append)"),
    ("sqlite3", "SQLite statements (sqlite3 execute/fetch)"),
    ("_queue.SimpleQueue", "writer idle, waiting for the next transaction"),
    ("/sqlalchemy/", "SQLAlchemy Core (params, cache keys, rows)"),
    ("/json/", "JSON encode/decode"),
    ("/routing/", "routing engine (enrich + route)"),
    ("/storage/", "storage code"),
)


async def profile_sqlite(directory: str, leads: int) -> list[tuple[str, float]]:
    """Shares of the SQLite writer thread's time during 1-writer intake, by category."""
    db = await connect(f"sqlite+aiosqlite:///{Path(directory) / 'profile.db'}")
    try:
        store = Store(db, Engine(CONFIG))
        await throughput(store, 20, 1)
        profiler = cProfile.Profile()
        # A transaction body runs on the writer thread, so it can switch the profiler on there.
        await db.transact(lambda _conn, _locks: profiler.enable())
        await throughput(store, leads, 1)
        await db.transact(lambda _conn, _locks: profiler.disable())
    finally:
        await db.close()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    shares: Counter[str] = Counter()
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        where = f"{filename}:{function}"
        shares[next((label for key, label in _CATEGORIES if key in where), "other Python")] += tottime
    total = sum(shares.values())
    return [(label, seconds / total) for label, seconds in shares.most_common()]


async def main(tmpfs: str | None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=2000, help="leads per throughput run")
    parser.add_argument("--claims", type=int, default=800, help="claims per latency run")
    parser.add_argument("--postgres", metavar="URL", help="also measure PostgreSQL (scratch databases)")
    args = parser.parse_args()

    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as disk:
        runs["SQLite"] = await measure(sqlite_files(disk, "bench"), args.leads, args.claims)
        shares = await profile_sqlite(disk, args.leads // 2)
    if tmpfs is not None:  # the same on tmpfs: what is left when the disk never stalls
        with tempfile.TemporaryDirectory(dir=tmpfs) as memory:
            runs["SQLite tmpfs"] = await measure(sqlite_files(memory, "bench"), args.leads, args.claims)
    if args.postgres:
        scratch = ScratchPostgres(args.postgres, "leadrelay_bench_")
        try:
            runs["PostgreSQL"] = await measure(scratch.make, args.leads, args.claims)
        finally:
            await scratch.drop()

    print(f"{'':22}" + "".join(f"{engine:>14}" for engine in runs))
    for key in next(iter(runs.values())):
        print(f"{key:22}" + "".join(f"{runs[engine][key]:14.1f}" for engine in runs))
    print(f"\nSQLite writer thread during 1-writer intake ({args.leads // 2} leads, cProfile):")
    for label, share in shares:
        print(f"  {share:6.1%}  {label}")
    busy = [(label, share) for label, share in shares if not label.startswith("writer idle")]
    print(f"throughput bottleneck: {busy[0][0]}")
    sqlite = runs["SQLite"]
    one, p50, p99 = sqlite["claim p50 ms @1"], sqlite[f"claim p50 ms @{WRITERS}"], sqlite[f"claim p99 ms @{WRITERS}"]
    print(
        f"claim latency @{WRITERS}: queueing behind the one writer makes the median {p50:.1f} ms "
        f"(~{WRITERS} x {one:.1f} ms per claim); p99 {p99:.1f} ms adds the disk's commit stalls"
        + (
            f" (on tmpfs p99 is {runs['SQLite tmpfs'][f'claim p99 ms @{WRITERS}']:.1f} ms)"
            if "SQLite tmpfs" in runs
            else ""
        )
    )


if __name__ == "__main__":
    asyncio.run(main("/dev/shm" if Path("/dev/shm").is_dir() else None))
