"""Asking a manager to act on an unclaimed lead: @manager in the team channel (the row's address), or in
the manager's DM when the team has no channel, with **Take** and **Assign…**; in the lead's thread and
broadcast to the channel. Not sent if someone took the lead before it went out. A backlog of them
after an outage becomes one digest."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet, lead_of, thread_of
from bot.render import channel
from storage.model import LeadState, LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    lead = lead_of(view)
    if lead.lead.state is LeadState.CLAIMED:
        return "", ""  # someone took the lead before this ping went out: nothing to ask anyone
    manager = item.payload.get("manager")
    rendered = channel.escalation(
        lead,
        outlet.config,
        manager_id=str(manager) if manager else None,
        level=int(item.payload.get("level", 0)),
        ping=int(item.payload.get("ping", 0)),
        now=now,
    )
    to = item.address if item.address.startswith(("C", "G")) else outlet.dm(item.address)
    return await outlet.post(item, to, rendered, thread_ts=thread_of(item), broadcast=True)


KIND = MessageKind(kind=OutboxKind.ESCALATION, deliver=deliver, digestible=True)
