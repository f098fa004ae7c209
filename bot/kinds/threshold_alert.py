"""A live threshold alert, into the team channel (the row's address): raised once when a team's rolling
window crosses a threshold, with the leads behind it, and once when it is back to normal (hysteresis in
`reports.alerts`; queued by `bot.reporting`)."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet
from bot.render import channel
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    rendered = channel.threshold_alert(
        outlet.config,
        team_id=str(item.payload["team_id"]),
        raised=bool(item.payload["raised"]),
        reading=str(item.payload["reading"]["text"]),
        lead_ids=[int(lead_id) for lead_id in item.payload.get("lead_ids", [])],
    )
    return await outlet.post(item, item.address, rendered)


KIND = MessageKind(kind=OutboxKind.THRESHOLD_ALERT, deliver=deliver, team_homes=False)
