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
    from bot import report

    config = _load(args)
    try:
        until = _moment(args.until) if args.until else datetime.now(UTC)
    except ValueError:
        print(f"--until: expected a date or time like 2026-11-30, got {args.until!r}", file=sys.stderr)
        return 2
    try:
        since = until - parse_duration(args.since)
    except ValueError:
        try:
            since = _moment(args.since)
        except ValueError:
            print(
                f"--since: expected a duration like 7d or a date like 2026-11-01, got {args.since!r}", file=sys.stderr
            )
            return 2
    if since >= until:
        print("--since: the period must start before it ends", file=sys.stderr)
        return 2
    request = report.Request(
        since=since,
        until=until,
        team_id=args.team,
        as_json=args.json,
        csv_file=Path(args.csv) if args.csv else None,
        png_dir=Path(args.png) if args.png else None,
    )
    return asyncio.run(report.run(config, _database_url(), request))


def _moment(text: str) -> datetime:
    """An ISO 8601 date or time; UTC when it names no zone. Raises ValueError."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    path = args.config or os.environ.get("LEADRELAY_CONFIG") or EXAMPLE_CONFIG
    try:
        quick = parse_duration(args.sla)
    except ValueError as exc:
        print(f"--sla: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_demo(path, out=sys.stdout, quick_sla=quick, directory=Path(args.dir)))


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
    demo.add_argument(
        "--dir", default="leadrelay-demo", help="where the demo keeps its database and charts (default leadrelay-demo)"
    )
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser("serve", help="run the bot: Slack endpoint, intake, health and metrics")
    serve.add_argument("--socket-mode", action="store_true", help="connect to Slack over Socket Mode (SLACK_APP_TOKEN)")
    serve.set_defaults(func=cmd_serve)

    imp = commands.add_parser("import", help="feed a CSV or JSONL of leads through intake")
    imp.add_argument("leads", help="a .csv or .jsonl file of leads")
    imp.add_argument("--source", default="import", help="source name for rows without one (default: import)")
    imp.set_defaults(func=cmd_import)

    rep = commands.add_parser("report", help="routing numbers from the database, against the previous period")
    rep.add_argument(
        "--since",
        default="7d",
        metavar="WHEN",
        help="a duration back from --until (7d) or a date, ISO 8601 (default 7d)",
    )
    rep.add_argument("--until", metavar="DATE", help="end of the period, ISO 8601, UTC if no zone (default: now)")
    rep.add_argument("--team", help="one team's leads only")
    rep.add_argument("--json", action="store_true", help="the numbers as one JSON document")
    rep.add_argument("--csv", metavar="FILE", help="write one CSV row per number to FILE")
    rep.add_argument("--png", metavar="DIR", help="write the two charts as PNG files into DIR")
    rep.set_defaults(func=cmd_report)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations (PostgreSQL; SQLite migrates itself)").set_defaults(
        func=cmd_db_upgrade
    )

    for sub in (check, sim, demo, serve, imp, rep):
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
