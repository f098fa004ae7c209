"""Routing metrics for a period, as the seeds define them (`leadrelay report`, the weekly review).

* **speed to lead**: received → first assignment, for leads received in the period (p50, p90);
* **speed to claim**: first assignment → claim, for those leads that were claimed;
* **SLA adherence**: of the offers made in the period that were accepted or expired, the share
  accepted by their `due_at` (a reassigned, taken or withdrawn offer says nothing about the SLA);
* **fallback rate**: first offers that no rule routed (the catch-all fallback team or rep), as the seeds
  define it; a backup covering for someone on PTO, or an off-hours pick, is a rule's normal path;
* **reassignment rate**: leads offered in the period that a rep or manager passed on by hand
  (reassigned, or released after accepting), over leads offered;
* **nurtured**: leads received in the period that are in nurture;
* **distribution**: offers per pool member against the share the member was due, by `routing.fairness`:
  their weight against the weights of the members available (not on PTO, at work in their own zone)
  when each offer was made, with a one-line verdict per pool. The same measure `simulate` reports.

Alert thresholds in the seeds: fallback > 10 %, SLA breach > 15 %, manual reassignment > 20 %,
assignment slower than 2 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from routing import RoutingConfig, Window
from routing.fairness import Arrival, PoolFairness, measure
from storage.model import EndReason, LeadState
from storage.tables import leads, offers, rep_pto

_BY_HAND = (EndReason.REASSIGNED.value, EndReason.RELEASED.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Percentiles:
    count: int
    p50: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Share:
    """One pool member's part of the pool's offers, against the share availability and weights call for."""

    pool: str
    rep_id: str
    offers: int
    share: float
    target: float  # the expected share (`routing.fairness`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Metrics for leads received and offers made in [since, until). Rates are None with no data."""

    since: datetime
    until: datetime
    received: int
    nurtured: int
    speed_to_lead: Percentiles
    speed_to_claim: Percentiles
    offers: int
    sla_met: int
    sla_breached: int
    sla_adherence: float | None
    fallback_rate: float | None
    reassignment_rate: float | None
    distribution: tuple[Share, ...]
    fairness: tuple[PoolFairness, ...] = ()  # per pool, with its verdict


def percentiles(durations: Sequence[timedelta]) -> Percentiles:
    """Nearest-rank p50 and p90."""
    ordered = sorted(durations)

    def rank(q: float) -> timedelta | None:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None

    return Percentiles(count=len(ordered), p50=rank(0.5), p90=rank(0.9))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def build_report(conn: AsyncConnection, config: RoutingConfig, since: datetime, until: datetime) -> Report:
    """Compute the `Report` for [since, until) from leads and offers (two reads)."""
    lead_rows = (
        await conn.execute(
            select(leads.c.received_at, leads.c.assigned_at, leads.c.claimed_at, leads.c.state).where(
                leads.c.received_at >= since, leads.c.received_at < until
            )
        )
    ).all()
    offer_rows = (
        await conn.execute(
            select(
                offers.c.lead_id,
                offers.c.rep_id,
                offers.c.pool,
                offers.c.attempt,
                offers.c.rule,
                offers.c.assigned_at,
                offers.c.due_at,
                offers.c.claimed_at,
                offers.c.end_reason,
            ).where(offers.c.assigned_at >= since, offers.c.assigned_at < until)
        )
    ).all()

    met = sum(1 for o in offer_rows if o.claimed_at is not None and o.claimed_at <= o.due_at)
    breached = sum(
        1
        for o in offer_rows
        if o.end_reason == EndReason.EXPIRED or (o.claimed_at is not None and o.claimed_at > o.due_at)
    )
    pto_rows = (
        await conn.execute(
            select(rep_pto.c.rep_id, rep_pto.c.starts_at, rep_pto.c.ends_at, rep_pto.c.cleared_at).where(
                rep_pto.c.ends_at > since, rep_pto.c.starts_at < until
            )
        )
    ).all()
    fairness = measure(
        config,
        [Arrival(pool=o.pool, at=o.assigned_at, rep=o.rep_id) for o in offer_rows if o.pool],
        _absences(pto_rows),
    )
    first = [o for o in offer_rows if o.attempt == 1]
    offered = {o.lead_id for o in offer_rows}
    by_hand = {o.lead_id for o in offer_rows if o.end_reason in _BY_HAND}
    return Report(
        since=since,
        until=until,
        received=len(lead_rows),
        nurtured=sum(1 for r in lead_rows if r.state == LeadState.NURTURE),
        speed_to_lead=percentiles([r.assigned_at - r.received_at for r in lead_rows if r.assigned_at]),
        speed_to_claim=percentiles([r.claimed_at - r.assigned_at for r in lead_rows if r.claimed_at and r.assigned_at]),
        offers=len(offer_rows),
        sla_met=met,
        sla_breached=breached,
        sla_adherence=_rate(met, met + breached),
        fallback_rate=_rate(sum(1 for o in first if o.rule == "fallback"), len(first)),
        reassignment_rate=_rate(len(by_hand), len(offered)),
        distribution=tuple(
            Share(pool=f.pool, rep_id=r.rep, offers=r.actual, share=r.share, target=r.expected_share)
            for f in fairness
            for r in f.reps
        ),
        fairness=fairness,
    )


def _absences(rows: Sequence[Any]) -> dict[str, list[Window]]:
    """PTO windows by rep, a cleared one ending when it was cleared."""
    away: dict[str, list[Window]] = {}
    for row in rows:
        end = min(row.ends_at, row.cleared_at) if row.cleared_at else row.ends_at
        if end > row.starts_at:
            away.setdefault(row.rep_id, []).append(Window(row.starts_at, end))
    return away
