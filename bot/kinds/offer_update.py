"""The offer is over (accepted, expired, reassigned, taken…): the rep's offer DM is rewritten in place
to say how, without buttons. Nothing is sent if the DM itself never went out."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of, offer_of
from bot.render import dm
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    offer = offer_of(lead, item.offer_id)
    if item.dm_channel is None or item.dm_ts is None:
        return "", ""  # the DM never went out, so there is nothing to rewrite
    headline = dm.offer_headline(lead, offer, outlet.config, offer.rep_id, now)
    return await outlet.update(
        item.dm_channel, item.dm_ts, dm.offer_closed(lead, offer, outlet.config, headline=headline, now=now)
    )


KIND = MessageKind(kind=OutboxKind.OFFER_UPDATE, deliver=deliver, rep_home=True)
