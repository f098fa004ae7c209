"""Escalation posts in a team's channel: **Take** (the clicker claims the lead) and **Assign…** (a manager
picks a rep in a modal)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.features.common import (
    FORM_OUT_OF_DATE,
    LEAD_GONE,
    STRANGER,
    Click,
    modal_target,
    on_click,
    open_modal,
    selected,
    tell,
)
from bot.features.offers import refusal_text, tell_lost_click
from bot.ids import Action, Field, Modal
from bot.render import modals
from bot.service import Service
from bot.text import mention
from storage.errors import NotFound, Refused


def register(app: AsyncApp, service: Service) -> None:
    @on_click(app, service, Action.TAKE)
    async def take(click: Click) -> None:
        try:
            await service.store.take(click.target, by=click.person, now=service.clock.now())
        except (Refused, NotFound) as error:
            await tell_lost_click(service, error, click.user, click.at)

    @on_click(app, service, Action.ASSIGN)
    async def open_assign(click: Click) -> None:
        user, person, lead_id = click.user, click.person, click.target
        if not service.people.is_manager(person):
            await tell(
                service,
                user,
                "Only a manager can assign a lead to someone else; use Take to take it yourself.",
                at=click.at,
            )
            return
        try:
            view = await service.views.lead_view(lead_id)
        except NotFound:
            await tell(service, user, LEAD_GONE, at=click.at)
            return
        modal = modals.assign_modal(view, service.config)
        await open_modal(service, user, click.trigger_id, modal, at=click.at)

    @app.view(Modal.ASSIGN)
    async def submit_assign(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        picked = selected(view, Field.ASSIGNEE)
        if picked is None or picked not in service.config.reps:
            await ack(response_action="errors", errors={Field.ASSIGNEE: "Pick a rep."})
            return
        await ack()
        user = body["user"]["id"]
        person, lead_id = service.people.person(user), modal_target(view)
        if person is None or not service.people.is_manager(person):
            await tell(service, user, STRANGER)
            return
        if lead_id is None:
            await tell(service, user, FORM_OUT_OF_DATE)
            return
        try:
            result = await service.store.assign(lead_id, by=person, prefer_rep=picked, now=service.clock.now())
        except (Refused, NotFound) as error:
            await tell(service, user, await refusal_text(service, error))
            return
        if result.offer is not None and result.offer.rep_id != picked:
            await tell(
                service,
                user,
                f"{mention(service.config, picked)} can't take it right now, so it went to "
                f"{mention(service.config, result.offer.rep_id)}: {result.decision.summary}",
            )
