"""Who and where the config names, checked against the Slack workspace the token belongs to.

`verify_identities` calls `auth.test` (the token works, and for which workspace and bot user), then
resolves every person and every team channel:

- a person by `slack_id` (`users.info`) or, without one, by `email` (`users.lookupByEmail`): they
  must exist, not be deactivated and not be a bot;
- a team channel by id (`conversations.info`) or, written as a name, by name (`conversations.list`,
  whose answer gives the id to write instead): it must exist and not be archived, and the bot must be
  a member: a public channel is joined (`conversations.join`), a private one needs someone to invite
  the bot, and the finding says so.

Each check is one `Finding`, with the fix in words when it failed. Nothing here raises for what Slack
answers: a Slack problem is a finding. `serve` runs it at start and periodically; `leadrelay check
--slack` prints it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bot.slack import Slack, SlackProblem
from routing import RoutingConfig
from routing.config import Manager, Rep

CHANNEL_ID: Final = re.compile(r"^[CG][A-Z0-9]{2,}$")
BOT_NAME: Final = "Leadrelay"
_TOKEN_FIX: Final = (
    "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from api.slack.com/apps → your app → "
    "OAuth & Permissions, and reinstall the app if it was revoked"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One checked identity: `subject` names it as the config does ("person alice", "team sales's
    channel"), `detail` says what Slack has, `fix` (when not `ok`) what to do about it."""

    subject: str
    ok: bool
    detail: str
    fix: str | None = None

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.subject}: {self.detail}" + (f" — {self.fix}" if self.fix else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityReport:
    """What `verify_identities` found. `slack_ids` maps person id → Slack user id for everyone who
    resolved, by id or by email; `channel_ids` maps team id → channel id for every usable channel."""

    workspace: str | None
    findings: tuple[Finding, ...]
    slack_ids: Mapping[str, str] = field(default_factory=dict)
    channel_ids: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(finding.ok for finding in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if not finding.ok)


async def verify_identities(config: RoutingConfig, slack: Slack) -> IdentityReport:
    """Check the token, then every person and team channel in `config` (see the module docstring)."""
    try:
        auth = await slack.call("auth.test")
    except SlackProblem as exc:
        token = Finding(subject="token", ok=False, detail=f"Slack refused it ({exc.code})", fix=_TOKEN_FIX)
        return IdentityReport(workspace=None, findings=(token,))
    workspace = str(auth.get("team") or auth.get("team_id") or "?")
    findings = [Finding(subject="token", ok=True, detail=f"bot user {auth.get('user_id')} in workspace {workspace}")]
    slack_ids: dict[str, str] = {}
    everyone: list[Rep | Manager] = [*config.reps.values(), *config.managers.values()]
    for person in everyone:
        finding, slack_id = await _check_person(slack, person)
        findings.append(finding)
        if slack_id is not None:
            slack_ids[person.id] = slack_id
    channel_ids: dict[str, str] = {}
    channels: dict[str, str] = {}  # channel as configured → the first team naming it
    for team in config.teams.values():
        if team.channel is not None:
            channels.setdefault(team.channel, team.id)
    for configured, team_id in channels.items():
        finding, channel_id = await _check_channel(slack, configured, team_id)
        findings.append(finding)
        if channel_id is not None:
            for team in config.teams.values():
                if team.channel == configured:
                    channel_ids[team.id] = channel_id
    return IdentityReport(workspace=workspace, findings=tuple(findings), slack_ids=slack_ids, channel_ids=channel_ids)


async def _check_person(slack: Slack, person: Rep | Manager) -> tuple[Finding, str | None]:
    subject = f"person {person.id}"
    if person.slack_id:
        try:
            user = (await slack.call("users.info", user=person.slack_id))["user"]
        except SlackProblem as exc:
            fix = "check the id: in Slack, open their profile → ⋮ → Copy member ID" + (
                f", or write `email: {person.email}` instead" if person.email else ", or give their `email:` instead"
            )
            return _failed(subject, f"slack_id {person.slack_id}: {exc.code}", fix)
        how = f"slack_id {person.slack_id}"
    elif person.email:
        try:
            user = (await slack.call("users.lookupByEmail", email=person.email))["user"]
        except SlackProblem as exc:
            fix = "use the email they sign in to Slack with, or give their `slack_id:`"
            return _failed(subject, f"no Slack user by their email ({exc.code})", fix)
        how = f"by email, Slack id {user.get('id')}"
    else:
        fix = "give them a `slack_id:` or an `email:` so Leadrelay can DM them"
        return _failed(subject, "no slack_id and no email", fix)
    problem = _unusable_user(user)
    if problem is not None:
        return _failed(subject, f"{how}: {problem}", "point them at an active person")
    name = user.get("real_name") or user.get("name") or ""
    return Finding(subject=subject, ok=True, detail=f"{how} ({name})"), str(user["id"])


def _failed(subject: str, detail: str, fix: str) -> tuple[Finding, None]:
    return Finding(subject=subject, ok=False, detail=detail, fix=fix), None


def _unusable_user(user: Mapping[str, Any]) -> str | None:
    if user.get("deleted"):
        return "deactivated in Slack"
    if user.get("is_bot") or user.get("is_app_user"):
        return "a bot, not a person"
    return None


async def _check_channel(slack: Slack, configured: str, team_id: str) -> tuple[Finding, str | None]:
    subject = f"team {team_id}'s channel {configured}"
    if CHANNEL_ID.match(configured):
        try:
            channel = (await slack.call("conversations.info", channel=configured))["channel"]
        except SlackProblem as exc:
            fix = (
                "check the id (channel details → About, at the bottom); if it is private, invite the bot: "
                f"/invite @{BOT_NAME} in the channel"
            )
            return _failed(subject, exc.code, fix)
    else:
        try:
            channel = await channel_named(slack, configured.removeprefix("#"))
        except SlackProblem as exc:
            fix = "write the channel's id instead (channel details → About, at the bottom)"
            return _failed(subject, f"is a name, and looking it up failed ({exc.code})", fix)
        if channel is None:
            fix = f"check the name; if it is private, /invite @{BOT_NAME} there first"
            return _failed(subject, "no channel by that name the bot can see", fix)
        fix = f"write `channel: {channel['id']}` (names change, ids do not)"
        return _failed(subject, f"is a name; its id is {channel['id']}", fix)
    name = f"#{channel.get('name')}"
    if channel.get("is_archived"):
        return _failed(subject, f"{name} is archived", "unarchive it or name another")
    if not channel.get("is_member"):
        if channel.get("is_private"):
            fix = f"invite the bot: /invite @{BOT_NAME} in {name}"
            return _failed(subject, f"{name} is private and the bot is not in it", fix)
        try:
            await slack.call("conversations.join", channel=channel["id"])
        except SlackProblem as exc:
            fix = f"invite the bot: /invite @{BOT_NAME} in {name}"
            return _failed(subject, f"could not join {name} ({exc.code})", fix)
        return Finding(subject=subject, ok=True, detail=f"{name}, joined it just now"), str(channel["id"])
    return Finding(subject=subject, ok=True, detail=f"{name}, the bot is a member"), str(channel["id"])


async def channel_named(slack: Slack, name: str) -> dict[str, Any] | None:
    """The channel called `name` that the bot can see (public ones, and private ones it is in), as
    conversations.list shows it; None if there is none. Raises SlackProblem when Slack fails."""
    for channel in await _all_channels(slack):
        if channel.get("name") == name:
            return channel
    return None


async def _all_channels(slack: Slack) -> list[dict[str, Any]]:
    channels: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = await slack.call(
            "conversations.list",
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=200,
            cursor=cursor,
        )
        channels.extend(page.get("channels") or [])
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return channels


def lines(report: IdentityReport) -> Iterator[str]:
    """The report as `leadrelay check --slack` prints it: one line per finding, then a summary."""
    for finding in report.findings:
        yield finding.line()
    problems = len(report.problems)
    where = f" in {report.workspace}" if report.workspace else ""
    yield f"Slack{where}: " + ("everything resolves" if not problems else f"{problems} problem(s) to fix")
