"""Someone acted on an escalation: the escalation post (channel and ts in the payload) is rewritten to
say who took the lead or who it went to, without buttons."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of
from bot.render import channel
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    rendered = channel.escalation_resolved(lead, outlet.config, now)
    return await outlet.update(str(item.payload["channel"]), str(item.payload["ts"]), rendered)


KIND = MessageKind(kind=OutboxKind.ESCALATION_RESOLVED, deliver=deliver)
