"""The offer: a DM to the rep (the row's address is their config id) with the lead card, why them, the
deadline, and **Accept** / **Reassign**. Their Home and their managers' show the new open offer."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of, offer_of
from bot.render import dm
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    offer = offer_of(lead, item.offer_id)
    return await outlet.post(item, outlet.dm(item.address), dm.offer_dm(lead, offer, outlet.config, now))


KIND = MessageKind(kind=OutboxKind.OFFER_DM, deliver=deliver, rep_home=True)
