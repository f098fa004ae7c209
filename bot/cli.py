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

from bot.cli_config import DEFAULT_CONFIG, cmd_check, cmd_init, load, load_file
from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError
from routing import ConfigError
from routing.schedule import parse_duration

EXAMPLE_CONFIG = str(Path(__file__).resolve().parents[1] / "examples" / "leadrelay.yml")


def _leads_file(args: argparse.Namespace, name: str = "leads") -> Path:
    path = Path(getattr(args, name))
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        raise SystemExit(2)
    return path


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot import simulate
    from routing.simulation import ClaimModel

    config = load(args)
    path = _leads_file(args)
    try:
        claim_after = parse_duration(args.claim_after) if args.claim_after else None
    except ValueError as exc:
        print(f"--claim-after: {exc}", file=sys.stderr)
        return 2
    try:
        fidelity = simulate.Fidelity(
            claim=ClaimModel(claim_after=claim_after),
            pto=simulate.read_pto(Path(args.pto), config) if args.pto else {},
            changes=simulate.read_capacity(Path(args.capacity), config) if args.capacity else (),
        )
    except (OSError, simulate.InputError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    proposed = load_file(args.compare) if args.compare else None
    return simulate.run(
        path,
        config,
        as_json=args.json,
        fidelity=fidelity,
        policies=args.policies,
        proposed=proposed,
        proposed_name=args.compare or "",
        show=args.show,
        out=sys.stdout,
        err=sys.stderr,
    )


def _settings(socket_mode: bool = False) -> Settings:
    try:
        return Settings.from_env(os.environ, socket_mode=socket_mode)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime import serve
    from bot.socket_mode import SocketModeRefused

    settings = _settings(socket_mode=args.socket_mode)
    load(args)  # fail at start-up, with paths, rather than at the first lead
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(settings, socket_mode=args.socket_mode))
    except SocketModeRefused as exc:
        print(f"cannot start in Socket Mode: {exc}", file=sys.stderr)
        return 2
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

    config = load(args)

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
    return _import(args, "leads", "imported {} new lead(s); {} already known")


def cmd_import_outcomes(args: argparse.Namespace) -> int:
    return _import(args, "outcomes", "recorded {} outcome(s); {} already recorded")


def _import(args: argparse.Namespace, what: str, summary: str) -> int:
    """Import the file of leads or outcomes `args` names; print each bad row, then `summary`."""
    from bot.importer import import_file, import_outcomes
    from bot.runtime import offline_service

    config = load(args)
    path = _leads_file(args, what)
    progress = sys.stderr.isatty()

    async def run() -> int:
        async with offline_service(config, _database_url()) as service:
            if what == "leads":
                result = await import_file(service, path, source=args.source, progress=progress)
            else:
                result = await import_outcomes(service, path, progress=progress)
        for number, problem in result.bad:
            print(f"row {number}: skipped: {problem}", file=sys.stderr)
        print(summary.format(result.new, result.repeated) + f"; {len(result.bad)} bad row(s)")
        return 0

    return asyncio.run(run())


def cmd_report(args: argparse.Namespace) -> int:
    from bot import report

    config = load(args)
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


def cmd_outbox(args: argparse.Namespace) -> int:
    from bot.dead_letters import print_outbox, retry
    from bot.runtime import offline_service

    config = load(args)
    if getattr(args, "outbox_command", None) == "retry" and not args.all and not args.ids:
        print("outbox retry: name the messages to resend (IDs from `leadrelay outbox`) or --all", file=sys.stderr)
        return 2

    async def run() -> int:
        async with offline_service(config, _database_url()) as service:
            now = service.clock.now()
            if getattr(args, "outbox_command", None) == "retry":
                return await retry(service.outbox, None if args.all else args.ids, now, sys.stdout, sys.stderr)
            await print_outbox(service.outbox, now, sys.stdout)
            return 0

    return asyncio.run(run())


def cmd_webhooks_replay(args: argparse.Namespace) -> int:
    from bot.runtime import offline_service
    from bot.webhook_replay import replay
    from routing.config import WEBHOOK_EVENTS

    config = load(args)
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        print(f"--since: {exc}", file=sys.stderr)
        return 2
    unknown = sorted(set(args.event or ()) - set(WEBHOOK_EVENTS))
    if unknown:
        print(f"--event: unknown {', '.join(unknown)}; known: {', '.join(WEBHOOK_EVENTS)}", file=sys.stderr)
        return 2

    async def run() -> int:
        async with offline_service(config, _database_url()) as service:
            return await replay(
                service.outbox, config, since=since, events=args.event, now=service.clock.now(), out=sys.stdout
            )

    return asyncio.run(run())


def cmd_webhooks_secret(args: argparse.Namespace) -> int:
    from connectors.webhooks import new_secret

    print(new_secret())
    return 0


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
    check.add_argument(
        "--slack",
        action="store_true",
        help="also resolve every person and channel in the Slack workspace (SLACK_BOT_TOKEN)",
    )
    check.add_argument(
        "--crm",
        action="store_true",
        help=(
            "also check the CRM's token and scopes and find every rep's CRM user "
            "(HUBSPOT_TOKEN, or SALESFORCE_INSTANCE_URL with SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET "
            "or SALESFORCE_ACCESS_TOKEN)"
        ),
    )
    check.set_defaults(func=cmd_check)

    init = commands.add_parser("init", help="write a commented starter leadrelay.yml (never overwrites)")
    init.add_argument(
        "--from-slack",
        metavar="CHANNEL",
        help="make the channel's members (id or #name) the reps, with their names, emails and time zones",
    )
    init.set_defaults(func=cmd_init)

    sim = commands.add_parser("simulate", help="replay leads through the rules on a virtual clock")
    sim.add_argument("leads", help="a .csv or .jsonl file of leads (an 'owner' column is compared)")
    sim.add_argument("--json", action="store_true", help="one JSON object per decision")
    sim.add_argument(
        "--claim-after",
        metavar="DURATION",
        help="reps claim each offer this long after it arrives (e.g. 3m); "
        "longer than the SLA means it expires and moves on",
    )
    sim.add_argument("--pto", metavar="FILE", help="a PTO calendar: CSV with rep, start, end (dates, inclusive)")
    sim.add_argument(
        "--capacity",
        metavar="FILE",
        help="capacity changes as /capacity makes them: CSV with rep, at (ISO time), capacity (number, pause, resume)",
    )
    sim.add_argument("--policies", action="store_true", help="also replay under each off_hours policy and compare them")
    sim.add_argument(
        "--compare",
        metavar="PROPOSED.yml",
        help="replay under this config too and print what changes: per rep, per rule, rates, moved leads",
    )
    sim.add_argument("--show", type=int, default=20, metavar="N", help="with --compare: moved leads to list (20)")
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

    imp_outcomes = commands.add_parser(
        "import-outcomes", help="record a CSV or JSONL of outcomes (won, lost, …) as POST /outcomes does"
    )
    imp_outcomes.add_argument("outcomes", help="a .csv or .jsonl file: lead, state, occurred_at[, amount]")
    imp_outcomes.set_defaults(func=cmd_import_outcomes)

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

    box = commands.add_parser("outbox", help="messages waiting or given up on; `outbox retry` resends")
    box.set_defaults(func=cmd_outbox)
    box_commands = box.add_subparsers(dest="outbox_command", metavar="ACTION")
    box_retry = box_commands.add_parser("retry", help="resend dead-lettered messages, exactly once")
    box_retry.add_argument("ids", nargs="*", type=int, metavar="ID", help="dead letters to resend")
    box_retry.add_argument("--all", action="store_true", help="resend every dead letter")
    box_retry.set_defaults(func=cmd_outbox)

    hooks = commands.add_parser("webhooks", help="signed webhooks: replay what was sent, make a secret")
    hook_commands = hooks.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    hook_replay = hook_commands.add_parser("replay", help="send again the webhooks of a recent period")
    hook_replay.add_argument("--since", required=True, metavar="DURATION", help="how far back, e.g. 2h or 3d")
    hook_replay.add_argument(
        "--event", action="append", metavar="TYPE", help="only this event type (repeatable), e.g. lead.claimed"
    )
    hook_replay.set_defaults(func=cmd_webhooks_replay)
    hook_commands.add_parser("secret", help="print a new whsec_ signing secret").set_defaults(func=cmd_webhooks_secret)

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

    for sub in (check, init, sim, demo, serve, imp, imp_outcomes, rep, box, box_retry, db_check, hook_replay):
        sub.add_argument("--config", default=argparse.SUPPRESS, help="routing config file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `leadrelay simulate … | head`: the reader left, which is fine
        sys.stderr.close()
        return 0
    except ConfigError as exc:  # what only building the service can check: a webhook's secret variable
        print(f"configuration: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
