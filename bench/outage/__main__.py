"""Drain after a Slack outage: from the end of a 30-second outage to the last waiting DM delivered.

    python -m bench.outage [--leads 166] [--outage 30] [--runs 1]

Leadrelay runs as in production (real server, SQLite file, outbox sender loop, SLA timers, the system
clock, the production Slack client and its 10-second timeout) against the Slack stand-in. The outage
starts, `--leads` leads arrive over its first five seconds (each to a rep of their own, so channel
pacing plays no part), every Slack call answers with a fault in turn (429 with `Retry-After: 2`, 500,
503, a call that hangs past the client's timeout, 502) for `--outage` seconds, and then Slack is
healthy again. Measured: how long `/healthz` took to answer 503 after the outage began, the Slack
calls made during the outage, and the drain time: from the end of the outage to the last DM accepted
by Slack. Every DM must arrive exactly once (by its dedup key) or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.serving import INTAKE, TOKEN, serving
from standin import ANY_METHOD, SlackStandin

ARRIVALS = 5.0  # seconds at the start of the outage over which the leads arrive
HANG = 15.0  # seconds a hanging call holds its answer: past the client's 10-second timeout
FAULTY_ANSWERS = 20_000  # queued faults: more calls than any sender makes in the outage
DRAIN_LIMIT = 300.0  # seconds after the outage before the run counts as failed


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    unhealthy_after: float | None  # seconds from the outage's start to /healthz answering 503; None: never
    calls_during: int  # Slack calls the sender made while Slack was down
    drain: float  # seconds from the outage's end to the last DM accepted


def lead(i: int) -> dict[str, Any]:
    return {"external_id": f"o{i}", "email": f"buyer{i}@company{i}.com", "company": f"Company {i}"}


def start_outage(standin: SlackStandin) -> None:
    """Every call from now on answers with a fault, in a fixed mix, until `standin.faults.clear()`."""
    faults = standin.faults
    for _ in range(FAULTY_ANSWERS // 5):
        faults.rate_limit(ANY_METHOD, retry_after=2)
        faults.server_error(ANY_METHOD, status=500)
        faults.server_error(ANY_METHOD, status=503)
        faults.timeout(ANY_METHOD, delay=HANG)
        faults.server_error(ANY_METHOD, status=502)


async def watch_health(http: aiohttp.ClientSession, base: str, since: float, stop: asyncio.Event) -> float | None:
    """Poll /healthz every 100 ms until `stop`; seconds from `since` to the first 503, or None."""
    while not stop.is_set():
        async with http.get(f"{base}/healthz") as response:
            if response.status == 503:
                return time.monotonic() - since
        await asyncio.sleep(0.1)
    return None


async def run_once(leads: int, outage: float) -> Result:
    async with (
        SlackStandin(tokens={TOKEN}) as standin,
        serving(leads, standin) as base,
        aiohttp.ClientSession() as http,
    ):
        return await _measure(http, base, standin, leads, outage)


async def _measure(http: aiohttp.ClientSession, base: str, standin: SlackStandin, leads: int, outage: float) -> Result:
    start_outage(standin)
    began = time.monotonic()
    outage_over = asyncio.Event()
    health = asyncio.create_task(watch_health(http, base, began, outage_over))

    async def post(i: int) -> None:
        await asyncio.sleep(ARRIVALS * i / leads)
        async with http.post(f"{base}/leads", json=lead(i), headers={"Authorization": f"Bearer {INTAKE}"}) as answer:
            assert answer.status == 202, await answer.text()

    await asyncio.gather(*(post(i) for i in range(leads)))
    await asyncio.sleep(max(0.0, began + outage - time.monotonic()))
    standin.faults.clear()
    ended = time.monotonic()
    outage_over.set()
    unhealthy_after = await health
    calls_during = sum(1 for call in standin.calls if began <= call.at < ended)

    deadline = ended + DRAIN_LIMIT
    while len(_delivered(standin)) < leads and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # polling the stand-in's record: nothing to wait on but time
    delivered = _delivered(standin)
    keys = Counter(str(call.args["metadata"]["event_payload"]["dedup_key"]) for call in delivered)
    assert len(keys) == leads, f"only {len(keys)} of {leads} DMs arrived within {DRAIN_LIMIT:g}s"
    assert max(keys.values()) == 1, f"posted twice: {[key for key, n in keys.items() if n > 1]}"
    drain = max(call.at for call in delivered) - ended
    return Result(unhealthy_after=unhealthy_after, calls_during=calls_during, drain=drain)


def _delivered(standin: SlackStandin) -> list[Any]:
    return [call for call in standin.calls_to("chat.postMessage") if call.ok]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=166)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.leads} DMs waiting through a {args.outage:g}s Slack outage (429/500/503/hang/502), SQLite")
    print(f"{'run':<5}{'/healthz 503 after':>20}{'Slack calls in outage':>23}{'drain after outage':>20}")
    for run in range(1, args.runs + 1):
        result = asyncio.run(run_once(args.leads, args.outage))
        unhealthy = "never" if result.unhealthy_after is None else f"{result.unhealthy_after:.1f}s"
        print(f"{run:<5}{unhealthy:>20}{result.calls_during:>23}{result.drain:>19.2f}s")


if __name__ == "__main__":
    main()
