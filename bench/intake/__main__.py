"""Intake to DM: from `POST /leads` to the DM's chat.postMessage arriving at the Slack stand-in.

    python -m bench.intake [--rate 50] [--leads 500]

Leadrelay runs as in production (real server, SQLite file, outbox sender, SLA timers) against the
stand-in. The floor, measured in the same run on the same machine, is a bare aiohttp handler that
posts the same rendered DM to the same stand-in the moment a lead arrives: no validation, no database,
no routing. The ratio is what durability and routing cost on top of an unavoidable Slack call.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.clock import SystemClock
from bot.metrics import Metrics
from bot.server import build_bolt_app, build_web_app
from bot.service import Service
from bot.slack import Slack, make_client
from bot.standin import SlackStandin
from routing import parse_config
from storage.db import connect

TOKEN, INTAKE = "xoxb-bench", "bench-intake-token-0123456789"
REPS = 100  # at 50 leads/s each rep gets one every two seconds, inside Slack's ~1 message/s per channel


def config_yaml() -> str:
    reps = "".join(f"  - {{id: rep{i}, name: Rep {i}, slack_id: UREP{i:04d}, capacity: 100000}}\n" for i in range(REPS))
    members = ", ".join(f"rep{i}" for i in range(REPS))
    return (
        f"working_hours: always\nreps:\n{reps}teams:\n"
        f"  - {{id: inbound, members: [{members}], strategy: round_robin}}\n"
        "rules: [{name: inbound, route: {team: inbound}}]\n"
        "sla: [{name: standard, within: 1h}]\nfallback: {team: inbound}\n"
    )


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


async def leadrelay_path(count: int, rate: float) -> tuple[list[float], dict[str, Any]]:
    config = parse_config(config_yaml())
    with tempfile.TemporaryDirectory() as tmp:
        async with SlackStandin(tokens={TOKEN}) as standin:
            for rep in config.reps.values():
                standin.add_user(rep.id, id=rep.slack_id)
            db = await connect(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            metrics = Metrics()
            service = Service.build(
                config=config,
                db=db,
                slack=Slack(make_client(TOKEN, standin.url), metrics),
                clock=SystemClock(),
                metrics=metrics,
            )
            runner = web.AppRunner(build_web_app(service, build_bolt_app(service, "secret"), intake_token=INTAKE))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            try:
                latencies = await measure(f"http://127.0.0.1:{runner.addresses[0][1]}", standin, count, rate)
                sample = standin.calls_to("chat.postMessage")[0].args
            finally:
                await runner.cleanup()
                await service.slack.close()
                await db.close()
            return latencies, sample


async def floor_path(count: int, rate: float, message: dict[str, Any]) -> list[float]:
    """A bare handler that posts the same DM at once: the least any Slack-notifying intake can cost."""
    async with SlackStandin(tokens={TOKEN}) as standin:
        standin.add_user("rep0", id="UREP0000")
        slack = Slack(make_client(TOKEN, standin.url), Metrics())

        async def handle(request: web.Request) -> web.Response:
            body = await request.json()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="leads per second")
    parser.add_argument("--leads", type=int, default=500)
    args = parser.parse_args()
    run: Callable[..., Any] = asyncio.run
    ours, message = run(leadrelay_path(args.leads, args.rate))
    floor = run(floor_path(args.leads, args.rate, message))
    (o50, o99), (f50, f99) = summary(ours), summary(floor)
    print(f"intake → DM at the Slack stand-in, {args.leads} leads at {args.rate:g}/s, SQLite")
    print(f"{'':<34}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'floor: bare handler posts the DM':<34}{f50:>9.1f}{f99:>9.1f}")
    print(f"{'leadrelay (store, route, outbox)':<34}{o50:>9.1f}{o99:>9.1f}")
    print(f"ratio: p50 {o50 / f50:.2f}x, p99 {o99 / f99:.2f}x the floor")
    verdict = "meets" if o99 / f99 <= 1.5 and o99 < 50 else "MISSES"
    print(f"target ≤ 1.5x the floor with p99 < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
