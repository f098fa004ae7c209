"""The leads behind an alert: which leads in a team's window made a metric cross its threshold.

One indexed range read per call, at most `limit` lead ids, most recent first (slowest first for
assignment time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from reports.alerts import Metric
from reports.numbers import team_of_offer
from reports.sql import seconds_between
from storage.model import EndReason
from storage.tables import leads, offers

LIMIT = 10


async def culprits(
    conn: AsyncConnection,
    metric: Metric,
    *,
    team_id: str,
    since: datetime,
    until: datetime,
    assignment: timedelta,
    limit: int = LIMIT,
) -> list[int]:
    """Lead ids that count against `metric` for `team_id` in [since, until)."""
    if metric is Metric.ASSIGNMENT:
        took = seconds_between(leads.c.received_at, leads.c.assigned_at)
        query: Select[Any] = (
            select(leads.c.id)
            .where(
                leads.c.received_at >= since,
                leads.c.received_at < until,
                leads.c.team_id == team_id,
                leads.c.assigned_at.is_not(None),
                took > assignment.total_seconds(),
            )
            .order_by(took.desc(), leads.c.id)
        )
    else:
        query = (
            select(offers.c.lead_id)
            .join(leads, leads.c.id == offers.c.lead_id)
            .where(
                offers.c.assigned_at >= since,
                offers.c.assigned_at < until,
                team_of_offer(team_id),
                _counts_against(metric),
            )
            .order_by(offers.c.assigned_at.desc(), offers.c.id.desc())
        )
    ids = [int(lead_id) for lead_id in (await conn.execute(query.limit(limit * 2))).scalars()]
    return list(dict.fromkeys(ids))[:limit]  # a lead with two such offers is named once


def _counts_against(metric: Metric) -> ColumnElement[bool]:
    if metric is Metric.FALLBACK:
        return and_(offers.c.attempt == 1, offers.c.fallback)
    if metric is Metric.SLA_BREACH:
        return (offers.c.end_reason == EndReason.EXPIRED.value) | and_(
            offers.c.claimed_at.is_not(None), offers.c.claimed_at > offers.c.due_at
        )
    return offers.c.end_reason.in_((EndReason.REASSIGNED.value, EndReason.RELEASED.value))
