"""Seconds for `leadrelay simulate` on 100,000 leads, against the engine's decisions per second.

    python -m bench.simulate [--leads N]

The leads are the example week (`examples/leads.csv`, 240 leads for `examples/leadrelay.yml`) repeated
week after week with fresh ids, so the load per week stays the example's and the replay crosses many
DST changes. The figure is end to end, as a user runs it: reading and validating the CSV, the replay
(claim model `--claim-after 3m`, so offers expire and move on), one printed line per decision to a
file, and the summary with fairness and owner agreement. Pinned to one core.

Measured in the same run, for the ratios: reading the CSV alone; the replay alone with the time spent
inside `Engine.route` kept apart (what the replay costs beyond its decisions); and `bench.engine`'s
decisions/s (500 reps, 100 rules). The parts are CPU time of this process; the end-to-end figure is
given as wall and CPU time, because the machine is shared and a neighbour's load stretches wall time.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.engine.__main__ import build_config, make_leads, make_state, summarise, timed
from bot.simulate import Fidelity, load_leads, run
from routing import Decision, Engine, Lead, RoutingState, load_config
from routing.config import compile_config
from routing.simulation import ClaimModel, Simulation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_LEADS = ROOT / "examples" / "leads.csv"
EXAMPLE_CONFIG = ROOT / "examples" / "leadrelay.yml"


def write_leads(path: Path, count: int) -> None:
    """`count` leads: the example week again and again, a week later each time."""
    with EXAMPLE_LEADS.open(encoding="utf-8", newline="") as handle:
        week = list(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(week[0]), lineterminator="\n")
        writer.writeheader()
        for n in range(count):
            copy, row = divmod(n, len(week))
            lead = dict(week[row])
            lead["external_id"] = f"{lead['external_id']}-w{copy}"
            lead["created_at"] = (datetime.fromisoformat(lead["created_at"]) + timedelta(weeks=copy)).isoformat()
            writer.writerow(lead)


def engine_bench_rate() -> float:
    """`bench.engine`'s decisions/s, measured now (its default 20,000 leads)."""
    rng = random.Random(42)
    config = compile_config(build_config(rng))
    engine = Engine(config)
    now = datetime.fromisoformat("2026-11-23T14:30:00+00:00")
    state = make_state(rng, now, config)
    leads = make_leads(rng, 20_000)
    timed(lambda lead: engine.route(lead, state, now), leads[:2000])
    return summarise(timed(lambda lead: engine.route(lead, state, now), leads))[0]


class TimedEngine(Engine):
    """The engine, keeping the time spent deciding: what the replay costs beyond it is bookkeeping."""

    spent = 0.0

    def route(self, lead: Lead, state: RoutingState, now: datetime) -> Decision:
        start = time.process_time()
        decision = super().route(lead, state, now)
        self.spent += time.process_time() - start
        return decision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    config = load_config(str(EXAMPLE_CONFIG))
    claim = ClaimModel(claim_after=timedelta(minutes=3))
    with tempfile.TemporaryDirectory() as scratch:
        leads_file = Path(scratch) / "leads.csv"
        write_leads(leads_file, args.leads)
        with (Path(scratch) / "out.txt").open("w", encoding="utf-8") as out:
            wall, cpu = time.perf_counter(), time.process_time()
            run(leads_file, config, as_json=False, fidelity=Fidelity(claim=claim), out=out, err=io.StringIO())
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # One printed line per decision, each with "lead → rep"; a reason may hold arrows of its own.
        printed = (Path(scratch) / "out.txt").read_text(encoding="utf-8").splitlines()
        decisions = sum(" → " in line for line in printed)
        start = time.process_time()
        parsed, _bad = load_leads(leads_file, progress=False)
        reading = time.process_time() - start
    engine = TimedEngine(config)
    start = time.process_time()
    simulation = Simulation(engine, claim=claim)
    for _event in simulation.run(parsed):
        pass
    replaying = time.process_time() - start
    bench_rate = engine_bench_rate()
    print(f"leadrelay simulate, {args.leads:,} leads ({decisions:,} decisions) on examples/leadrelay.yml, one core")
    print(f"  end to end (read, replay, print, summary):  {wall:6.1f} s wall, {cpu:6.1f} s CPU")
    print(f"  reading and validating the CSV alone:        {reading:6.1f} s CPU")
    print(
        f"  the replay alone: {replaying:6.1f} s CPU, of which deciding {engine.spent:6.1f} s "
        f"({decisions / engine.spent:,.0f} decisions/s): replay / decisions {replaying / engine.spent:.2f}x"
    )
    print(
        f"  bench.engine in this run (500 reps, 100 rules): {bench_rate:,.0f} decisions/s, so "
        f"{args.leads:,} of its decisions take {args.leads / bench_rate:.1f} s; simulate end to end takes "
        f"{wall / (args.leads / bench_rate):.2f}x that"
    )
    verdict = "meets" if wall < 30 else "MISSES"
    print(f"target: {args.leads:,} leads in under 30 s: {verdict} ({wall:.1f} s wall, {cpu:.1f} s CPU)")


if __name__ == "__main__":
    main()
