"""A team's weekly digest, into the team channel (the row's address): the numbers against the week
before, then the two charts (speed to lead by band; claims and breaches per rep against fair share)
uploaded into its thread. Queued once per team and week (`bot.reporting`); the numbers are the ones
computed when the week was queued."""

from __future__ import annotations

from datetime import datetime

from bot.kinds.base import Landed, MessageKind, Outlet
from bot.render import channel
from bot.slack import Upload
from reports.charts import charts, render
from reports.export import from_document
from storage.model import LeadView, OutboxItem, OutboxKind


async def deliver(outlet: Outlet, item: OutboxItem, view: LeadView | None, now: datetime) -> Landed:
    team_id = str(item.payload["team_id"])
    report = from_document(item.payload["report"])
    posted_in, ts = await outlet.post(item, item.address, channel.weekly_digest(report, outlet.config, team_id))
    week = str(item.payload["week"])
    files = [
        Upload(content=render(chart), filename=f"{team_id}-{week}-{chart.name}.png", title=chart.title)
        for chart in charts(report.current)
    ]
    await outlet.upload(item, posted_in, files, thread_ts=ts)
    return posted_in, ts


KIND = MessageKind(kind=OutboxKind.DIGEST, deliver=deliver, team_homes=False)
