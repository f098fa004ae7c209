"""A line in the lead's thread in its team channel (the row's address) for each thing that happened to it:
offered, accepted, expired, passed on, taken, held for the first shift. A backlog of them after an outage
becomes one digest."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of, thread_of
from bot.render import channel
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    event = str(item.payload.get("event", ""))
    until = item.payload.get("until")
    held_until = datetime.fromisoformat(until) if isinstance(until, str) else None
    rendered = channel.thread_note(lead, outlet.config, event, now, offer_id=item.offer_id, until=held_until)
    return await outlet.post(item, item.address, rendered, thread_ts=thread_of(item))


KIND = MessageKind(kind=OutboxKind.LEAD_THREAD_NOTE, deliver=deliver, digestible=True)
