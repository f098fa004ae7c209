"""Offers: **Accept** claims the lead; **Reassign…** asks why in a modal and routes it onward.

Clicks are acknowledged first (Slack's 3-second budget), then the conditional transition runs. The
DM itself is rewritten through the outbox ("Accepted by you at …"), so every copy of the story agrees.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.features.common import (
    FORM_OUT_OF_DATE,
    LEAD_GONE,
    STRANGER,
    Click,
    Where,
    modal_target,
    on_click,
    open_modal,
    selected,
    tell,
    typed,
)
from bot.ids import REASSIGN_REASONS, Action, Field, Modal
from bot.render import modals
from bot.service import Service
from bot.text import mention, slack_date
from storage.errors import AlreadyClaimed, NotFound, NotYourOffer, OfferClosed, Refused


async def refusal_text(service: Service, error: Refused | NotFound) -> str:
    """What to tell someone whose click lost: who holds the lead now, and since when; or that it is gone."""
    config = service.config
    if isinstance(error, NotFound):
        return LEAD_GONE
    if isinstance(error, AlreadyClaimed):
        return f"Already accepted by {mention(config, error.by)} {slack_date(error.at, '%H:%M UTC')}."
    if isinstance(error, NotYourOffer):
        return f"This lead is offered to {mention(config, error.holder)}, not to you."
    if isinstance(error, OfferClosed):
        offer = await service.views.offer(error.offer_id)
        lead = (await service.views.lead_view(offer.lead_id)).lead
        if lead.claimed_by:
            now_at = f"It was accepted by {mention(config, lead.claimed_by)}."
        elif lead.offer_id is not None and lead.offer_id != offer.id:
            current = await service.views.offer(lead.offer_id)
            now_at = f"It is now with {mention(config, current.rep_id)}."
        else:
            now_at = f"It is {lead.state.value}."
        return f"This offer closed {slack_date(error.at, '%H:%M UTC')} ({error.reason}). {now_at}"
    return "That can't be done right now: " + str(error)


async def tell_lost_click(service: Service, error: Refused | NotFound, user: str, at: Where) -> None:
    """Answer a click that lost a race (or came too late) privately, and count it."""
    service.metrics.claim_conflicts.inc()
    await tell(service, user, await refusal_text(service, error), at=at)


def register(app: AsyncApp, service: Service) -> None:
    @on_click(app, service, Action.ACCEPT)
    async def accept(click: Click) -> None:
        user, person, offer_id = click.user, click.person, click.target
        try:
            offer = await service.views.offer(offer_id)
            on_behalf = offer.rep_id != person
            if on_behalf and not service.people.may_act_for(person, offer.rep_id):
                raise NotYourOffer(offer_id, offer.rep_id, person)
            claimed = await service.store.claim(offer_id, by=person, now=service.clock.now(), on_behalf=on_behalf)
        except (Refused, NotFound) as error:
            await tell_lost_click(service, error, user, click.at)
            return
        if on_behalf:
            await tell(
                service, user, f"You accepted this lead for {mention(service.config, claimed.owner)}.", at=click.at
            )

    @on_click(app, service, Action.REASSIGN)
    async def open_reassign(click: Click) -> None:
        user, person, offer_id = click.user, click.person, click.target
        try:
            offer = await service.views.offer(offer_id)
            view = await service.views.lead_view(offer.lead_id)
        except NotFound:
            await tell(service, user, LEAD_GONE, at=click.at)
            return
        if not service.people.may_act_for(person, offer.rep_id):
            await tell(
                service,
                user,
                f"Only {mention(service.config, offer.rep_id)} or their manager can reassign this lead.",
                at=click.at,
            )
            return
        modal = modals.reassign_modal(offer, view, service.config)
        await open_modal(service, user, click.trigger_id, modal, at=click.at)

    @app.view(Modal.REASSIGN)
    async def submit_reassign(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = selected(view, Field.REASON)
        if reason is None or reason not in REASSIGN_REASONS:
            await ack(response_action="errors", errors={Field.REASON: "Pick a reason, so your manager knows why."})
            return
        note, suggested = typed(view, Field.NOTE), selected(view, Field.SUGGEST)
        if suggested is not None and suggested not in service.config.reps:
            await ack(response_action="errors", errors={Field.SUGGEST: "Pick a rep from the list, or nobody."})
            return
        await ack()
        user = body["user"]["id"]
        person, offer_id = service.people.person(user), modal_target(view)
        if person is None or offer_id is None:
            await tell(service, user, STRANGER if person is None else FORM_OUT_OF_DATE)
            return
        try:
            await service.store.reassign(
                offer_id,
                by=person,
                reason=REASSIGN_REASONS[reason],
                note=note,
                suggested_rep=suggested,
                now=service.clock.now(),
            )
        except (Refused, NotFound) as error:
            await tell(service, user, await refusal_text(service, error))
            return
