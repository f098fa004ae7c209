"""The App Home tab: a rep's status, quick settings and leads; a manager's teams and waiting leads.

`HomeData` is what one publish needs, read from storage just before (`Views.rep_runtime`,
`Views.open_offers_for` with `Views.lead_view`, `Views.recent_claims`, `Views.unclaimed_for_team`, and
the reps' open loads); `home_view` turns it into a ``views.publish`` payload. `rep_status` is the one
status line, shared with ``/capacity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.ids import Action
from bot.render.kit import button, context, lead_actions, lead_line, packed, section, state_phrase
from bot.render.lists import claimed_blocks, offer_row
from bot.render.numbers import teams_this_week
from bot.text import duration, escape, mention, slack_date, truncate
from reports.numbers import Report
from routing import RepState, RoutingConfig
from routing.availability import LocalClock, capacity_of, unavailable
from routing.config import Rep, Team
from storage.model import LeadRecord, LeadState, LeadView, Offer, RepRuntime

__all__ = ["HomeData", "home_view", "rep_status"]

_OFFERS_SHOWN = 10  # two blocks each
_CLAIMED_SHOWN = 10
_TEAM_SECTIONS = 25
_UNCLAIMED_SHOWN = 10  # two blocks each
_WITHIN_SLA_SHOWN = 5  # one block each: they are with a rep, nothing to press yet
_WEEK_TEAMS = 3  # up to four blocks each


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeData:
    """What the App Home shows one person.

    `person_id` is the viewer's config id: a rep, a manager (someone in a team's escalation chain),
    or both. `runtimes` and `loads` (open leads) are keyed by rep id and cover the viewer and, for a
    manager, the reps of their teams; a missing rep has no runtime changes and no open leads.
    `offers` are the viewer's open offers with their leads, due first first; `claimed` the leads they
    claimed recently, newest first; `unclaimed` (managers) their teams' leads nobody owns yet, oldest
    first; `held` (managers) their teams' leads held for the first shift, with when each is released. `this_week`
    (managers) their teams' numbers since the start of the week.
    """

    person_id: str
    runtimes: Mapping[str, RepRuntime] = field(default_factory=dict)
    loads: Mapping[str, int] = field(default_factory=dict)
    offers: tuple[tuple[Offer, LeadView], ...] = ()
    claimed: tuple[LeadRecord, ...] = ()
    unclaimed: tuple[LeadRecord, ...] = ()
    held: tuple[tuple[LeadRecord, datetime], ...] = ()
    this_week: tuple[tuple[str, Report], ...] = ()  # (team id, its numbers this week so far), managers only


def rep_status(rep: Rep, runtime: RepRuntime | None, load: int, now: datetime) -> str:
    """A rep's availability at `now` in one mrkdwn line, e.g. "🟢 available · 3/10 open".

    The reason comes from the engine's own check (`routing.availability.unavailable`), so the line
    says what routing would decide: inactive, paused, on PTO, at capacity or off hours (with when the
    rep is back, as a Slack date); then the load against the capacity (the override if set) and the
    start of the next PTO still to come. Cleared PTO is ignored.
    """
    windows = tuple(
        sorted((r.window for r in runtime.pto if r.cleared_at is None), key=lambda window: window.start)
        if runtime is not None
        else ()
    )
    state = RepState(
        open_load=load,
        pto=windows,
        capacity_override=runtime.capacity_override if runtime is not None else None,
        paused=runtime is not None and runtime.paused,
    )
    why = unavailable(rep, state, LocalClock(now), frozenset())
    if why is None:
        line = "🟢 available"
    elif why.code == "inactive":
        return "⚪ inactive"
    elif why.code == "off_hours":
        back = rep.hours.next_open(now, rep.tz)
        line = f"🌙 off hours, back {slack_date(back)}" if back else "🌙 off hours"
    elif why.code == "pto":
        line = f"🌴 {escape(why.text)}"
    elif why.code == "paused":
        line = "⏸️ paused (`/capacity resume` to take leads)"
    else:  # the load is shown next; any other reason (the daily cap) as the engine words it
        line = "⛔ at capacity" if why.code == "at_capacity" else f"⛔ {escape(why.text)}"
    line += f" · {load}/{capacity_of(rep, state)} open"
    upcoming = next((window for window in windows if window.start > now), None)
    if upcoming is not None:
        local = upcoming.start.astimezone(rep.tz)
        line += f" · PTO from {local:%a %b} {local.day}"
    return line


def home_view(data: HomeData, config: RoutingConfig, now: datetime) -> dict[str, Any]:
    """The ``views.publish`` payload (type "home", at most 100 blocks) for `data.person_id`.

    A rep sees their status, buttons to set PTO and capacity, their open offers (at most 10, each
    with working Accept / Reassign buttons) and what they claimed recently. A manager also sees the
    availability of every rep in the teams whose escalation chain includes them, then the leads
    nobody owns in two lists: escalated or queued ones (at most 10) with **Take** and **Assign…**, and
    those still offered within their SLA (at most 5), for watching, then this week's numbers for up to three of
    their teams. Anyone else is told they are not
    set up yet. Every list says how many it left out.
    """
    person = data.person_id
    rep = config.reps.get(person)
    teams = [team for team in config.teams.values() if person in config.escalation_chain(team.id)]
    known = person in config.reps or person in config.managers
    greeting = f"Hi {truncate(escape(config.person_name(person)), 140)}" if known else "Welcome to Leadrelay"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=greeting, emoji=True))]
    if rep is None and not teams:
        blocks.append(section("You're not set up in Leadrelay yet. Ask your admin to add you to the routing config."))
    if rep is not None:
        status = rep_status(rep, data.runtimes.get(rep.id), data.loads.get(rep.id, 0), now)
        blocks.append(section(f"*Your status:* {status}"))
    settings = [button("Set PTO…", Action.HOME_PTO), button("Set capacity…", Action.HOME_CAPACITY)]
    refresh = button("Refresh", Action.HOME_REFRESH)
    blocks.append(ActionsBlock(elements=[*settings, refresh] if rep else [refresh]))
    if rep is not None:
        blocks += _rep_blocks(data, now)
    if teams:
        blocks += _manager_blocks(data, config, teams, now)
    if data.this_week:
        blocks += [DividerBlock(), *teams_this_week(data.this_week[:_WEEK_TEAMS], config)]
    return View(type="home", blocks=blocks).to_dict()


def _rep_blocks(data: HomeData, now: datetime) -> list[Block]:
    count = len(data.offers)
    title = f"*Open offers ({count})*" if count else "No open offers."
    blocks: list[Block] = [DividerBlock(), section(title)]
    for offer, view in data.offers[:_OFFERS_SHOWN]:
        blocks += offer_row(offer, view, now)
    if count > _OFFERS_SHOWN:
        blocks.append(context(f"+{count - _OFFERS_SHOWN} more: use /leads"))
    return blocks + claimed_blocks(data.claimed, _CLAIMED_SHOWN)


def _manager_blocks(data: HomeData, config: RoutingConfig, teams: list[Team], now: datetime) -> list[Block]:
    lines: list[str] = []
    for team in teams:
        manager = f" · {mention(config, team.manager)}" if team.manager else ""
        lines.append(f"*{escape(team.name)}*{manager}")
        for rep_id in team.members:
            status = rep_status(config.reps[rep_id], data.runtimes.get(rep_id), data.loads.get(rep_id, 0), now)
            lines.append(f"• {mention(config, rep_id)} — {status}")
    sections = packed(lines)
    blocks: list[Block] = [DividerBlock(), section("*Your teams*"), *sections[:_TEAM_SECTIONS]]
    if len(sections) > _TEAM_SECTIONS:
        blocks.append(context("More reps than fit here."))
    waiting = list({record.id: record for record in data.unclaimed}.values())
    # What needs a manager now (escalated: offers ran out; queued: nobody could take it) apart from what
    # is still with a rep inside its SLA, which only needs watching.
    late = [record for record in waiting if record.state is not LeadState.ASSIGNED]
    within = [record for record in waiting if record.state is LeadState.ASSIGNED]
    title = f"*Needs you: escalated or past its SLA ({len(late)})*" if late else "Nothing is past its SLA."
    blocks += [DividerBlock(), section(title)]
    for record in late[:_UNCLAIMED_SHOWN]:
        blocks += [section(_waiting_line(record, config, now)), lead_actions(record.id)]
    if len(late) > _UNCLAIMED_SHOWN:
        blocks.append(context(f"+{len(late) - _UNCLAIMED_SHOWN} more"))
    if within:
        blocks += [DividerBlock(), section(f"*Offered, within their SLA ({len(within)})*")]
        blocks += [section(_waiting_line(record, config, now)) for record in within[:_WITHIN_SLA_SHOWN]]
        if len(within) > _WITHIN_SLA_SHOWN:
            blocks.append(context(f"+{len(within) - _WITHIN_SLA_SHOWN} more"))
    if data.held:
        blocks += [DividerBlock(), section(f"*Held for the first shift ({len(data.held)})*")]
        for record, release_at in data.held[:_UNCLAIMED_SHOWN]:
            line = f"{lead_line(record)}\nnobody at work: held until {slack_date(release_at)}, then routed"
            # Assign only: nobody can take a lead that was never offered (storage refuses it).
            assign = ActionsBlock(
                block_id=f"lead_{record.id}", elements=[button("Assign now…", Action.ASSIGN, str(record.id))]
            )
            blocks += [section(line), assign]
        if len(data.held) > _UNCLAIMED_SHOWN:
            blocks.append(context(f"+{len(data.held) - _UNCLAIMED_SHOWN} more"))
    return blocks


def _waiting_line(record: LeadRecord, config: RoutingConfig, now: datetime) -> str:
    lead_team = config.teams.get(record.team_id) if record.team_id else None
    where = f" · {escape(lead_team.name)}" if lead_team else ""
    return f"{lead_line(record)}{where}\n{state_phrase(record.state)}, waiting {duration(now - record.received_at)}"
