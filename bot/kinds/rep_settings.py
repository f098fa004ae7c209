"""Someone else (a manager, with `/pto @rep` or `/capacity @rep`) changed a rep's PTO, capacity or
pause: the rep hears it in their DM with what it is now. About a rep, not a lead; the command that
made the change republishes their Home itself."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet
from bot.render import dm
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, _view: LeadView | None, _now: datetime) -> Landed:
    rendered = dm.settings_changed(outlet.config, item.payload)
    return await outlet.post(item, outlet.dm(item.address), rendered)


KIND = MessageKind(kind=OutboxKind.REP_SETTINGS, deliver=deliver, team_homes=False)
