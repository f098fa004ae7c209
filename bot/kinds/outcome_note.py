"""An outcome of a lead was reported (won, lost, …): a reply in its owner's offer DM thread, so the rep
sees what the system of record says. Nothing is sent if the DM never went out. The owner's Home lists
the outcome beside the claimed lead."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of
from bot.render import dm
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    if item.dm_channel is None or item.dm_ts is None:
        return "", ""
    rendered = dm.outcome_note(lead, outlet.config, item.payload)
    return await outlet.post(item, item.dm_channel, rendered, thread_ts=item.dm_ts)


KIND = MessageKind(kind=OutboxKind.OUTCOME_NOTE, deliver=deliver, rep_home=True, team_homes=False)
