"""SLA timers: how late expiries run, what a sweep costs, how fast expiries go, how fast a backlog clears.

    python -m bench.sla [--postgres postgresql+asyncpg://user@host/db] [--open 10000] [--sample 200]

1. **Lateness** (commit time minus `due_at`) p50/p99 for `--sample` offers falling due 50 ms apart among
   `--open` open offers (and among none), with the real `bot.timers.SlaTimers` (APScheduler sweep +
   one-off wake-up at the next due moment) on the system clock. Baseline, in the same run: a plain
   sweep every 1 s.
2. **Sweep cost** with 1k, 10k and 50k open offers: each statement a tick runs (`expire_due`,
   `remind_due`, `repings_due`, then `next_due_at` to re-arm the wake-up) with nothing due, and the
   whole tick with 5 due (their expiry work included). The due-offer pick's query plan is printed.
3. **Expirations per second**: 1,000 overdue offers among `--open` open ones, on SQLite; on PostgreSQL
   with 1 and 2 workers (two `Store`s on separate engines in one process, as asked, and two processes,
   which is what two replicas are).
4. **Recovery**: 1,000 overdue offers, `SlaTimers.start()` to every one expired; baseline: what the
   throughput of (3) predicts.

Offers due in the measured window are made through the Store (receive + assign with `now` set back by
the SLA); the background of open offers is bulk-copied from one such lead (same columns, due in an hour
or two), since making 50,000 through the Store would take minutes. Nothing talks to Slack: the outbox
fills and nobody drains it. Each measurement starts from a fresh database (a temp SQLite file; a scratch
PostgreSQL database next to the one named, dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update

from bench.databases import MakeUrl, ScratchPostgres, sqlite_files
from bench.sla.workload import CONFIG, SLA, Retries, drain, worker_process
from bot.clock import SystemClock
from bot.metrics import Metrics
from bot.timers import SlaTimers
from routing import Engine, Lead
from storage import Database, Expired, Store, connect
from storage.tables import leads, offers

GAP = timedelta(milliseconds=50)  # between two sample offers' due moments
LEAD_IN = timedelta(seconds=2)  # from the timers' start to the first sample falling due
BACKLOG = 1000
WARM_UP = 100
SWEEP_SIZES = (1_000, 10_000, 50_000)
SWEEP_REPEATS = 30


# ------------------------------------------------------------------------------------------ databases


@asynccontextmanager
async def fresh(make_url: MakeUrl) -> AsyncIterator[tuple[str, Database, Store]]:
    url = await make_url()
    db = await connect(url, migrate=True)
    try:
        yield url, db, Store(db, Engine(CONFIG))
    finally:
        await db.close()


# --------------------------------------------------------------------------------------------- seeding


def _lead(i: int) -> Lead:
    return Lead(email=f"buyer{i}@shop{i}.com", first_name="Sam", company=f"Shop {i}", score=60)


async def offer_due(store: Store, due: datetime, i: int) -> None:
    """A real lead, received and assigned so that its offer falls due at `due`."""
    at = due - SLA
    received = await store.receive(_lead(i), source="bench", external_id=None, payload={"i": i}, now=at)
    await store.assign(received.lead_id, now=at)


async def offers_due(store: Store, moments: list[datetime], *, writers: int) -> None:
    numbers = iter(range(10**9))

    async def writer(mine: list[datetime]) -> None:
        for moment in mine:
            await offer_due(store, moment, next(numbers))

    await asyncio.gather(*(writer(moments[w::writers]) for w in range(writers)))


async def add_open_offers(db: Database, store: Store, count: int) -> None:
    """`count` more open offers, due one to two hours from now, copied from a freshly made lead."""
    if count <= 0:
        return
    now = datetime.now(UTC)
    await offer_due(store, now + SLA, -1)
    async with db.read() as conn:
        lead_row = dict((await conn.execute(select(leads).order_by(leads.c.id.desc()).limit(1))).mappings().one())
        offer_row = dict(
            (await conn.execute(select(offers).where(offers.c.id == lead_row["offer_id"]))).mappings().one()
        )
        next_lead = int((await conn.execute(select(func.max(leads.c.id)))).scalar_one()) + 1
        next_offer = int((await conn.execute(select(func.max(offers.c.id)))).scalar_one()) + 1
    spread = random.Random(count)

    def work(conn: Any, _locks: frozenset[str]) -> None:
        for start in range(0, count, 5000):
            chunk = range(start, min(count, start + 5000))
            conn.execute(
                insert(leads),
                [{**lead_row, "id": next_lead + i, "offer_id": next_offer + i, "external_id": None} for i in chunk],
            )
            conn.execute(
                insert(offers),
                [
                    {
                        **offer_row,
                        "id": next_offer + i,
                        "lead_id": next_lead + i,
                        "due_at": now + SLA + timedelta(seconds=spread.uniform(0, 3600)),
                    }
                    for i in chunk
                ],
            )
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("leads", "offers"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )

    await db.transact(work)
    if not db.is_sqlite:  # what autovacuum would soon do after a bulk load; without it the plans are a guess
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE leads"))
            await conn.execute(text("ANALYZE offers"))


async def max_offer_id(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.coalesce(func.max(offers.c.id), 0)))).scalar_one())


async def retime(db: Database, after: int, moments: list[datetime]) -> None:
    """Move the due moments of the offers made after offer `after` to `moments`, in id order."""

    def work(conn: Any, _locks: frozenset[str]) -> None:
        ids = conn.execute(select(offers.c.id).where(offers.c.id > after).order_by(offers.c.id)).scalars().all()
        assert len(ids) == len(moments), (len(ids), len(moments))
        conn.execute(
            update(offers).where(offers.c.id == bindparam("oid")).values(due_at=bindparam("due")),
            [{"oid": oid, "due": due} for oid, due in zip(ids, moments, strict=True)],
        )

    await db.transact(work)


async def open_offers(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).where(offers.c.state == "open"))).scalar_one())


# ----------------------------------------------------------------------------------------- measuring


class TimedStore(Store):
    """A Store that notes, as each expiry commits, how long after its `due_at` that was (seconds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lateness: list[float] = []
        self.reached = asyncio.Event()
        self.target = 0

    async def expire_due(self, now: datetime, *, limit: int = 100) -> list[Expired]:
        expired = await super().expire_due(now, limit=limit)
        committed = datetime.now(UTC)
        self.lateness.extend((committed - item.due_at).total_seconds() for item in expired)
        if self.target and len(self.lateness) >= self.target:
            self.reached.set()
        return expired


def timers_for(store: TimedStore) -> SlaTimers:
    """The real SLA timers on `store`, the service's other parts left out: nothing here posts to Slack."""
    return SlaTimers(store=store, clock=SystemClock(), metrics=Metrics(), publish=lambda _events: None)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def lateness(make_url: MakeUrl, background: int, sample: int, *, wakeup: bool) -> tuple[float, float, float]:
    """(p50, p99, max) lateness in seconds for `sample` offers falling due 50 ms apart."""
    async with fresh(make_url) as (_url, db, _store):
        store = TimedStore(db, Engine(CONFIG))
        await add_open_offers(db, store, background)
        # Made due in an hour, then moved to their moments: how long making them takes does not matter.
        before = await max_offer_id(db)
        await offers_due(store, [datetime.now(UTC) + SLA] * sample, writers=1 if db.is_sqlite else 8)
        first = datetime.now(UTC) + LEAD_IN
        moments = [first + i * GAP + timedelta(milliseconds=random.uniform(0, 10)) for i in range(sample)]
        await retime(db, before, moments)
        store.lateness.clear()
        store.target = sample
        timers = timers_for(store)
        poller: asyncio.Task[None] | None = None
        if wakeup:
            timers.start()
        else:

            async def poll_every_second() -> None:
                while True:
                    while len(await store.expire_due(datetime.now(UTC))) == 100:
                        pass
                    await asyncio.sleep(1.0)

            poller = asyncio.create_task(poll_every_second())
        try:
            window = (moments[-1] - datetime.now(UTC)).total_seconds() + 5
            await asyncio.wait_for(store.reached.wait(), window)
        finally:
            if wakeup:
                timers.stop()
            if poller is not None:
                poller.cancel()
        got = store.lateness[:sample]
        return percentile(got, 0.5), percentile(got, 0.99), max(got)


SWEEP_PARTS = ("expire_due", "remind_due", "repings_due", "next_due_at")


async def sweep_cost(make_url: MakeUrl) -> list[tuple[int, dict[str, float], float, str]]:
    """Per open-offer count: (count, median ms of each part of a tick with nothing due, median ms of a
    whole tick's statements with 5 due, the due-offer pick's plan)."""
    results = []
    async with fresh(make_url) as (_url, db, store):
        for size in SWEEP_SIZES:
            await add_open_offers(db, store, size - await open_offers(db))
            now = datetime.now(UTC)
            parts: dict[str, list[float]] = {part: [] for part in SWEEP_PARTS}
            for _ in range(SWEEP_REPEATS):
                for part in SWEEP_PARTS:
                    call = getattr(store, part)
                    started = time.perf_counter()
                    found = await (call() if part == "next_due_at" else call(now))
                    parts[part].append((time.perf_counter() - started) * 1000)
                    assert part == "next_due_at" or found == [], (part, found)
            busy = []
            for r in range(SWEEP_REPEATS // 3):
                past = datetime.now(UTC) - timedelta(seconds=1)
                await offers_due(store, [past] * 5, writers=1)
                moment = datetime.now(UTC)
                started = time.perf_counter()
                assert len(await store.expire_due(moment)) == 5, r
                await store.remind_due(moment)
                await store.repings_due(moment)
                await store.next_due_at()
                busy.append((time.perf_counter() - started) * 1000)
            medians = {part: statistics.median(times) for part, times in parts.items()}
            results.append((size, medians, statistics.median(busy), await plan(db)))
    return results


async def plan(db: Database) -> str:
    """Which index the due-offers pick uses."""
    sql = "SELECT id FROM offers WHERE state = 'open' AND due_at <= :now ORDER BY due_at, id LIMIT 100"
    async with db.read() as conn:
        if db.is_sqlite:
            rows = (await conn.execute(text("EXPLAIN QUERY PLAN " + sql), {"now": "2026-01-01"})).all()
            return " / ".join(str(row[-1]) for row in rows)
        rows = (await conn.execute(text("EXPLAIN " + sql), {"now": datetime.now(UTC)})).all()
        return " / ".join(str(row[0]).strip() for row in rows if "Index" in str(row[0]) or "Scan" in str(row[0]))


async def throughput(make_url: MakeUrl, background: int, workers: int, *, processes: bool = False) -> tuple[float, int]:
    """(expirations per second, transactions retried) for BACKLOG overdue offers among `background` open
    ones, after a warm-up batch that is not timed."""
    async with fresh(make_url) as (url, db, store):
        await add_open_offers(db, store, background)
        warm, past = datetime.now(UTC) - timedelta(minutes=10), datetime.now(UTC) - timedelta(minutes=5)
        writers = 1 if db.is_sqlite else 8
        await offers_due(store, [warm] * WARM_UP, writers=writers)
        await offers_due(store, [past] * BACKLOG, writers=writers)
        assert len(await store.expire_due(warm, limit=WARM_UP)) == WARM_UP  # connections, caches, plans
        if processes:
            start_at = time.time() + 4.0  # the workers' imports and connections happen before the start
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                runs = [pool.submit(worker_process, url, start_at) for _ in range(workers)]
                results = [run.result() for run in runs]
            done = sum(count for count, _, _ in results)
            elapsed = max(finished for _, finished, _ in results) - start_at
            retried = sum(retries for _, _, retries in results)
        else:
            engines = [db] + [await connect(url, migrate=False) for _ in range(workers - 1)]
            try:
                counters = [Retries(engine) for engine in engines]
                stores = [store] + [Store(other, Engine(CONFIG)) for other in engines[1:]]
                for extra in stores[1:]:
                    await extra.next_due_at()  # connected before the clock starts
                started = time.perf_counter()
                counts = await asyncio.gather(*(drain(s) for s in stores))
                elapsed = time.perf_counter() - started
                done = sum(counts)
                retried = sum(counter.count for counter in counters)
            finally:
                for other in engines[1:]:
                    await other.close()
        assert done == BACKLOG, (done, BACKLOG)
        return done / elapsed, retried


async def recovery(make_url: MakeUrl) -> float:
    """Seconds from `SlaTimers.start()` to all BACKLOG overdue offers expired."""
    async with fresh(make_url) as (_url, db, _store):
        store = TimedStore(db, Engine(CONFIG))
        await offers_due(store, [datetime.now(UTC) - timedelta(minutes=5)] * BACKLOG, writers=1 if db.is_sqlite else 8)
        store.target = BACKLOG
        timers = timers_for(store)
        started = time.perf_counter()
        timers.start()
        try:
            await asyncio.wait_for(store.reached.wait(), 120)
        finally:
            timers.stop()
        return time.perf_counter() - started


# ------------------------------------------------------------------------------------------- report


async def run_engine(name: str, make_url: MakeUrl, args: argparse.Namespace, report: dict[str, Any]) -> None:
    print(f"[{name}] lateness with the wake-up ({args.sample} due among {args.open} open)…", flush=True)
    report["wake"] = await lateness(make_url, args.open, args.sample, wakeup=True)
    print(f"[{name}] lateness with the wake-up ({args.sample} due, nothing else open)…", flush=True)
    report["wake0"] = await lateness(make_url, 0, args.sample, wakeup=True)
    print(f"[{name}] lateness with a 1 s poll…", flush=True)
    report["poll"] = await lateness(make_url, args.open, args.sample, wakeup=False)
    print(f"[{name}] sweep cost at {', '.join(map(str, SWEEP_SIZES))} open…", flush=True)
    report["sweep"] = await sweep_cost(make_url)
    print(f"[{name}] expirations per second…", flush=True)
    report["rate0"], _ = await throughput(make_url, 0, 1)
    report["rate"], report["retries"] = await throughput(make_url, args.open, 1)
    print(f"[{name}] recovery of {BACKLOG} overdue…", flush=True)
    report["recovery"] = await recovery(make_url)


def print_engine(name: str, r: dict[str, Any], open_count: int) -> None:
    wake, poll = r["wake"], r["poll"]
    print(f"\n{name}")
    print(f"  {'lateness after due_at':44}{'p50':>10}{'p99':>10}{'max':>10}")
    print(f"  {f'SlaTimers (sweep + wake-up), {open_count:,} open':44}" + "".join(f"{v * 1000:8.0f}ms" for v in wake))
    print(f"  {'SlaTimers (sweep + wake-up), 0 other open':44}" + "".join(f"{v * 1000:8.0f}ms" for v in r["wake0"]))
    print(f"  {f'baseline: sweep every 1 s, {open_count:,} open':44}" + "".join(f"{v * 1000:8.0f}ms" for v in poll))
    print(
        f"  {'ratio wake-up / baseline (same open offers)':44}"
        + "".join(f"{w / p:10.3f}" for w, p in zip(wake, poll, strict=True))
    )
    print(
        f"  {'sweep, nothing due (median ms)':32}"
        + "".join(f"{part:>13}" for part in SWEEP_PARTS)
        + f"{'tick':>9}{'x 1k':>7}"
    )
    base_tick = sum(r["sweep"][0][1].values())
    for size, parts, _busy, _plan in r["sweep"]:
        tick = sum(parts.values())
        print(
            f"  {f'{size:,} open offers':32}"
            + "".join(f"{parts[part]:13.2f}" for part in SWEEP_PARTS)
            + f"{tick:9.2f}{tick / base_tick:7.1f}"
        )
    print(f"  {'sweep with 5 due (median ms)':32}" + "".join(f"{f'{size:,} open':>13}" for size, *_ in r["sweep"]))
    print(f"  {'':32}" + "".join(f"{busy:13.2f}" for _size, _parts, busy, _plan in r["sweep"]))
    print(f"  due-offer pick plan: {r['sweep'][-1][3]}")
    print(f"  {'expirations per second, 1 worker':44}{'/s':>10}{'x empty':>10}")
    print(f"  {'  no other open offers':44}{r['rate0']:10.0f}{1.0:10.2f}")
    print(f"  {f'  {open_count:,} other open offers':44}{r['rate']:10.0f}{r['rate'] / r['rate0']:10.2f}")
    predicted = BACKLOG / r["rate0"]
    print(
        f"  {f'recovery of {BACKLOG:,} overdue (start to all expired)':44}{r['recovery']:9.2f}s"
        f"   (throughput predicts {predicted:.2f}s: x{r['recovery'] / predicted:.2f})"
    )


async def main() -> None:
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # a tick cancelled by stop() is not news
    parser = argparse.ArgumentParser(prog="python -m bench.sla", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="also measure PostgreSQL (scratch databases)")
    parser.add_argument("--open", type=int, default=10_000, help="open offers in the background (default 10000)")
    parser.add_argument("--sample", type=int, default=200, help="offers whose lateness is measured (default 200)")
    args = parser.parse_args()
    started = time.perf_counter()
    reports: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as disk:
        reports["SQLite"] = {}
        await run_engine("SQLite", sqlite_files(disk, "sla"), args, reports["SQLite"])
    workers: dict[str, tuple[float, int | None]] = {}
    if args.postgres:
        scratch = ScratchPostgres(args.postgres, "leadrelay_bench_sla_")
        try:
            reports["PostgreSQL"] = {}
            await run_engine("PostgreSQL", scratch.make, args, reports["PostgreSQL"])
            print("[PostgreSQL] expirations per second with 2 workers…", flush=True)
            workers["2 Stores, 1 process"] = await throughput(scratch.make, args.open, 2)
            workers["2 processes"] = await throughput(scratch.make, args.open, 2, processes=True)
        finally:
            await scratch.drop()
    for name, report in reports.items():
        print_engine(name, report, args.open)
    if workers:
        one = reports["PostgreSQL"]["rate"]
        print(f"\nPostgreSQL expirations per second among {args.open:,} open offers")
        print(f"  {'':44}{'/s':>10}{'x 1':>10}{'retried tx':>12}")
        print(f"  {'1 worker':44}{one:10.0f}{1.0:10.2f}{reports['PostgreSQL']['retries']:12}")
        for label, (rate, retried) in workers.items():
            print(f"  {label:44}{rate:10.0f}{rate / one:10.2f}{retried:12}")
    if "PostgreSQL" in reports:
        sqlite_rate = reports["SQLite"]["rate"]
        print(f"\nPostgreSQL / SQLite, 1 worker: x{reports['PostgreSQL']['rate'] / sqlite_rate:.2f}")
    print(f"\n(ran in {time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    asyncio.run(main())
