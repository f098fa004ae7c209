"""Slack cannot deliver to a rep: one post a day in their team channel (the row's address) asking the
managers to check the rep's Slack account or `slack_id`. About a rep, not a lead."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet
from bot.render import channel
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, _view: LeadView | None, _now: datetime) -> Landed:
    rendered = channel.rep_unreachable(outlet.config, str(item.payload["rep_id"]), str(item.payload["code"]))
    return await outlet.post(item, item.address, rendered)


KIND = MessageKind(kind=OutboxKind.REP_UNREACHABLE, deliver=deliver)
