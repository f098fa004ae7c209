"""Cost at scale: the hot paths on a database already holding 0, 10k, 100k and 1M leads.

    python -m bench.scale [--sizes 0,10000,100000,1000000] [--postgres URL [--pg-sizes 0,10000,100000]]

Each size gets a fresh database seeded by bulk SQL (``INSERT … SELECT`` over a generated series, not
the intake path): leads spread evenly over the quarter before `NOW` (so the last seven days hold
7/90 of them), each claimed by one of ten reps, one in four after a first offer that expired; one
audit row and one delivered outbox row per lead. The counters are then built by
`Store.check_load(repair=True)` (what ``leadrelay db check --repair`` runs: timed, it is the cost of
the check), the database is ANALYZEd and (SQLite) its WAL checkpointed. On it:

* intake p50 / p99: 300 leads through `Store.intake` (store, route, lease the DM), one at a time;
* claim p50: 150 of those offers accepted;
* SLA sweep: `expire_due` with nothing due (the 20-second sweep) and with 100 offers due (each
  routed again), plus `next_due_at` (the wake-up);
* Home: `home_data` + `home_view` for a rep and for the team's manager, as the bot publishes it;
* report: `reports.numbers.read_report` as ``leadrelay report`` calls it, over the default 7 days and over the
  quarter (every seeded lead).

The baseline of every figure is the same figure on the empty database in the same run; the ratio
is what history costs. SQLite runs on disk (a temp dir) with the product's own connection settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from bench.databases import ScratchPostgres, sqlite_files
from bench.storage.__main__ import CONFIG, _lead
from bot.clock import ManualClock
from bot.features.home import home_data
from bot.importer import import_file
from bot.metrics import Metrics
from bot.render.home import home_view
from bot.runtime import offline_service
from bot.service import Service
from bot.slack import Slack, make_client
from connectors.delivery import LEASE
from reports.numbers import read_report
from routing import Engine
from storage import Database, Store, connect
from storage.codec import lead_to_json
from storage.model import Offer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUARTER = timedelta(days=90)
INTAKES, CLAIMS = 300, 150
Figures = dict[str, float]


def _series(dialect: str, n: int) -> str:
    """A `SELECT n` of 1…`n`, as a FROM clause named `s`."""
    if dialect == "sqlite":
        return f"(WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) SELECT n FROM g) s"
    return f"generate_series(1, {n}) AS s(n)"


def _at(dialect: str, seconds: str, start: datetime) -> str:
    """The time `seconds` (an SQL expression) after `start`, as each engine stores it."""
    if dialect == "sqlite":  # naive UTC text, as `UtcDateTime` writes it
        return (
            f"strftime('%Y-%m-%d %H:%M:%S', '{start:%Y-%m-%d %H:%M:%S}', '+' || ({seconds}) || ' seconds') || '.000000'"
        )
    return f"(TIMESTAMPTZ '{start.isoformat()}' + ({seconds}) * INTERVAL '1 second')"


def seed(conn: Connection, leads: int, until: datetime = NOW, span: timedelta = QUARTER) -> None:
    """`leads` claimed leads spread over the `span` before `until`, their offers, audit and outbox rows,
    by bulk SQL, for the ten reps `rep0`…`rep9` of team `inbound`."""
    if leads == 0:
        return
    d = conn.dialect.name

    def moment(seconds: str) -> str:
        return _at(d, seconds, until - span)

    step = span.total_seconds() / leads
    received = moment(f"CAST(s.n * {step} AS INTEGER)")
    assigned = moment(f"CAST(s.n * {step} AS INTEGER) + 30")
    claimed = moment(f"CAST(s.n * {step} AS INTEGER) + 300")
    rep = "'rep' || CAST(s.n % 10 AS TEXT)"
    rep2 = "'rep' || CAST((s.n + 1) % 10 AS TEXT)"
    final_rep = f"CASE WHEN s.n % 4 = 0 THEN {rep2} ELSE {rep} END"
    contact = json.dumps(lead_to_json(_lead(0))).replace("'", "''")
    false = "0" if d == "sqlite" else "false"
    series = _series(d, leads)
    conn.execute(
        text(
            "INSERT INTO leads (id, source, external_id, payload, contact, state, offer_id, team_id, sla,"
            " received_at, assigned_at, claimed_at, claimed_by, attempts, escalation_level, pings)"
            f" SELECT s.n, 'seed', 's' || CAST(s.n AS TEXT), '{{}}', '{contact}', 'claimed',"
            f" CASE WHEN s.n % 4 = 0 THEN 2 * s.n ELSE 2 * s.n - 1 END, 'inbound', 'standard', {received},"
            f" {assigned}, {claimed}, {final_rep}, CASE WHEN s.n % 4 = 0 THEN 2 ELSE 1 END, 0, 0 FROM {series}"
        )
    )
    offer_columns = (
        "INSERT INTO offers (id, lead_id, rep_id, attempt, rule, pool, strategy, fallback, sla, summary, reasons,"
        " offered_by, assigned_at, due_at, claimed_at, claimed_by, ended_at, end_reason, state)"
    )
    conn.execute(
        text(
            f"{offer_columns} SELECT 2 * s.n - 1, s.n, {rep}, 1, 'everyone', 'inbound', 'round_robin', {false},"
            f" 'standard', 'seeded', '[]', 'system', {assigned}, {moment(f'CAST(s.n * {step} AS INTEGER) + 930')},"
            f" CASE WHEN s.n % 4 = 0 THEN NULL ELSE {claimed} END, CASE WHEN s.n % 4 = 0 THEN NULL ELSE {rep} END,"
            f" CASE WHEN s.n % 4 = 0 THEN {moment(f'CAST(s.n * {step} AS INTEGER) + 930')} END,"
            f" CASE WHEN s.n % 4 = 0 THEN 'expired' END, CASE WHEN s.n % 4 = 0 THEN 'ended' ELSE 'claimed' END"
            f" FROM {series}"
        )
    )
    conn.execute(
        text(
            f"{offer_columns} SELECT 2 * s.n, s.n, {rep2}, 2, 'everyone', 'inbound', 'round_robin', {false},"
            f" 'standard', 'seeded', '[]', 'system', {assigned}, {moment(f'CAST(s.n * {step} AS INTEGER) + 1830')},"
            f" {claimed}, {rep2}, NULL, NULL, 'claimed' FROM {series} WHERE s.n % 4 = 0"
        )
    )
    conn.execute(
        text(
            "INSERT INTO audit (lead_id, actor_kind, actor_id, at, from_state, to_state, reason)"
            f" SELECT s.n, 'rep', {final_rep}, {claimed}, 'assigned', 'claimed', 'accepted' FROM {series}"
        )
    )
    conn.execute(
        text(
            "INSERT INTO outbox (kind, lead_id, transport, address, payload, dedup_key, attempts, next_attempt_at,"
            " sent_at, created_at)"
            f" SELECT 'offer_dm', s.n, 'slack', {rep}, '{{}}', 'seed:' || CAST(s.n AS TEXT), 1, {assigned},"
            f" {assigned}, {assigned} FROM {series}"
        )
    )
    if d == "postgresql":  # ids were given explicitly: move the sequences past them
        for table in ("leads", "offers"):
            conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


async def measure(url: str, leads: int) -> Figures:
    """Seed a fresh database at `url` with `leads` leads, then every figure on it."""
    db = await connect(url, migrate=True)
    figures: Figures = {}
    try:
        started = time.perf_counter()
        await db.transact(lambda conn, _locks: seed(conn, leads))
        figures["seed s"] = time.perf_counter() - started
        store = Store(db, Engine(CONFIG))
        figures["db check ms"] = await _timed(lambda: store.check_load(NOW, repair=True))
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        if db.is_sqlite:  # the seed went through the WAL: fold it in now, not during the measurements
            async with db.engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        figures.update(await _hot_paths(db, store))
        figures.update(await _views(db))
        figures["size MB"] = await _size_mb(db)
    finally:
        await db.close()
    return figures


async def _hot_paths(db: Database, store: Store) -> Figures:
    intake, offers = [], []
    for i in range(INTAKES + 20):  # the first 20 warm up connections and compiled statements
        now = NOW + timedelta(milliseconds=10 * i)

        async def one(i: int = i, now: datetime = now) -> None:
            made = await store.intake(
                _lead(i), source="web", external_id=f"b{i}", payload={"i": i}, now=now, hand_over=LEASE
            )
            assert made.assigned is not None and made.assigned.offer is not None
            offers.append(made.assigned.offer)

        took = await _timed(one)
        if i >= 20:
            intake.append(took)
    later = NOW + timedelta(seconds=5)
    claims = []
    for offer in offers[20 : 20 + CLAIMS]:

        async def claim(offer: Offer = offer) -> None:
            await store.claim(offer.id, by=offer.rep_id, now=later)

        claims.append(await _timed(claim))
    idle = [await _timed(lambda: store.expire_due(later)) for _ in range(20)]
    due = NOW + timedelta(hours=1)
    batch = await _timed(lambda: store.expire_due(due, limit=100))
    wakeup = [await _timed(store.next_due_at) for _ in range(20)]
    (p50, p99), (c50, _c99) = _ms(intake), _ms(claims)
    return {
        "intake p50 ms": p50,
        "intake p99 ms": p99,
        "claim p50 ms": c50,
        "sweep idle ms": statistics.median(idle),
        "sweep 100 due ms": batch,
        "wake-up ms": statistics.median(wakeup),
    }


async def _views(db: Database) -> Figures:
    metrics = Metrics()
    slack = Slack(make_client("xoxb-bench", "http://127.0.0.1:9/"), metrics)  # never called
    clock = ManualClock(NOW + timedelta(hours=2))
    service = Service.build(config=CONFIG, db=db, slack=slack, clock=clock, metrics=metrics)
    try:

        async def home(person: str) -> None:
            home_view(await home_data(service, person), CONFIG, clock.now())

        until = clock.now()
        return {
            "Home rep ms": statistics.median([await _timed(lambda: home("rep0")) for _ in range(5)]),
            "Home manager ms": statistics.median([await _timed(lambda: home("boss")) for _ in range(3)]),
            "report 7d ms": await _timed(lambda: read_report(db, CONFIG, since=until - timedelta(days=7), until=until)),
            "report quarter ms": await _timed(lambda: read_report(db, CONFIG, since=until - QUARTER, until=until)),
        }
    finally:
        await slack.close()


async def _size_mb(db: Database) -> float:
    if db.is_sqlite:
        async with db.engine.connect() as conn:
            pages = (await conn.execute(text("PRAGMA page_count"))).scalar_one()
            size = (await conn.execute(text("PRAGMA page_size"))).scalar_one()
        return float(pages * size) / 1e6
    async with db.engine.connect() as conn:
        return float((await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()) / 1e6


ORDER = (
    "intake p50 ms",
    "intake p99 ms",
    "claim p50 ms",
    "sweep idle ms",
    "sweep 100 due ms",
    "wake-up ms",
    "Home rep ms",
    "Home manager ms",
    "report 7d ms",
    "report quarter ms",
    "db check ms",
    "seed s",
    "size MB",
)


def show(engine: str, results: dict[int, Figures]) -> None:
    sizes = sorted(results)
    base = results[sizes[0]]
    print(f"\n{engine}: figure at each size, and its ratio to the empty database ({sizes[0]:,} leads) in this run")
    print(f"{'':<20}" + "".join(f"{size:>20,}" for size in sizes))
    for name in ORDER:
        cells = []
        for size in sizes:
            value = results[size][name]
            ratio = value / base[name] if base[name] else float("nan")
            cells.append(f"{value:>11.2f} ({ratio:>5.2f}x)" if size != sizes[0] else f"{value:>20.2f}")
        print(f"{name:<20}" + "".join(f"{c:>20}" for c in cells))
    top = results[sizes[-1]]
    ratio = top["intake p50 ms"] / base["intake p50 ms"]
    print(
        f"target intake p50 at {sizes[-1]:,} ≤ 1.2x empty: {ratio:.2f}x "
        + ("meets" if ratio <= 1.2 else "MISSES")
        + f"; report over the quarter ≤ 2 s: {top['report quarter ms'] / 1000:.2f} s "
        + ("meets" if top["report quarter ms"] <= 2000 else "MISSES")
    )


async def run(make_url: Callable[[], Awaitable[str]], sizes: list[int], engine: str) -> None:
    results = {}
    for size in sizes:
        results[size] = await measure(await make_url(), size)
        print(f"  {engine} {size:,} leads: " + ", ".join(f"{k} {v:.2f}" for k, v in results[size].items()), flush=True)
    show(engine, results)


async def import_ratio(directory: Path) -> None:
    """`leadrelay import` of 2,000 leads (as the CLI runs it) into an empty database and into one that
    holds 10,000 leads of the current week; prints both times and their ratio."""
    rows = "".join(f"buyer{i}@example{i % 50}.com,Example {i % 50},DE,{50 + i % 500},i{i}\n" for i in range(2000))
    (directory / "leads.csv").write_text("email,company,country,employees,external_id\n" + rows)
    took = {}
    for history in (0, 10_000):
        url = f"sqlite+aiosqlite:///{directory / f'import{history}.db'}"
        async with offline_service(CONFIG, url) as service:
            now = service.clock.now()

            def this_week(
                conn: Connection, _locks: frozenset[str], leads: int = history, until: datetime = now
            ) -> None:
                seed(conn, leads, until, timedelta(days=6))

            await service.db.transact(this_week)
            await service.store.check_load(now, repair=True)
            started = time.perf_counter()
            result = await import_file(service, directory / "leads.csv", source="csv", progress=False)
            took[history] = time.perf_counter() - started
            assert result.new == 2000, result
    print(
        f"leadrelay import of 2,000 leads: empty database {took[0]:.1f} s, 10,000 leads this week {took[10_000]:.1f} s"
    )
    ratio = took[10_000] / took[0]
    print(f"ratio {ratio:.2f}x; target ≤ 1.3x: " + ("meets" if ratio <= 1.3 else "MISSES"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,10000,100000,1000000", help="SQLite sizes, in leads")
    parser.add_argument("--postgres", metavar="URL", help="also PostgreSQL, in scratch databases next to URL")
    parser.add_argument("--pg-sizes", default="0,10000,100000", help="PostgreSQL sizes, in leads")
    parser.add_argument(
        "--import-ratio", action="store_true", help="only: import 2,000 leads into an empty database and into 10k"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.import_ratio:
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(import_ratio(Path(directory)))
        return
    print(f"bench.scale: {INTAKES} intakes, {CLAIMS} claims per size; 10 reps, round robin; now = {NOW:%Y-%m-%d %H:%M}")
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(sqlite_files(directory, "scale"), sizes, "SQLite"))
    if args.postgres:
        scratch = ScratchPostgres(args.postgres, "leadrelay_scale_")

        async def on_postgres() -> None:
            try:
                await run(scratch.make, [int(s) for s in args.pg_sizes.split(",")], "PostgreSQL")
            finally:
                await scratch.drop()

        asyncio.run(on_postgres())


if __name__ == "__main__":
    main()
