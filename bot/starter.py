"""`leadrelay init`: a commented starter `leadrelay.yml`, with placeholder reps or a Slack channel's members.

`starter_yaml` renders the file (pure); `channel_members` reads a channel's human members from Slack
(`conversations.members`, then `users.info` for each: name, email, time zone), skipping bots, the
deactivated and anyone whose profile Slack will not show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.identities import CHANNEL_ID, channel_named
from bot.slack import Slack, SlackProblem


@dataclass(frozen=True, slots=True, kw_only=True)
class StarterRep:
    id: str
    name: str
    slack_id: str | None = None
    email: str | None = None
    timezone: str | None = None


PLACEHOLDER_REPS = (
    StarterRep(id="rep-one", name="Rep One", email="rep.one@example.com"),
    StarterRep(id="rep-two", name="Rep Two", email="rep.two@example.com"),
)


class ChannelNotFound(LookupError):
    """The channel named for `init --from-slack` is not one the bot can see."""


def _q(text: str) -> str:
    """A YAML scalar: JSON strings are valid YAML, and quote whatever needs it."""
    return json.dumps(text, ensure_ascii=False)


def starter_yaml(reps: Sequence[StarterRep], *, channel: str | None) -> str:
    """The starter config: `reps` in one round-robin team (escalating to `channel` if given), one
    catch-all rule, a one-hour SLA and the team as fallback. It passes `leadrelay check` as written."""
    lines = [
        "# Leadrelay routing config, written by `leadrelay init`. Every key is explained in",
        "# examples/leadrelay.yml; this is the smallest config that routes.",
        "#",
        "# Next: fill in the people, then",
        "#   leadrelay check            # the file itself",
        "#   leadrelay check --slack    # every person and channel, in your Slack workspace",
        "#   leadrelay serve            # run it",
        "",
        "timezone: UTC                      # for anyone without a timezone of their own",
        'working_hours: ["mon-fri 09:00-17:00"]   # in each rep\'s own time zone',
        "",
        "# Who leads go to. Give each a slack_id (profile → ⋮ → Copy member ID) or the email they sign in",
        "# to Slack with; `leadrelay check --slack` finds them either way.",
        "reps:",
    ]
    for rep in reps:
        lines.append(f"  - id: {rep.id}")
        lines.append(f"    name: {_q(rep.name)}")
        if rep.slack_id:
            lines.append(f"    slack_id: {rep.slack_id}")
        if rep.email:
            lines.append(f"    email: {_q(rep.email)}")
        if rep.timezone:
            lines.append(f"    timezone: {rep.timezone}")
        lines.append("    capacity: 20                   # open leads at once")
    lines += [
        "",
        "# Managers hear about leads nobody takes. Uncomment and fill in, then add `manager: lead` to the team.",
        "# managers:",
        "#   - {id: lead, name: Sales Lead, email: lead@example.com}",
        "",
        "teams:",
        "  - id: sales",
        "    name: Sales",
        f"    members: [{', '.join(rep.id for rep in reps)}]",
        "    strategy: round_robin",
    ]
    if channel:
        lines.append(f"    channel: {channel}              # escalations go here; the bot must be a member")
    else:
        lines.append(
            "    # channel: C0123456789        # escalations: the channel's id (details → About); invite the bot"
        )
    lines += [
        "",
        "rules:                             # first match wins",
        "  - name: everyone",
        "    route: {team: sales}",
        "",
        "sla:                               # how long a rep has to accept a lead",
        "  - {name: standard, within: 1h}",
        "",
        "fallback: {team: sales}",
        "",
    ]
    return "\n".join(lines)


async def channel_members(slack: Slack, channel: str) -> tuple[str, list[StarterRep]]:
    """The channel's id and its human members as reps, in Slack's order. Raises ChannelNotFound for a
    channel the bot cannot see, SlackProblem when Slack fails."""
    if CHANNEL_ID.match(channel):
        channel_id = channel
    else:
        found = await channel_named(slack, channel.removeprefix("#"))
        if found is None:
            raise ChannelNotFound(channel)
        channel_id = str(found["id"])
    member_ids: list[str] = []
    cursor = ""
    while True:
        try:
            page = await slack.call("conversations.members", channel=channel_id, limit=200, cursor=cursor)
        except SlackProblem as exc:
            if exc.code == "channel_not_found":
                raise ChannelNotFound(channel) from exc
            raise
        member_ids += [str(member) for member in page.get("members") or []]
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    reps: list[StarterRep] = []
    taken: set[str] = set()
    for member in member_ids:
        try:
            user = (await slack.call("users.info", user=member))["user"]
        except SlackProblem:
            continue
        if user.get("deleted") or user.get("is_bot") or user.get("is_app_user"):
            continue
        profile = user.get("profile") or {}
        reps.append(
            StarterRep(
                id=_unique_id(str(user.get("name") or member), taken),
                name=str(user.get("real_name") or profile.get("real_name") or user.get("name") or member),
                slack_id=str(user["id"]),
                email=profile.get("email"),
                timezone=user.get("tz"),
            )
        )
    return channel_id, reps


def _unique_id(handle: str, taken: set[str]) -> str:
    """A config id from a Slack handle: lower-case letters, digits, `.`, `_` and `-`, unique in `taken`."""
    base = re.sub(r"[^a-z0-9_.-]+", "-", handle.lower()).strip("-._") or "rep"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate
