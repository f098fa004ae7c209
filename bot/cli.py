"""The `leadrelay` command line. Each sub-command is a thin shell around a module that does the work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from routing import ConfigError, RoutingConfig, load_config
from routing.lint import warnings
from routing.schedule import parse_duration

DEFAULT_CONFIG = "leadrelay.yml"


def _config_path(args: argparse.Namespace) -> str:
    return str(args.config or os.environ.get("LEADRELAY_CONFIG") or DEFAULT_CONFIG)


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
        f"{len(config.rules)} rules, {len(config.sla)} SLA policies"
        + (f", {len(found)} warning(s)" if found else "")
    )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot import simulate

    config = _load(args)
    path = Path(args.leads)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    try:
        claim_after = parse_duration(args.claim_after) if args.claim_after else None
    except ValueError as exc:
        print(f"--claim-after: {exc}", file=sys.stderr)
        return 2
    return simulate.run(
        path, config, as_json=args.json, claim_after=claim_after, out=sys.stdout, err=sys.stderr
    )


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
    for sub in (check, sim):
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
