"""Decisions per second of the routing engine: 500 reps, 100 rules, 20 teams, one core.

    python -m bench.engine [--leads N] [--record FILE | --compare FILE]

`--record` writes every decision (at the benchmark's moment and at night, when nobody is at work) to
FILE, one JSON line per decision; `--compare` checks the current engine gives exactly those decisions,
field by field, so a change meant to leave routing alone can prove it did.
    python -m bench.engine --record-scenario FILE | --compare-scenario FILE [--postgres URL]   (`bench.engine.recorded`)

The baseline, measured in the same run on the same leads, is a naive first-match router: enrich the
lead, walk the rules, hand out round robin with a counter. No availability, no fairness across
restarts, no explanation. The ratio is what those cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from routing import Decision, Engine, Lead, PoolMember, PoolState, RepState, RoutingConfig, RoutingState, Window
from routing.config import compile_config
from routing.enrich import enrich

REGIONS = {"NA": ["US", "CA"], "EMEA": ["DE", "FR", "GB", "NL"], "APAC": ["JP", "AU", "SG"]}
ZONES = {"NA": "America/New_York", "EMEA": "Europe/Berlin", "APAC": "Asia/Tokyo"}
INDUSTRIES = ["fintech", "healthcare", "retail", "saas", "manufacturing", "media", "energy", "logistics"]
SOURCES = ["web_form", "demo_request", "pricing_page", "content_download", "partner", "event", "chat"]
STRATEGIES = ["round_robin", "weighted", "least_loaded", "performance"]


def build_config(rng: random.Random) -> dict[str, Any]:
    reps = []
    for i in range(500):
        region = list(REGIONS)[i % 3]
        reps.append(
            {
                "id": f"rep{i}",
                "name": f"Rep {i}",
                "timezone": ZONES[region],
                "working_hours": "mon-fri 08:00-18:00",
                "skills": rng.sample(INDUSTRIES, 2),
                "languages": ["en"] + (["de"] if region == "EMEA" and i % 2 else []),
                "capacity": 40,
                "daily_cap": 25,
                "weight": rng.choice([1, 1, 2, 3]),
                "backup": f"rep{(i + 3) % 500}",
            }
        )
    teams = [
        {
            "id": f"team{t}",
            "members": [f"rep{i}" for i in range(t * 25, t * 25 + 25)],
            "strategy": STRATEGIES[t % 4],
            "tie_breaks": ["least_loaded"] if t % 4 != 2 else [],
        }
        for t in range(20)
    ]
    rules = []
    for r in range(100):
        when: dict[str, Any] = {}
        kind = r % 5
        if kind == 0:
            when = {
                "country": rng.sample([c for cs in REGIONS.values() for c in cs], 2),
                "employees": rng.choice([">=200", "20-199", "<20"]),
            }
        elif kind == 1:
            when = {"all": [{"industry": rng.choice(INDUSTRIES)}, {"score": f">={rng.randint(30, 90)}"}]}
        elif kind == 2:
            when = {"any": [{"source": rng.choice(SOURCES)}, {"title": {"contains": rng.choice(["vp", "head"])}}]}
        elif kind == 3:
            when = {"email": {"regex": rf"\.{rng.choice(['io', 'ai', 'dev'])}$"}, "not": {"region": "APAC"}}
        else:
            when = {
                "region": rng.choice(list(REGIONS)),
                "segment": rng.choice(["smb", "mid_market"]),
                "budget": {"exists": True},
            }
        rules.append(
            {
                "name": f"rule{r}",
                "when": when,
                "route": {"team": f"team{r % 20}"},
                **({"prefer": {"skills": ["{industry}"]}} if r % 3 == 0 else {}),
            }
        )
    accounts = [{"domain": f"account{a}.com", "owner": f"rep{a * 7 % 500}"} for a in range(200)]
    return {
        "reps": reps,
        "teams": teams,
        "rules": rules,
        "accounts": accounts,
        "sla": [
            {"name": "demo", "when": {"source": "demo_request"}, "within": "5m"},
            {"name": "default", "within": "1h", "business_hours": True},
        ],
        "fallback": {"team": "team0"},
    }


def make_leads(rng: random.Random, n: int) -> list[Lead]:
    leads = []
    for i in range(n):
        region = rng.choice(list(REGIONS))
        domain = f"account{rng.randrange(400)}.com" if i % 5 == 0 else f"co{i}.{rng.choice(['com', 'io', 'ai'])}"
        leads.append(
            Lead(
                email=f"p{i}@{domain}",
                company=f"Company {i}",
                country=rng.choice(REGIONS[region]),
                employees=rng.choice([5, 15, 50, 150, 400, 2000]),
                industry=rng.choice(INDUSTRIES),
                source=rng.choice(SOURCES),
                score=rng.randint(0, 100),
                title=rng.choice(["VP Sales", "CTO", "Analyst"]),
                extra={"budget": "yes"} if i % 2 else {},
            )
        )
    return leads


def make_state(rng: random.Random, now: datetime, config: RoutingConfig) -> RoutingState:
    """A team in steady state: loads, day counts, some PTO, and pools with a history."""
    reps = {}
    for i in range(500):
        pto = (Window(now - timedelta(days=1), now + timedelta(days=2)),) if i % 17 == 0 else ()
        reps[f"rep{i}"] = RepState(
            open_load=rng.randint(0, 45),
            assigned_today=rng.randint(0, 20),
            pto=pto,
            won=rng.randint(0, 30),
            closed=rng.randint(30, 100),
        )
    pools = {}
    for team in config.teams.values():
        turns = rng.sample(range(1, 1000), len(team.members))
        pools[team.id] = PoolState(
            turn=1000,
            members={
                rep: PoolMember(last_turn=turn, assigned=rng.randint(20, 60), credit=rng.choice([0.0, 0.0, 2.5]))
                for rep, turn in zip(team.members, turns, strict=True)
            },
        )
    return RoutingState(reps=reps, pools=pools)


def naive_router(config: RoutingConfig) -> Callable[[Lead], str]:
    counters = dict.fromkeys(config.teams, 0)

    def route(lead: Lead) -> str:
        facts = enrich(lead, config)
        team_id = config.fallback_team or ""
        for rule in config.rules:
            if rule.when.matches(facts):
                team_id = rule.team or team_id
                break
        members = config.teams[team_id].members
        counters[team_id] += 1
        return members[counters[team_id] % len(members)]

    return route


def timed(fn: Callable[[Lead], object], leads: list[Lead]) -> list[float]:
    samples = []
    clock = time.perf_counter_ns
    for lead in leads:
        start = clock()
        fn(lead)
        samples.append((clock() - start) / 1e3)
    return samples


def summarise(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    per_second = len(samples) / (sum(samples) / 1e6)
    return per_second, statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


RECORDED_FIELDS = ("outcome", "rep", "rule", "pool", "strategy", "fallback", "sla", "due_at", "remind_at")


def recorded(decision: Decision) -> str:
    """One decision as a JSON line: the fields every consumer reads, the reasons and the rotation."""
    fields = {name: getattr(decision, name) for name in RECORDED_FIELDS}
    rotation = decision.rotation
    return json.dumps(
        {
            **{name: value.isoformat() if isinstance(value, datetime) else value for name, value in fields.items()},
            "reasons": [list(reason) for reason in decision.reasons],
            "rotation": None
            if rotation is None
            else [rotation.pool, rotation.rep, rotation.turn, sorted(rotation.credits.items())],
        },
        sort_keys=True,
    )


def record_or_compare(
    engine: Engine, state: RoutingState, leads: list[Lead], *, record: str | None, compare: str | None
) -> None:
    """Route every lead at the benchmark's moment and on Saturday at 03:00 UTC (nobody at work) and write or check
    the decisions. Exits non-zero naming the first lead that differs."""
    moments = (datetime(2026, 11, 23, 14, 30, tzinfo=UTC), datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
    lines = [recorded(engine.route(lead, state, now)) for now in moments for lead in leads]
    if record:
        with open(record, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        print(f"recorded {len(lines):,} decisions in {record}")
        return
    assert compare is not None
    with open(compare, encoding="utf-8") as handle:
        expected = handle.read().splitlines()
    if len(expected) != len(lines):
        raise SystemExit(f"{compare}: {len(expected):,} decisions recorded, {len(lines):,} made now")
    worded = 0
    for i, (was, now_made) in enumerate(zip(expected, lines, strict=True)):
        if was == now_made:
            continue
        if not _same_but_wording(json.loads(was), json.loads(now_made)):
            raise SystemExit(f"decision {i} differs:\n  recorded {was}\n  now      {now_made}")
        worded += 1
    print(
        f"all {len(lines):,} decisions equal to {compare}"
        + (f" ({worded:,} only in the wording of their reasons, same codes and order)" if worded else "")
    )


def _same_but_wording(was: dict[str, Any], now: dict[str, Any]) -> bool:
    """Every field equal, and the reasons equal in code, order and rep: only their sentences differ."""

    def skeleton(decision: dict[str, Any]) -> dict[str, Any]:
        return {**decision, "reasons": [(code, rep) for code, _text, rep in decision["reasons"]]}

    return skeleton(was) == skeleton(now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--record", metavar="FILE", help="write every decision to FILE, then time as usual")
    parser.add_argument("--compare", metavar="FILE", help="check the decisions equal FILE's, then time as usual")
    parser.add_argument(
        "--record-scenario", metavar="FILE", help="write the recorded-decision Store scenario to FILE, and stop"
    )
    parser.add_argument("--compare-scenario", metavar="FILE", help="run the Store scenario again and compare with FILE")
    parser.add_argument("--postgres", metavar="URL", help="run the Store scenario on PostgreSQL (a scratch database)")
    args = parser.parse_args()
    if args.record_scenario or args.compare_scenario:
        # Imported here: `recorded` builds its team with this module's builders.
        from bench.engine import recorded

        raise SystemExit(
            recorded.record(args.record_scenario, args.postgres)
            if args.record_scenario
            else recorded.compare(args.compare_scenario, args.postgres)
        )
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    rng = random.Random(42)
    config = compile_config(build_config(rng))
    engine = Engine(config)
    now = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # Monday: EMEA and NA at work, APAC off
    state = make_state(rng, now, config)
    leads = make_leads(rng, args.leads)
    if args.record or args.compare:
        record_or_compare(engine, state, leads, record=args.record, compare=args.compare)

    def full(lead: Lead) -> object:
        return engine.route(lead, state, now)

    naive = naive_router(config)
    timed(full, leads[:2000])  # warm caches and zone lookups
    timed(naive, leads[:2000])
    base = summarise(timed(naive, leads))
    ours = summarise(timed(full, leads))
    print(
        f"routing engine, {len(config.reps)} reps, {len(config.rules)} rules, {len(config.teams)} teams, "
        f"{len(leads)} leads, one core"
    )
    print(f"{'':<28}{'decisions/s':>14}{'p50 µs':>10}{'p99 µs':>10}")
    print(f"{'baseline: naive first-match':<28}{base[0]:>14,.0f}{base[1]:>10.1f}{base[2]:>10.1f}")
    print(f"{'leadrelay engine':<28}{ours[0]:>14,.0f}{ours[1]:>10.1f}{ours[2]:>10.1f}")
    print(f"ratio (engine time / baseline time): mean {base[0] / ours[0]:.2f}x, p99 {ours[2] / base[2]:.2f}x")
    verdict = "meets" if ours[0] >= 20_000 and ours[2] <= 500 else "MISSES"
    print(f"target ≥ 20,000 decisions/s with p99 ≤ 500 µs: {verdict}")


if __name__ == "__main__":
    main()
