"""The seeds' routing numbers for a period, per team or for everyone, as SQL aggregates.

Every query reads one indexed time range (`leads.received_at`, `offers.assigned_at`) and aggregates in
the database, so the cost follows the leads in the period, not the leads ever stored (flat at a million;
`tests/reports/test_query_plans.py` shows the plans). What each number means:

* **speed to lead**, split in two: *system time* from intake to the first DM delivered to a rep (the
  outbox row's `sent_at`) and *human time* from that DM to the claim; and *assignment*, intake to the
  first routing decision (the seeds' "assignment > 2 min" alert). Each as nearest-rank P50 and P90 and
  the bands 0–5, 5–15, 15–60 and 60+ minutes. Leads received in the period.
* **SLA breach rate**: of the offers made in the period that were accepted or expired, the share that
  expired or was accepted after its `due_at`, in all and per rep, per team (the offer's pool) and per
  tier (the SLA policy). A reassigned, taken or withdrawn offer says nothing about the SLA.
* **acceptance rate**: offers accepted over offers that are no longer open.
* **reassignment rate**: leads offered in the period that a person passed on by hand (reassigned, or
  released after accepting) over leads offered; and how every offer that was not accepted ended.
* **fallback rate**: first offers that no rule could place (the fallback team or rep), over first offers;
  and which rule each of them fell through (the rule the decision trace names, or "no rule matched").
* **distribution**: each pool member's share of the pool's offers against their fair share, with their
  claims and breaches; and per pool a verdict (`fairness`). The fair share is `routing.fairness`'s, the
  one `leadrelay simulate` uses: each offer owed by weight to the members at work (not on PTO) at the
  minute it was made, or to those not away when nobody was at work.

* **win rate**: of the leads whose current outcome closed them (won, lost, disqualified) and occurred in
  the period, the share won; in all and per owner, per rule (the rule of the lead's first offer) and per
  source. Empty until outcomes are reported (`POST /outcomes`, `leadrelay import-outcomes`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from reports.sql import seconds_between, whole_minutes_between
from routing import RoutingConfig
from routing.fairness import PoolFairness, judge
from routing.model import Window
from storage.db import Database
from storage.model import CLOSING_OUTCOMES, EndReason, LeadState, OutboxKind, OutcomeState
from storage.tables import leads, offers, outbox, rep_pto

BAND_EDGES = (300.0, 900.0, 3600.0)  # seconds: 0–5, 5–15, 15–60, 60+ minutes
BAND_LABELS = ("0–5 min", "5–15 min", "15–60 min", "60+ min")
NO_RULE = "no rule matched"
_BY_HAND = (EndReason.REASSIGNED.value, EndReason.RELEASED.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Speed:
    """Durations in seconds: how many, nearest-rank P50 and P90 (None with none), and per band."""

    count: int
    p50: float | None
    p90: float | None
    bands: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """`part` of `whole`; `value` is None when `whole` is 0 (no data is not 0 %)."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Share:
    """One pool member's offers, claims and breaches, their share of the pool's offers, and the share
    `routing.fairness` owes them (`fair`; None when nobody in the pool was there at all)."""

    pool: str
    rep_id: str
    offers: int
    claims: int
    breaches: int
    share: float
    fair: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Numbers:
    """The numbers for leads received and offers made in [since, until), for `team_id` (None: all)."""

    team_id: str | None
    since: datetime
    until: datetime
    received: int
    nurtured: int
    assignment: Speed
    system: Speed
    human: Speed
    offers: int
    sla_breach: Rate
    sla_by_rep: Mapping[str, Rate]
    sla_by_team: Mapping[str, Rate]
    sla_by_tier: Mapping[str, Rate]
    acceptance: Rate
    reassignment: Rate
    ended_by: Mapping[str, int]  # how offers that were not accepted ended: reassigned, expired, …
    fallback: Rate
    fell_through: Mapping[str, int]  # the rule each fallback lead fell through
    distribution: tuple[Share, ...]
    fairness: tuple[PoolFairness, ...]
    win_rate: Rate = Rate(part=0, whole=0)
    win_by_rep: Mapping[str, Rate] = field(default_factory=dict)
    win_by_rule: Mapping[str, Rate] = field(default_factory=dict)
    win_by_source: Mapping[str, Rate] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """A period's numbers and the period of the same length just before it."""

    current: Numbers
    previous: Numbers


async def build_report(
    conn: AsyncConnection, config: RoutingConfig, *, since: datetime, until: datetime, team_id: str | None = None
) -> Report:
    """The numbers for [since, until) and for the period as long just before it."""
    length = until - since
    return Report(
        current=await build_numbers(conn, config, since=since, until=until, team_id=team_id),
        previous=await build_numbers(conn, config, since=since - length, until=since, team_id=team_id),
    )


async def build_numbers(
    conn: AsyncConnection, config: RoutingConfig, *, since: datetime, until: datetime, team_id: str | None = None
) -> Numbers:
    """The numbers for [since, until) (see the module docstring). Reads only; a handful of queries."""
    received_in = [leads.c.received_at >= since, leads.c.received_at < until]
    if team_id is not None:
        received_in.append(leads.c.team_id == team_id)
    counted = (
        await conn.execute(
            select(
                func.count(), func.coalesce(func.sum(case((leads.c.state == LeadState.NURTURE.value, 1), else_=0)), 0)
            )
            .select_from(leads)
            .where(*received_in)
        )
    ).one()

    first_dm = leads.join(offers, and_(offers.c.lead_id == leads.c.id, offers.c.attempt == 1)).join(
        outbox,
        and_(
            outbox.c.lead_id == leads.c.id,
            outbox.c.kind == OutboxKind.OFFER_DM.value,
            outbox.c.offer_id == offers.c.id,
            outbox.c.sent_at.is_not(None),
        ),
    )
    assignment = await _speed(
        conn,
        seconds_between(leads.c.received_at, leads.c.assigned_at),
        leads,
        [*received_in, leads.c.assigned_at.is_not(None)],
    )
    system = await _speed(conn, seconds_between(leads.c.received_at, outbox.c.sent_at), first_dm, received_in)
    human = await _speed(
        conn,
        seconds_between(outbox.c.sent_at, leads.c.claimed_at),
        first_dm,
        [*received_in, leads.c.claimed_at.is_not(None)],
    )

    made: FromClause = offers
    offered_in: list[ColumnElement[bool]] = [offers.c.assigned_at >= since, offers.c.assigned_at < until]
    if team_id is not None:
        made = offers.join(leads, leads.c.id == offers.c.lead_id)
        offered_in.append(team_of_offer(team_id))
    groups = await _offer_groups(conn, made, offered_in)
    leads_offered, by_hand = (
        await conn.execute(
            select(
                func.count(distinct(offers.c.lead_id)),
                func.count(distinct(case((offers.c.end_reason.in_(_BY_HAND), offers.c.lead_id)))),
            )
            .select_from(made)
            .where(*offered_in)
        )
    ).one()
    ended_by = {
        str(reason): int(n)
        for reason, n in await conn.execute(
            select(offers.c.end_reason, func.count())
            .select_from(made)
            .where(*offered_in, offers.c.end_reason.is_not(None), offers.c.end_reason != EndReason.CLAIMED.value)
            .group_by(offers.c.end_reason)
        )
    }
    first_offers, fallbacks = (
        await conn.execute(
            select(func.count(), func.coalesce(func.sum(case((offers.c.fallback, 1), else_=0)), 0))
            .select_from(made)
            .where(*offered_in, offers.c.attempt == 1)
        )
    ).one()
    fairness = await _fairness(conn, config, made, offered_in, groups, since, until)
    traces = await conn.execute(
        select(offers.c.reasons).select_from(made).where(*offered_in, offers.c.attempt == 1, offers.c.fallback)
    )
    return Numbers(
        team_id=team_id,
        since=since,
        until=until,
        received=int(counted[0]),
        nurtured=int(counted[1]),
        assignment=assignment,
        system=system,
        human=human,
        offers=sum(g.offers for g in groups),
        sla_breach=Rate(part=sum(g.breached for g in groups), whole=sum(g.met + g.breached for g in groups)),
        sla_by_rep=_sla_by(groups, lambda g: g.rep_id),
        sla_by_team=_sla_by(groups, lambda g: g.pool),
        sla_by_tier=_sla_by(groups, lambda g: g.tier),
        acceptance=Rate(part=sum(g.claims for g in groups), whole=sum(g.decided for g in groups)),
        reassignment=Rate(part=int(by_hand), whole=int(leads_offered)),
        ended_by=ended_by,
        fallback=Rate(part=int(fallbacks), whole=int(first_offers)),
        fell_through=dict(Counter(_fell_through(reasons) for (reasons,) in traces)),
        distribution=_distribution(groups, fairness),
        fairness=fairness,
        **await _win_rates(conn, since, until, team_id),
    )


async def _win_rates(conn: AsyncConnection, since: datetime, until: datetime, team_id: str | None) -> dict[str, Any]:
    """`Numbers`' win-rate fields: leads closed by an outcome that occurred in [since, until), read from
    the `(outcome_at)` range, grouped by owner, first offer's rule and source in the database."""
    first_offer = leads.outerjoin(offers, and_(offers.c.lead_id == leads.c.id, offers.c.attempt == 1))
    closed_in = [
        leads.c.outcome_at >= since,
        leads.c.outcome_at < until,
        leads.c.outcome.in_(sorted(state.value for state in CLOSING_OUTCOMES)),
    ]
    if team_id is not None:
        closed_in.append(leads.c.team_id == team_id)
    won = func.coalesce(func.sum(case((leads.c.outcome == OutcomeState.WON.value, 1), else_=0)), 0)
    rows: list[tuple[tuple[str, str, str], int, int]] = [
        ((owner or "nobody", rule or NO_RULE, str(source)), int(n_won), int(n_closed))
        for owner, rule, source, n_won, n_closed in await conn.execute(
            select(leads.c.claimed_by, offers.c.rule, leads.c.source, won, func.count())
            .select_from(first_offer)
            .where(*closed_in)
            .group_by(leads.c.claimed_by, offers.c.rule, leads.c.source)
        )
    ]

    def by(index: int) -> dict[str, Rate]:
        parts: Counter[str] = Counter()
        wholes: Counter[str] = Counter()
        for keys, n_won, n_closed in rows:
            parts[keys[index]] += n_won
            wholes[keys[index]] += n_closed
        return {key: Rate(part=parts[key], whole=wholes[key]) for key in sorted(wholes)}

    return {
        "win_rate": Rate(part=sum(r[1] for r in rows), whole=sum(r[2] for r in rows)),
        "win_by_rep": by(0),
        "win_by_rule": by(1),
        "win_by_source": by(2),
    }


def team_of_offer(team_id: str) -> ColumnElement[bool]:
    """The offer's lead is `team_id`'s, tested so that no index on `leads.team_id` can drive the join:
    the offers' time range must (an index walk over the team's leads grows with its whole history)."""
    return func.coalesce(leads.c.team_id, "") == team_id


async def _speed(
    conn: AsyncConnection, seconds: ColumnElement[float], source: FromClause, where: Iterable[ColumnElement[bool]]
) -> Speed:
    """Count, bands and nearest-rank P50/P90 of `seconds` over the rows of `source` that match `where`:
    one aggregate and one indexed `ORDER BY … LIMIT 1 OFFSET k` per percentile."""
    durations = select(seconds.label("s")).select_from(source).where(*where).subquery()
    s = durations.c.s
    low, mid, high = BAND_EDGES
    row = (
        await conn.execute(
            select(
                func.count(s),
                func.coalesce(func.sum(case((s < low, 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(s >= low, s < mid), 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(s >= mid, s < high), 1), else_=0)), 0),
                func.coalesce(func.sum(case((s >= high, 1), else_=0)), 0),
            )
        )
    ).one()
    count = int(row[0])

    async def rank(q: float) -> float | None:
        if count == 0:
            return None
        value = (await conn.execute(select(s).order_by(s).limit(1).offset(max(0, math.ceil(q * count) - 1)))).scalar()
        return None if value is None else round(float(value), 3)

    return Speed(
        count=count,
        p50=await rank(0.5),
        p90=await rank(0.9),
        bands=(int(row[1]), int(row[2]), int(row[3]), int(row[4])),
    )


@dataclass(frozen=True, slots=True)
class _Group:
    """Offers of one (rep, pool, SLA tier) in the period."""

    rep_id: str
    pool: str | None
    tier: str | None
    offers: int
    claims: int
    met: int
    breached: int
    decided: int


async def _offer_groups(
    conn: AsyncConnection, made: FromClause, offered_in: Iterable[ColumnElement[bool]]
) -> list[_Group]:
    claimed = offers.c.claimed_at.is_not(None)
    late = and_(claimed, offers.c.claimed_at > offers.c.due_at)

    def total(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = await conn.execute(
        select(
            offers.c.rep_id,
            offers.c.pool,
            offers.c.sla,
            func.count(),
            total(claimed),
            total(and_(claimed, offers.c.claimed_at <= offers.c.due_at)),
            total((offers.c.end_reason == EndReason.EXPIRED.value) | late),
            total(offers.c.state != "open"),
        )
        .select_from(made)
        .where(*offered_in)
        .group_by(offers.c.rep_id, offers.c.pool, offers.c.sla)
    )
    return [_Group(r[0], r[1], r[2], *(int(n) for n in r[3:])) for r in rows]


def _sla_by(groups: Iterable[_Group], key: Any) -> dict[str, Rate]:
    met: dict[str, int] = defaultdict(int)
    breached: dict[str, int] = defaultdict(int)
    for group in groups:
        name = key(group)
        if name is None or group.met + group.breached == 0:
            continue
        met[name] += group.met
        breached[name] += group.breached
    return {name: Rate(part=breached[name], whole=met[name] + breached[name]) for name in sorted(met)}


def _fell_through(reasons: Any) -> str:
    """The rule a fallback decision's trace names (`rule <name>: …`), or that no rule matched."""
    for reason in reasons or ():
        if reason.get("code") == "rule":
            return str(reason.get("text", "")).removeprefix("rule ").split(":", 1)[0]
    return NO_RULE


async def _fairness(
    conn: AsyncConnection,
    config: RoutingConfig,
    made: FromClause,
    offered_in: Iterable[ColumnElement[bool]],
    groups: Iterable[_Group],
    since: datetime,
    until: datetime,
) -> tuple[PoolFairness, ...]:
    """Each team pool's offers judged by `routing.fairness`: the offers counted per pool and minute in
    SQL (so the work follows the minutes of the period, not its offers), each rep's PTO as absence."""
    actual: dict[str, Counter[str]] = defaultdict(Counter)
    for g in groups:
        if g.pool is not None and g.pool in config.teams:
            actual[g.pool][g.rep_id] += g.offers
    minute = whole_minutes_between(literal(since, offers.c.assigned_at.type), offers.c.assigned_at).label("minute")
    arrivals: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for pool, at_minute, count in await conn.execute(
        select(offers.c.pool, minute, func.count())
        .select_from(made)
        .where(*offered_in, offers.c.pool.in_(sorted(actual)))
        .group_by(offers.c.pool, minute)
    ):
        arrivals[pool].append((since + timedelta(minutes=int(at_minute)), int(count)))
    away = await _pto(conn, since, until)
    return tuple(judge(config, pool, actual[pool], arrivals[pool], away) for pool in sorted(actual))


async def _pto(conn: AsyncConnection, since: datetime, until: datetime) -> dict[str, list[Window]]:
    """Each rep's PTO overlapping [since, until), as it stood: a PTO cleared early ends when cleared."""
    away: dict[str, list[Window]] = defaultdict(list)
    for rep_id, starts, ends, cleared in await conn.execute(
        select(rep_pto.c.rep_id, rep_pto.c.starts_at, rep_pto.c.ends_at, rep_pto.c.cleared_at).where(
            rep_pto.c.ends_at > since, rep_pto.c.starts_at < until
        )
    ):
        end = min(ends, cleared) if cleared is not None else ends
        if end > starts:
            away[rep_id].append(Window(starts, end))
    return away


def _distribution(groups: Iterable[_Group], fairness: Iterable[PoolFairness]) -> tuple[Share, ...]:
    """Per pool member: offers, claims and breaches, the share of the pool's offers and the fair share."""
    claims: Counter[tuple[str, str]] = Counter()
    breaches: Counter[tuple[str, str]] = Counter()
    for g in groups:
        if g.pool is not None:
            claims[(g.pool, g.rep_id)] += g.claims
            breaches[(g.pool, g.rep_id)] += g.breached
    return tuple(
        Share(
            pool=pool.pool,
            rep_id=rep.rep,
            offers=rep.actual,
            claims=claims[(pool.pool, rep.rep)],
            breaches=breaches[(pool.pool, rep.rep)],
            share=rep.share,
            fair=rep.expected_share if any(r.expected for r in pool.reps) else None,
        )
        for pool in fairness
        for rep in pool.reps
    )


async def read_report(
    db: Database, config: RoutingConfig, *, since: datetime, until: datetime, team_id: str | None = None
) -> Report:
    """`build_report` on one read snapshot of `db`."""
    async with db.read() as conn:
        return await build_report(conn, config, since=since, until=until, team_id=team_id)
