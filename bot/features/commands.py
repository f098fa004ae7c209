"""Slash commands: `/pto`, `/capacity` (pause and resume too) and `/leads` (`/leads report` for managers),
plus the PTO and capacity modals.

Reps change their own settings; a manager may change those of the reps they manage. Bad arguments
get the usage line, privately, never a stack trace. Dates are read in the rep's own time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.command_args import (
    CapacityRequest,
    PtoRequest,
    UsageError,
    capacity_value,
    check_pto_days,
    parse_capacity,
    parse_pto,
)
from bot.features.common import (
    NOWHERE,
    STRANGER,
    Where,
    modal_rep,
    open_modal,
    picked_date,
    rep_of_modal,
    tell,
    typed,
    where,
)
from bot.features.home import publish_home
from bot.ids import Command, Field, Modal
from bot.render import lists, modals
from bot.render.numbers import summary_text, teams_this_week
from bot.reporting import this_week
from bot.service import Service
from bot.text import mention, truncate
from routing import Window
from routing.availability import capacity_of
from routing.config import Rep


def _today(service: Service, rep: Rep | None) -> date:
    """Today where `rep` is (in UTC for anyone else): the day PTO dates are read against."""
    now = service.clock.now()
    return now.astimezone(rep.tz).date() if rep is not None else now.date()


def pto_window(rep: Rep, first: date, last: date) -> Window:
    """Whole days in the rep's zone: from midnight of `first` to midnight after `last`."""
    start = datetime.combine(first, time(), tzinfo=rep.tz)
    return Window(start, datetime.combine(last + timedelta(days=1), time(), tzinfo=rep.tz))


class _Refusal(Exception):
    """Whom the command may not touch, and why, in words for the person who typed it."""


def _subject(service: Service, actor: str, target_slack: str | None) -> Rep:
    """The rep a command is about: the actor, or the rep they named if they may act for them."""
    if target_slack is None:
        rep_id = actor
    else:
        named = service.people.person(target_slack)
        if named is None:
            raise _Refusal(f"<@{target_slack}> isn't set up in Leadrelay.")
        rep_id = named
    rep = service.config.reps.get(rep_id)
    if rep is None:
        raise _Refusal(
            "PTO and capacity belong to reps; "
            + (
                "you aren't a rep in the routing config."
                if rep_id == actor
                else f"{mention(service.config, rep_id)} isn't one."
            )
        )
    if not service.people.may_act_for(actor, rep.id):
        raise _Refusal(
            f"Only {mention(service.config, rep.id)} or their manager can change that. "
            "Ask their manager if it needs doing."
        )
    return rep


_Request = TypeVar("_Request", PtoRequest, CapacityRequest)
_Read = TypeVar("_Read")


async def _rep_command(
    service: Service, ack: AsyncAck, command: dict[str, Any], parse: Callable[[str, str], _Request]
) -> tuple[str, Rep, _Request] | None:
    """Who sent a `/pto` or `/capacity` command, the rep it is about and what it asks (`parse` reads
    the text for the sender); None once a stranger, a usage error or a refusal is answered in the ack."""
    actor = service.people.person(command["user_id"])
    if actor is None:
        await ack(STRANGER)
        return None
    try:
        request = parse(command.get("text", ""), actor)
        rep = _subject(service, actor, request.target)
    except (UsageError, _Refusal) as problem:
        await ack(str(problem))
        return None
    await ack()
    return actor, rep, request


def register(app: AsyncApp, service: Service) -> None:
    @app.command(Command.PTO)
    async def pto(ack: AsyncAck, command: dict[str, Any]) -> None:
        def parse(text: str, actor: str) -> PtoRequest:
            return parse_pto(text, _today(service, service.config.reps.get(actor)))

        if asked := await _rep_command(service, ack, command, parse):
            actor, rep, request = asked
            await _apply_pto(
                service, actor, rep, request, command["user_id"], where(command), command.get("trigger_id")
            )

    @app.view(Modal.PTO)
    async def submit_pto(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        def days() -> tuple[date, date]:
            first, last = picked_date(view, Field.PTO_START), picked_date(view, Field.PTO_END)
            if first is None or last is None:
                raise UsageError("Pick the first and the last day off.")
            check_pto_days(first, last, _today(service, modal_rep(service, view)))
            return first, last

        if (picked := await _submission(ack, Field.PTO_END, days)) and (
            subject := await rep_of_modal(service, body, view)
        ):
            (first, last), (user, actor, rep) = picked, subject
            await _apply_pto(service, actor, rep, PtoRequest(None, first_day=first, last_day=last), user, NOWHERE, None)

    @app.command(Command.CAPACITY)
    async def capacity(ack: AsyncAck, command: dict[str, Any]) -> None:
        if asked := await _rep_command(service, ack, command, lambda text, _actor: parse_capacity(text)):
            actor, rep, request = asked
            await _apply_capacity(service, actor, rep, request, command["user_id"], where(command))

    @app.view(Modal.CAPACITY)
    async def submit_capacity(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        def value() -> int:
            return capacity_value(typed(view, Field.CAPACITY) or "")

        if (entered := await _submission(ack, Field.CAPACITY, value)) is not None and (
            subject := await rep_of_modal(service, body, view)
        ):
            user, actor, rep = subject
            await _apply_capacity(service, actor, rep, CapacityRequest(None, entered), user, NOWHERE)

    @app.command(Command.LEADS)
    async def leads(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        user = command["user_id"]
        actor = service.people.person(user)
        if actor is not None and (command.get("text") or "").strip().lower() == "report":
            await _report(service, user, actor, where(command))
            return
        if actor is None or actor not in service.config.reps:
            await tell(service, user, STRANGER, at=where(command))
            return
        now = service.clock.now()
        open_offers = await service.views.open_offers_for(actor)
        claimed = await service.views.recent_claims(actor, limit=10)
        with_views = [(offer, await service.views.lead_view(offer.lead_id)) for offer in open_offers]
        claimed_views = [await service.views.lead_view(offer.lead_id) for offer in claimed]
        rendered = lists.leads_list(with_views, claimed_views, service.config, now)
        await tell(service, user, rendered.text, at=where(command), blocks=rendered.blocks)


async def _submission(ack: AsyncAck, field: str, read: Callable[[], _Read]) -> _Read | None:
    """Acknowledge a modal's submission with what `read` found wrong shown under `field` (a UsageError:
    the modal stays open for a fix), or plainly, returning what `read` read."""
    try:
        value = read()
    except UsageError as problem:
        await ack(response_action="errors", errors={field: str(problem)})
        return None
    await ack()
    return value


async def _report(service: Service, user: str, actor: str, at: Where) -> None:
    """`/leads report`: this week's numbers for every team the actor manages, privately."""
    config = service.config
    teams = [team.id for team in config.teams.values() if actor in config.escalation_chain(team.id)]
    if not teams:
        await tell(service, user, "`/leads report` is for managers: you manage no team.", at=at)
        return
    reports = await this_week(service.db, config, teams, service.clock.now())
    blocks = [block.to_dict() for block in teams_this_week(reports, config)]
    text = "; ".join(f"{config.teams[team_id].name}: {summary_text(report)}" for team_id, report in reports)
    await tell(service, user, truncate(text, 500), at=at, blocks=blocks)


async def _apply_pto(
    service: Service,
    actor: str,
    rep: Rep,
    request: PtoRequest,
    user: str,
    at: Where,
    trigger_id: str | None,
) -> None:
    now = service.clock.now()
    if request.clear:
        cleared = (await service.store.clear_pto(rep.id, by=actor, now=now)).cleared
        text = (
            f"Cleared {cleared} PTO window(s) for {mention(service.config, rep.id)}; leads flow again."
            if cleared
            else f"{mention(service.config, rep.id)} had no PTO to clear."
        )
    elif request.first_day is None or request.last_day is None:
        view = modals.pto_modal(rep.id, service.config, _today(service, rep))
        await open_modal(service, user, trigger_id, view, at=at)
        return
    else:
        await service.store.set_pto(rep.id, pto_window(rep, request.first_day, request.last_day), by=actor, now=now)
        backup = f" Leads go to {mention(service.config, rep.backup)} meanwhile." if rep.backup else ""
        days = f"{request.first_day:%a %b} {request.first_day.day}"
        if request.last_day != request.first_day:
            days += f" to {request.last_day:%a %b} {request.last_day.day}"
        text = f"PTO set for {mention(service.config, rep.id)}: {days} ({rep.tz.key}).{backup}"
    await tell(service, user, text, at=at)
    await publish_home(service, rep.id)


async def _apply_capacity(
    service: Service, actor: str, rep: Rep, request: CapacityRequest, user: str, at: Where
) -> None:
    now = service.clock.now()
    if request.value is not None:
        await service.store.set_capacity(rep.id, request.value, by=actor, now=now)
    if request.paused is not None:
        await service.store.set_paused(rep.id, request.paused, by=actor, now=now)
    state = (await service.store.load_routing_state(now)).rep(rep.id)
    limit = capacity_of(rep, state)
    verb = "is now" if request.value is not None else "is"
    leads = "lead" if limit == 1 else "leads"
    text = (
        f"{mention(service.config, rep.id)}'s capacity {verb} {limit} open {leads}; "
        f"{state.open_load}/{limit} in use right now."
    )
    if state.paused:
        text += " Paused: no new leads until `/capacity resume`; open offers stay with them."
    elif request.paused is False:
        text += " Taking new leads again."
    elif request.value is not None and state.open_load > limit:
        text += " No new leads until some close."
    await tell(service, user, text, at=at)
    await publish_home(service, rep.id)
