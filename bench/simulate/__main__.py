"""Seconds for `leadrelay simulate` on 100,000 leads, against the engine's decisions per second.

    python -m bench.simulate [--leads N]

The leads are the example week (`examples/leads.csv`, 240 leads for `examples/leadrelay.yml`) repeated
week after week with fresh ids, so the load per week stays the example's and the replay crosses many
DST changes. The figure is end to end, as a user runs it: reading and validating the CSV, the replay
(claim model `--claim-after 3m`, so offers expire and move on), one printed line per decision to a
file, and the summary with fairness and owner agreement. Pinned to one core.

Measured in the same run, for the ratio: the engine alone routing the same leads once each on an empty
state (what the decisions cost on this config), and `bench.engine`'s decisions/s (500 reps, 100 rules).
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
from routing import Engine, RoutingState, load_config
from routing.config import compile_config
from routing.simulation import ClaimModel

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    config = load_config(str(EXAMPLE_CONFIG))
    with tempfile.TemporaryDirectory() as scratch:
        leads_file = Path(scratch) / "leads.csv"
        write_leads(leads_file, args.leads)
        fidelity = Fidelity(claim=ClaimModel(claim_after=timedelta(minutes=3)))
        with (Path(scratch) / "out.txt").open("w", encoding="utf-8") as out:
            start = time.perf_counter()
            run(leads_file, config, as_json=False, fidelity=fidelity, out=out, err=io.StringIO())
            simulate_seconds = time.perf_counter() - start
        decisions = (Path(scratch) / "out.txt").read_text(encoding="utf-8").count(" → ")
        start = time.perf_counter()
        parsed, _bad = load_leads(leads_file, progress=False)
        read_seconds = time.perf_counter() - start
    engine = Engine(config)
    alone = summarise(timed(lambda lead: engine.route(lead, RoutingState(), lead.created_at), [p.lead for p in parsed]))
    bench_rate = engine_bench_rate()
    print(f"leadrelay simulate, {args.leads:,} leads ({decisions:,} decisions) on examples/leadrelay.yml, one core")
    print(f"  simulate, end to end (read, replay, print, summary): {simulate_seconds:6.1f} s")
    print(f"    of which reading and validating the CSV alone:     {read_seconds:6.1f} s")
    print(f"  engine alone on the same leads:  {alone[0]:>9,.0f} decisions/s → {args.leads / alone[0]:6.1f} s")
    print(f"  bench.engine (500 reps, 100 rules): {bench_rate:>6,.0f} decisions/s → {args.leads / bench_rate:6.1f} s")
    print(
        f"  ratio: simulate / engine alone {simulate_seconds / (args.leads / alone[0]):.2f}x "
        f"(without reading the CSV {(simulate_seconds - read_seconds) / (args.leads / alone[0]):.2f}x), "
        f"simulate / bench.engine's rate {simulate_seconds / (args.leads / bench_rate):.2f}x"
    )
    verdict = "meets" if simulate_seconds < 30 else "MISSES"
    print(f"target: {args.leads:,} leads in under 30 s: {verdict}")


if __name__ == "__main__":
    main()
