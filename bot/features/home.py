"""The App Home tab: published when it is opened, after a rep changes their settings, and (through
`bot.home_refresher`) shortly after any delivered message changes what it shows."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.features.common import STRANGER, open_modal, tell
from bot.ids import Action
from bot.render import modals
from bot.render.home import HomeData, home_view
from bot.reporting import this_week
from bot.service import Service
from bot.slack import SlackProblem
from routing.availability import capacity_of
from routing.config import Rep

log = logging.getLogger(__name__)


async def home_data(service: Service, person: str) -> HomeData:
    """Read everything the person's Home shows: their own standing, and for a manager, their teams'."""
    config, views, now = service.config, service.views, service.clock.now()
    teams = [team for team in config.teams.values() if person in config.escalation_chain(team.id)]
    reps = {person} & config.reps.keys() | {rep for team in teams for rep in team.members}
    state = await service.store.load_routing_state(now)
    runtimes = {rep: await views.rep_runtime(rep, now) for rep in sorted(reps)}
    offers = await views.open_offers_for(person) if person in config.reps else []
    claimed = await views.recent_claims(person, limit=10) if person in config.reps else []
    unclaimed = [lead for team in teams for lead in await views.unclaimed_for_team(team.id)]
    # Every lead shown, in one batched read (three queries), not four queries per lead.
    shown = {view.lead.id: view for view in await views.lead_views([o.lead_id for o in [*offers, *claimed]])}
    held = [entry for team in teams for entry in await views.held_for_team(team.id)]
    return HomeData(
        person_id=person,
        runtimes=runtimes,
        loads={rep: state.rep(rep).open_load for rep in reps},
        offers=tuple((offer, shown[offer.lead_id]) for offer in offers),
        claimed=tuple(shown[offer.lead_id].lead for offer in claimed),
        unclaimed=tuple(sorted(unclaimed, key=lambda lead: lead.received_at)),
        held=tuple(sorted(held, key=lambda entry: entry[1])),
        this_week=tuple(await this_week(service.db, config, [team.id for team in teams], now)),
    )


async def publish_home(service: Service, person: str) -> None:
    """Publish `person`'s Home. Best effort: the Home is a view of the database, rebuilt on next open."""
    slack_id = service.people.slack_id(person)
    if slack_id is None:
        return
    try:
        data = await home_data(service, person)
        await service.slack.call(
            "views.publish", user_id=slack_id, view=home_view(data, service.config, service.clock.now())
        )
    except SlackProblem as exc:
        log.warning("could not publish the Home of %s: %s", person, exc)


async def _clicking_rep(service: Service, body: dict[str, Any]) -> Rep | None:
    """The rep who clicked a Home button; None (after telling them) for anyone else."""
    user = body["user"]["id"]
    rep = service.config.reps.get(service.people.person(user) or "")
    if rep is None:
        await tell(service, user, STRANGER)
    return rep


def register(app: AsyncApp, service: Service) -> None:
    service.homes.publish = lambda person: publish_home(service, person)

    @app.event("app_home_opened")
    async def opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        person = service.people.person(event["user"])
        if person is None:  # a stranger's Home says how to get set up; best effort, like every Home
            view = home_view(HomeData(person_id=event["user"]), service.config, service.clock.now())
            try:
                await service.slack.call("views.publish", user_id=event["user"], view=view)
            except SlackProblem as exc:
                log.warning("could not publish a stranger's Home: %s", exc)
            return
        service.homes.opened(person)
        await publish_home(service, person)

    @app.action(Action.HOME_REFRESH)
    async def refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        person = service.people.person(body["user"]["id"])
        if person is not None:
            service.homes.opened(person)
            await publish_home(service, person)

    @app.action(Action.HOME_PTO)
    async def pto(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        rep = await _clicking_rep(service, body)
        if rep is None:
            return
        today = service.clock.now().astimezone(rep.tz).date()
        modal = modals.pto_modal(rep.id, service.config, today)
        await open_modal(service, body["user"]["id"], body.get("trigger_id"), modal)

    @app.action(Action.HOME_CAPACITY)
    async def capacity(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        rep = await _clicking_rep(service, body)
        if rep is None:
            return
        state = (await service.store.load_routing_state(service.clock.now())).rep(rep.id)
        current = capacity_of(rep, state)
        modal = modals.capacity_modal(rep.id, service.config, current, state.open_load)
        await open_modal(service, body["user"]["id"], body.get("trigger_id"), modal)
