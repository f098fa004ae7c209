"""Intake to DM: from `POST /leads` to the DM's chat.postMessage arriving at the Slack stand-in.

    python -m bench.intake [--rate 50] [--leads 500] [--history 100000]

Leadrelay runs as in production (real server, SQLite file, outbox sender, SLA timers) against the
stand-in, on an empty database and on one already holding `--history` leads of the last quarter.
Two floors, measured in the same run on the same machine:

* bare: an aiohttp handler that posts the same rendered DM to the same stand-in the moment a lead
  arrives: no validation, no database, no routing;
* durable: the same handler, but it first inserts the raw body into a SQLite file with Leadrelay's
  own file settings (WAL, synchronous=NORMAL) on a writer thread and commits, as any intake that
  must not lose a lead has to.

The target is against the durable floor: what validation, routing and the outbox cost on top of
storing the lead and making the Slack call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.serving import INTAKE, TOKEN, serving
from bot.metrics import Metrics
from bot.slack import Slack, make_client
from standin import SlackStandin

REPS = 100  # at 50 leads/s each rep gets one every two seconds, inside Slack's ~1 message/s per channel


def lead(i: int) -> dict[str, Any]:
    return {
        "external_id": f"b{i}",
        "email": f"buyer{i}@company{i}.com",
        "company": f"Company {i}",
        "first_name": "Pat",
        "last_name": f"Buyer{i}",
        "employees": 120,
        "country": "US",
        "intent": "demo",
    }


async def measure(base: str, standin: SlackStandin, count: int, rate: float) -> list[float]:
    """Send `count` leads at `rate` per second; latency (ms) from each request to its DM at the stand-in."""
    sent: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:

        async def post(i: int) -> None:
            sent[f"Company {i}"] = time.monotonic()
            async with http.post(
                f"{base}/leads", json=lead(i), headers={"Authorization": f"Bearer {INTAKE}"}
            ) as response:
                assert response.status in (200, 202), await response.text()

        start = loop.time()
        tasks = []
        for i in range(count):
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            tasks.append(asyncio.create_task(post(i)))
        await asyncio.gather(*tasks)
        deadline = loop.time() + 30
        while len(standin.calls_to("chat.postMessage")) < count and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # polling the stand-in's record: nothing to wait on but time
    latencies = []
    for call in standin.calls_to("chat.postMessage"):
        company = next((key for key in sent if f"{key} —" in str(call.args.get("text", ""))), None)
        if company is not None:
            latencies.append((call.at - sent.pop(company)) * 1000)
    assert len(latencies) == count, f"only {len(latencies)} of {count} DMs arrived"
    return latencies


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


async def leadrelay_path(count: int, rate: float, history: int = 0) -> tuple[list[float], dict[str, Any]]:
    async with SlackStandin(tokens={TOKEN}) as standin, serving(REPS, standin, history=history) as base:
        latencies = await measure(base, standin, count, rate)
        return latencies, standin.calls_to("chat.postMessage")[0].args


async def floor_path(count: int, rate: float, message: dict[str, Any], *, durable: bool) -> list[float]:
    """A bare handler that posts the same DM at once (`durable`: after committing the raw body to a
    SQLite file): the least any Slack-notifying (durable) intake can cost."""
    async with SlackStandin(tokens={TOKEN}) as standin:
        standin.add_user("rep0", id="UREP0000")
        slack = Slack(make_client(TOKEN, standin.url), Metrics())
        store = _RawStore() if durable else None

        async def handle(request: web.Request) -> web.Response:
            raw = await request.read()
            if store is not None:
                await store.insert(raw)
            body = json.loads(raw)
            text = str(message["text"]).replace("Company 0", str(body["company"]))
            await slack.call("chat.postMessage", channel="UREP0000", text=text, blocks=message.get("blocks"))
            return web.json_response({"ok": True}, status=202)

        app = web.Application()
        app.router.add_post("/leads", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            return await measure(f"http://127.0.0.1:{runner.addresses[0][1]}", standin, count, rate)
        finally:
            await runner.cleanup()
            await slack.close()
            if store is not None:
                store.close()


class _RawStore:
    """One SQLite file with Leadrelay's settings and a table of raw bodies, written on one thread."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self._thread = ThreadPoolExecutor(1)
        self._conn = self._thread.submit(self._open, Path(self._dir.name) / "floor.db").result()

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        return conn

    def _insert(self, body: bytes) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute("INSERT INTO raw (body) VALUES (?)", (body,))
        self._conn.execute("COMMIT")

    async def insert(self, body: bytes) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._insert, body)

    def close(self) -> None:
        self._thread.submit(self._conn.close).result()
        self._thread.shutdown()
        self._dir.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="leads per second")
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--history", type=int, default=100_000, help="leads already stored, second run")
    args = parser.parse_args()
    run: Callable[..., Any] = asyncio.run
    ours, message = run(leadrelay_path(args.leads, args.rate))
    full, _ = run(leadrelay_path(args.leads, args.rate, args.history))
    bare = run(floor_path(args.leads, args.rate, message, durable=False))
    durable = run(floor_path(args.leads, args.rate, message, durable=True))
    (f50, f99), (d50, d99) = summary(bare), summary(durable)
    print(f"intake → DM at the Slack stand-in, {args.leads} leads at {args.rate:g}/s, SQLite")
    print(f"{'':<44}{'p50 ms':>9}{'p99 ms':>9}{'p50 / durable':>15}")
    print(f"{'floor: bare handler posts the DM':<44}{f50:>9.1f}{f99:>9.1f}{f50 / d50:>14.2f}x")
    print(f"{'durable floor: commit raw body, post the DM':<44}{d50:>9.1f}{d99:>9.1f}{1:>14.2f}x")
    verdicts = []
    for name, samples in (("leadrelay, empty database", ours), (f"leadrelay, {args.history:,} leads", full)):
        o50, o99 = summary(samples)
        print(f"{name:<44}{o50:>9.1f}{o99:>9.1f}{o50 / d50:>14.2f}x")
        verdicts.append(o50 / d50 <= 1.5 and o99 < 50)
    verdict = "meets" if all(verdicts) else "MISSES"
    print(f"target p50 ≤ 1.5x the durable floor and p99 < 50 ms, on both databases: {verdict}")


if __name__ == "__main__":
    main()
