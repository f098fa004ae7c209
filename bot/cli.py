"""The `leadrelay` command line. Each sub-command is a thin shell around a module that does the work."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError
from routing import ConfigError, RoutingConfig, load_config
from routing.lint import warnings
from routing.schedule import parse_duration

DEFAULT_CONFIG = "leadrelay.yml"
EXAMPLE_CONFIG = str(Path(__file__).resolve().parents[1] / "examples" / "leadrelay.yml")


def _config_path(args: argparse.Namespace) -> str:
    return str(args.config or os.environ.get("LEADRELAY_CONFIG") or DEFAULT_CONFIG)


def _leads_file(args: argparse.Namespace) -> Path:
    path = Path(args.leads)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        raise SystemExit(2)
    return path


def _load(args: argparse.Namespace) -> RoutingConfig:
    path = _config_path(args)
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"{path}: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args)
    found = warnings(config)
    for warning in found:
        print(f"warning: {warning}")
    print(
        f"{_config_path(args)}: OK — {len(config.reps)} reps, {len(config.teams)} teams, "
        f"{len(config.rules)} rules, {len(config.sla)} SLA policies" + (f", {len(found)} warning(s)" if found else "")
    )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot import simulate

    config = _load(args)
    path = _leads_file(args)
    try:
        claim_after = parse_duration(args.claim_after) if args.claim_after else None
    except ValueError as exc:
        print(f"--claim-after: {exc}", file=sys.stderr)
        return 2
    return simulate.run(path, config, as_json=args.json, claim_after=claim_after, out=sys.stdout, err=sys.stderr)


def _settings(socket_mode: bool = False) -> Settings:
    try:
        return Settings.from_env(os.environ, socket_mode=socket_mode)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime import serve

    settings = _settings(socket_mode=args.socket_mode)
    _load(args)  # fail at start-up, with paths, rather than at the first lead
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(settings, socket_mode=args.socket_mode))
    return 0


def _database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import upgrade

    asyncio.run(upgrade(_database_url()))
    print(f"database at {_database_url()} is up to date")
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    """Recompute the routing load counters from the offers; report drift (exit 1), repair with --repair."""
    from bot.runtime import offline_service

    config = _load(args)

    async def run() -> int:
        async with offline_service(config, _database_url()) as service:
            result = await service.store.check_load(service.clock.now(), repair=args.repair)
        for line in result.drift:
            print(f"drift: {line}")
        counted = f"load counters: {result.reps} rep(s), {result.holds} claimed lead(s) held"
        if not result.drift:
            print(f"{counted}; no drift")
        else:
            outcome = "repaired" if result.repaired else "run with --repair to store what the offers say"
            print(f"{counted}; {len(result.drift)} drift(s), {outcome}")
        return 1 if result.drift and not result.repaired else 0

    return asyncio.run(run())


def cmd_import(args: argparse.Namespace) -> int:
    from bot.importer import import_file
    from bot.runtime import offline_service

    config = _load(args)
    path = _leads_file(args)

    async def run() -> int:
        async with offline_service(config, _database_url()) as service:
            result = await import_file(service, path, source=args.source, progress=sys.stderr.isatty())
        for number, problem in result.bad:
            print(f"row {number}: skipped: {problem}", file=sys.stderr)
        print(f"imported {result.created} new lead(s); {result.repeated} already known; {len(result.bad)} bad row(s)")
        return 0

    return asyncio.run(run())


def cmd_report(args: argparse.Namespace) -> int:
    from bot.report import print_report
    from bot.runtime import offline_service

    config = _load(args)
    try:
        period = parse_duration(args.since)
    except ValueError as exc:
        print(f"--since: {exc}", file=sys.stderr)
        return 2

    try:
        until = datetime.fromisoformat(args.until) if args.until else None
    except ValueError:
        print(f"--until: expected a date or time like 2026-11-30, got {args.until!r}", file=sys.stderr)
        return 2
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)

    async def run() -> int:
        async with offline_service(config, _database_url()) as service:
            end = until or service.clock.now()
            report = await service.views.report(end - period, end)
        print_report(report, config, as_json=args.json, out=sys.stdout)
        return 0

    return asyncio.run(run())


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    path = args.config or os.environ.get("LEADRELAY_CONFIG") or EXAMPLE_CONFIG
    try:
        quick = parse_duration(args.sla)
    except ValueError as exc:
        print(f"--sla: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_demo(path, out=sys.stdout, quick_sla=quick))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadrelay", description="Lead routing for Slack.")
    parser.add_argument("--config", help=f"routing config (default: $LEADRELAY_CONFIG or {DEFAULT_CONFIG})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate the config and warn about likely mistakes")
    check.set_defaults(func=cmd_check)

    sim = commands.add_parser("simulate", help="replay leads through the rules on a virtual clock")
    sim.add_argument("leads", help="a .csv or .jsonl file of leads (an 'owner' column is compared)")
    sim.add_argument("--json", action="store_true", help="one JSON object per decision")
    sim.add_argument(
        "--claim-after",
        metavar="DURATION",
        help="reps claim each offer this long after it arrives (e.g. 3m); "
        "longer than the SLA means it expires and moves on",
    )
    sim.set_defaults(func=cmd_simulate)

    demo = commands.add_parser("demo", help="everything on this machine against a Slack stand-in, with a transcript")
    demo.add_argument("--sla", default="15s", metavar="DURATION", help="the short SLA of the lead that expires")
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser("serve", help="run the bot: Slack endpoint, intake, health and metrics")
    serve.add_argument("--socket-mode", action="store_true", help="connect to Slack over Socket Mode (SLACK_APP_TOKEN)")
    serve.set_defaults(func=cmd_serve)

    imp = commands.add_parser("import", help="feed a CSV or JSONL of leads through intake")
    imp.add_argument("leads", help="a .csv or .jsonl file of leads")
    imp.add_argument("--source", default="import", help="source name for rows without one (default: import)")
    imp.set_defaults(func=cmd_import)

    rep = commands.add_parser("report", help="routing metrics from the database")
    rep.add_argument("--since", default="7d", metavar="DURATION", help="the period to report on (default 7d)")
    rep.add_argument("--until", metavar="DATE", help="end of the period, ISO 8601, UTC if no zone (default: now)")
    rep.add_argument("--json", action="store_true", help="machine-readable output")
    rep.set_defaults(func=cmd_report)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations (PostgreSQL; SQLite migrates itself)").set_defaults(
        func=cmd_db_upgrade
    )
    db_check = db_commands.add_parser(
        "check", help="recompute the routing load counters from the offers and report drift"
    )
    db_check.add_argument("--repair", action="store_true", help="store the recomputed counters")
    db_check.set_defaults(func=cmd_db_check)

    for sub in (check, sim, demo, serve, imp, rep, db_check):
        sub.add_argument("--config", default=argparse.SUPPRESS, help="routing config file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `leadrelay simulate … | head`: the reader left, which is fine
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
