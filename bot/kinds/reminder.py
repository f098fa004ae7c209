"""The nudge before the SLA runs out: a reply in the rep's offer DM thread with the time left and
**Accept** again. Nothing is sent if the DM never went out; no Home changes."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of, offer_of
from bot.render import dm
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    offer = offer_of(lead, item.offer_id)
    if item.dm_channel is None or item.dm_ts is None:
        return "", ""
    rendered = dm.reminder(offer, lead, outlet.config, now)
    return await outlet.post(item, item.dm_channel, rendered, thread_ts=item.dm_ts)


KIND = MessageKind(kind=OutboxKind.REMINDER, deliver=deliver, team_homes=False)
