"""The person behind a lead came back (a new form, a new request) while the lead was open or claimed:
a reply in the offer DM thread of the rep holding it, since the new lead was attached, not routed.
Nothing is sent if the DM never went out."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of
from bot.render import dm
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    if item.dm_channel is None or item.dm_ts is None:
        return "", ""
    return await outlet.post(item, item.dm_channel, dm.lead_returned(lead, item.payload), thread_ts=item.dm_ts)


KIND = MessageKind(kind=OutboxKind.LEAD_RETURNED, deliver=deliver, team_homes=False)
