"""`leadrelay check` and `leadrelay init`, and reading the config file every command starts from."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.identities import CHANNEL_ID
from bot.settings import SettingsError, SlackAccess
from routing import ConfigError, RoutingConfig, load_config
from routing.lint import warnings

if TYPE_CHECKING:
    from bot.starter import StarterRep

DEFAULT_CONFIG = "leadrelay.yml"
_START_HERE = (
    "Run `leadrelay init` to write a starter config, or `leadrelay init --from-slack CHANNEL` to fill in "
    "that channel's members as reps; then `leadrelay check`."
)


def config_path(args: argparse.Namespace) -> str:
    return str(args.config or os.environ.get("LEADRELAY_CONFIG") or DEFAULT_CONFIG)


def load(args: argparse.Namespace) -> RoutingConfig:
    return load_file(config_path(args))


def load_file(path: str) -> RoutingConfig:
    """The config at `path`; exits 2 listing every problem."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"{path}: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check(args: argparse.Namespace) -> int:
    path = config_path(args)
    if not Path(path).exists():
        print(f"{path}: no such file. {_START_HERE}", file=sys.stderr)
        return 2
    config = load(args)
    found = warnings(config) + _unset_secrets(config)
    for warning in found:
        print(f"warning: {warning}")
    if args.slack or args.crm:
        codes = ([_check_slack(config)] if args.slack else []) + ([_check_crm(config)] if args.crm else [])
        return max(codes)
    named = channel_names(config)
    for problem in named:
        print(f"error: {problem}", file=sys.stderr)
    if named:
        return 2
    print(
        f"{path}: OK — {len(config.reps)} reps, {len(config.teams)} teams, "
        f"{len(config.rules)} rules, {len(config.sla)} SLA policies" + (f", {len(found)} warning(s)" if found else "")
    )
    return 0


def _unset_secrets(config: RoutingConfig) -> list[str]:
    """A warning for each webhook whose secret variable is not set here: the file is valid without it
    (CI checks it), but `serve` will not start."""
    return [
        f"webhooks[{index}].secret_env: {hook.secret_env} is not set here; `leadrelay serve` needs it "
        "(`leadrelay webhooks secret` prints a new one)"
        for index, hook in enumerate(config.webhooks)
        if not os.environ.get(hook.secret_env)
    ]


def channel_names(config: RoutingConfig) -> list[str]:
    """A problem for each team channel written as a name: Slack ids never change, names do, and the
    sender addresses channels by id."""
    return [
        f"teams[{index}].channel: {team.channel!r} is not a channel id (C…); run `leadrelay check --slack` "
        "to print the id to write, or copy it from the channel's details (About, at the bottom)"
        for index, team in enumerate(config.teams.values())
        if team.channel is not None and not CHANNEL_ID.match(team.channel)
    ]


def _check_slack(config: RoutingConfig) -> int:
    """Every person and channel against the workspace (bot.identities); 1 if anything needs fixing."""
    from bot.identities import lines, verify_identities
    from bot.metrics import Metrics
    from bot.slack import Slack, make_client

    access = _slack_access()

    async def run() -> bool:
        slack = Slack(make_client(access.bot_token, access.api_url), Metrics())
        try:
            report = await verify_identities(config, slack)
        finally:
            await slack.close()
        for line in lines(report):
            print(line)
        return report.ok

    return 0 if asyncio.run(run()) else 1


def _check_crm(config: RoutingConfig) -> int:
    """The CRM's token and scopes, and every rep resolved to a CRM user (connectors.crm.check); 1 if
    anything is missing, 2 if there is no CRM to check."""
    from connectors.crm.check import check_crm
    from connectors.crm.factory import open_crm

    if config.crm is None:
        print("error: the config has no `crm:` section to check", file=sys.stderr)
        return 2
    try:
        api = open_crm(config.crm, os.environ)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    found = check_crm(api, config)
    for person_id, user in sorted(found.users.items()):
        print(f"ok: {person_id} is {api.name} user {user}")
    for problem in found.problems:
        print(f"missing: {problem}")
    if found.problems:
        print(f"{api.name}: {len(found.problems)} problem(s); owners cannot be written for what is missing")
        return 1
    print(f"{api.name}: OK — the token holds every scope, and all {len(found.users)} people have a user")
    return 0


def _slack_access() -> SlackAccess:
    try:
        return SlackAccess.from_env(os.environ)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def cmd_init(args: argparse.Namespace) -> int:
    from bot.starter import PLACEHOLDER_REPS, starter_yaml

    path = Path(config_path(args))
    if path.exists():
        print(f"{path} exists already; init never overwrites it. Edit it, or pass --config NEW_FILE.", file=sys.stderr)
        return 2
    if args.from_slack:
        found = _members_from_slack(args.from_slack)
        if found is None:
            return 2
        channel, reps = found
        text = starter_yaml(reps, channel=channel)
        what = f"{len(reps)} rep(s) from {args.from_slack}"
    else:
        text, what = starter_yaml(PLACEHOLDER_REPS, channel=None), "two placeholder reps"
    path.write_text(text)
    print(f"wrote {path} with {what}. Review it, then run `leadrelay check` and `leadrelay check --slack`.")
    return 0


def _members_from_slack(channel: str) -> tuple[str, list[StarterRep]] | None:
    """The channel's id and members as reps; None (after saying why) when Slack cannot give them."""
    from bot.metrics import Metrics
    from bot.slack import Slack, SlackProblem, make_client
    from bot.starter import ChannelNotFound, channel_members

    access = _slack_access()

    async def run() -> tuple[str, list[StarterRep]] | None:
        slack = Slack(make_client(access.bot_token, access.api_url), Metrics())
        try:
            return await channel_members(slack, channel)
        except ChannelNotFound:
            print(f"{channel}: no such channel the bot can see; if it is private, /invite @Leadrelay there first")
        except SlackProblem as exc:
            print(f"Slack refused to list {channel}: {exc.code}", file=sys.stderr)
        finally:
            await slack.close()
        return None

    return asyncio.run(run())
