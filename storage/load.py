"""Each rep's routing load as counters, kept in the same transaction as the transition that changes it.

Routing needs, per rep, what the offers say (see `storage.state`): the open load (open offers, plus
claimed offers assigned within the load window), the offers assigned since the rep's local midnight,
and the latest assignment. Aggregating the offers for that on every decision grows with the history;
these counters make the read O(reps):

* `rep_load.open_offers`: +1 when an offer is made (`offered`), -1 when an open offer is claimed or
  ends (`claimed`, `closed`);
* `load_holds`: one row per claimed offer still counted, `rep_load.held_offers` their number per rep;
  a hold goes when the offer is released (`released`), when a closing outcome (won, lost,
  disqualified) arrives for its lead (`released` too; `reopened` puts it back, `held_again`), and,
  when no outcome source is configured, when the window passes its `assigned_at` (`settle`, run by
  the SLA timers' sweep, a timer rather than a scan). Until it is settled, a hold past the window is
  subtracted at read time, so the read is exact whenever the sweep runs;
* `rep_load.day_start` / `assigned_today`: the local midnight of the rep's latest assignment and the
  offers since, restarted by the first offer of a new local day; read as 0 once that day is over;
* `rep_load.last_assigned_at`: the latest assignment.

`recompute` derives all of it from the offers (what `leadrelay db check` compares and repairs).
The load window is at least a day, so the day count never reaches back past it.

Lock order (PostgreSQL): `rep_load` rows are written after the pool rows a transition locks, as
intake does (pool turn, then the new offer's counters). A transition that ends an offer and routes the
lead again (reassign, withdrawal, expiry) therefore routes first, on a state read less the load that
is leaving (`less_load`), and writes the decrement last; otherwise two such transactions lock a
rep's row and a pool in opposite orders and deadlock.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, case, delete, func, insert, or_, select, text, update
from sqlalchemy.sql.dml import UpdateBase

from routing import RoutingState
from storage import batches
from storage.batch import Batch
from storage.model import CLOSING_OUTCOMES
from storage.tables import UtcDateTime, leads, load_holds, offers, rep_load

MIN_LOAD_WINDOW = timedelta(days=1)
SETTLE_BATCH = 1000  # holds settled per sweep transaction: a long outage catches up over a few sweeps


def less_load(state: RoutingState, leaving: Mapping[str, int]) -> RoutingState:
    """`state` with each rep's open load lowered by `leaving[rep]`: the offers this transaction ends
    but whose counters it writes only after routing (see the lock order above)."""
    if not any(leaving.values()):
        return state
    reps = dict(state.reps)
    for rep_id, n in leaving.items():
        if n and rep_id in reps:
            reps[rep_id] = replace(reps[rep_id], open_load=reps[rep_id].open_load - n)
    return replace(state, reps=reps)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of `now`'s date in `tz`, as an aware datetime."""
    return datetime.combine(now.astimezone(tz).date(), time(), tzinfo=tz)


def offered(writes: Batch, rep_id: str, at: datetime, midnight: datetime) -> None:
    """An offer was made to `rep_id` at `at`; `midnight` is the start of that day in the rep's zone."""
    writes.add(_statements(writes.dialect)[0], {"rep": rep_id, "at": at, "day": midnight})


def closed(conn: Connection, rep_ids: Iterable[str]) -> None:
    """Open offers of these reps ended unclaimed (one entry per offer)."""
    counts = Counter(rep_ids)
    if counts:
        conn.execute(_LESS_OPEN, [{"rep": rep, "n": n} for rep, n in sorted(counts.items())])


def claimed(conn: Connection, offer_id: int, rep_id: str, assigned_at: datetime) -> None:
    """The open offer was claimed: it stops counting as open and is held in the rep's load, unless its
    lead was already closed by an outcome reported before the claim."""
    if conn.execute(_LEAD_CLOSED, {"offer": offer_id}).first() is not None:
        closed(conn, [rep_id])
        return
    conn.execute(_CLAIMED, {"rep": rep_id})
    conn.execute(insert(load_holds), {"offer_id": offer_id, "rep_id": rep_id, "assigned_at": assigned_at})


def released(conn: Connection, offer_id: int) -> None:
    """The claimed offer ended (released): its hold goes, if the window has not taken it already."""
    rep = conn.execute(_DROP_HOLD, {"offer": offer_id}).scalar_one_or_none()
    if rep is not None:
        conn.execute(_LESS_HELD, [{"rep": rep, "n": 1}])


def is_held(conn: Connection, offer_id: int) -> bool:
    """Whether the claimed offer still counts in its rep's load."""
    return conn.execute(_HELD, {"offer": offer_id}).first() is not None


def held_again(conn: Connection, offer_id: int, rep_id: str, assigned_at: datetime) -> None:
    """The claimed offer's lead was reopened: it counts in the rep's load again (unless it still does).
    Under the load window it counts only while the window covers `assigned_at`, as any claim does."""
    if is_held(conn, offer_id):
        return
    conn.execute(insert(load_holds), {"offer_id": offer_id, "rep_id": rep_id, "assigned_at": assigned_at})
    conn.execute(_MORE_HELD, {"rep": rep_id})


def settle(conn: Connection, since: datetime, *, limit: int = SETTLE_BATCH) -> int:
    """Drop up to `limit` holds of offers assigned before `since` (the load window passed them);
    returns how many went."""
    columns = load_holds.c
    gone = batches.take(
        conn,
        columns.offer_id,
        columns.assigned_at,
        columns.assigned_at < since,
        limit=limit,
        returning=(columns.rep_id,),
    )
    counts = Counter(row.rep_id for row in gone)
    if counts:
        conn.execute(_LESS_HELD, [{"rep": rep, "n": n} for rep, n in sorted(counts.items())])
    return sum(counts.values())


_LESS_OPEN = (
    update(rep_load)
    .where(rep_load.c.rep_id == bindparam("rep"))
    .values(open_offers=rep_load.c.open_offers - bindparam("n"))
)
_LESS_HELD = (
    update(rep_load)
    .where(rep_load.c.rep_id == bindparam("rep"))
    .values(held_offers=rep_load.c.held_offers - bindparam("n"))
)
_MORE_HELD = (
    update(rep_load).where(rep_load.c.rep_id == bindparam("rep")).values(held_offers=rep_load.c.held_offers + 1)
)
_LEAD_CLOSED = (
    select(leads.c.id)
    .join(offers, offers.c.lead_id == leads.c.id)
    .where(offers.c.id == bindparam("offer"), leads.c.outcome.in_(sorted(CLOSING_OUTCOMES)))
)
_CLAIMED = (
    update(rep_load)
    .where(rep_load.c.rep_id == bindparam("rep"))
    .values(open_offers=rep_load.c.open_offers - 1, held_offers=rep_load.c.held_offers + 1)
)
_HELD = select(load_holds.c.offer_id).where(load_holds.c.offer_id == bindparam("offer"))
_DROP_HOLD = delete(load_holds).where(load_holds.c.offer_id == bindparam("offer")).returning(load_holds.c.rep_id)


@functools.cache
def _statements(dialect: str) -> tuple[UpdateBase]:
    """The `offered` upsert for `dialect`, built once."""
    from storage.writes import upsert_insert  # writes imports this module for `end_offer`

    make = upsert_insert(dialect)
    row = make(rep_load).values(
        rep_id=bindparam("rep"),
        open_offers=1,
        held_offers=0,
        day_start=bindparam("day", type_=UtcDateTime),
        assigned_today=1,
        last_assigned_at=bindparam("at", type_=UtcDateTime),
    )
    new, old = row.excluded, rep_load.c
    later_day = old.day_start.is_(None) | (new.day_start > old.day_start)
    upsert = row.on_conflict_do_update(
        index_elements=[old.rep_id],
        set_={
            "open_offers": old.open_offers + 1,
            "assigned_today": case(
                (later_day, 1), (new.day_start == old.day_start, old.assigned_today + 1), else_=old.assigned_today
            ),
            "day_start": case((later_day, new.day_start), else_=old.day_start),
            "last_assigned_at": case(
                (old.last_assigned_at > new.last_assigned_at, old.last_assigned_at), else_=new.last_assigned_at
            ),
        },
    )
    return (upsert,)


@dataclass(frozen=True, slots=True)
class LoadRow:
    """One rep's counters."""

    open_offers: int = 0
    held_offers: int = 0
    day_start: datetime | None = None
    assigned_today: int = 0
    last_assigned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoadCounters:
    """Every rep's counters and every hold (offer id → rep id, assigned_at)."""

    reps: dict[str, LoadRow] = field(default_factory=dict)
    holds: dict[int, tuple[str, datetime]] = field(default_factory=dict)


def read(conn: Connection) -> LoadCounters:
    """The counters as stored."""
    reps = {
        r.rep_id: LoadRow(r.open_offers, r.held_offers, r.day_start, r.assigned_today, r.last_assigned_at)
        for r in conn.execute(select(rep_load))
    }
    holds = {r.offer_id: (r.rep_id, r.assigned_at) for r in conn.execute(select(load_holds))}
    return LoadCounters(reps, holds)


def recompute(
    conn: Connection, now: datetime, window: timedelta, zones: dict[str, ZoneInfo], *, by_window: bool = True
) -> LoadCounters:
    """The counters the offers imply at `now`: O(offers in the window) plus one query per rep.

    `zones` gives each rep's time zone (a rep not in it, no longer configured, counts in UTC). A claimed
    offer is held while its lead has no closing outcome and, when `by_window` (no outcome source), while
    the window covers its assignment.
    """
    since = now - window
    open_by_rep: dict[str, int] = dict(
        conn.execute(
            select(offers.c.rep_id, func.count()).where(offers.c.state == "open").group_by(offers.c.rep_id)
        ).all()
    )
    still_open = or_(leads.c.outcome.is_(None), leads.c.outcome.not_in(sorted(CLOSING_OUTCOMES)))
    claimed_offers = (
        select(offers.c.id, offers.c.rep_id, offers.c.assigned_at)
        .join(leads, leads.c.id == offers.c.lead_id)
        .where(offers.c.state == "claimed", still_open)
    )
    if by_window:
        claimed_offers = claimed_offers.where(offers.c.assigned_at >= since)
    holds = {r.id: (r.rep_id, r.assigned_at) for r in conn.execute(claimed_offers)}
    held = Counter(rep for rep, _at in holds.values())
    latest = conn.execute(select(offers.c.rep_id, func.max(offers.c.assigned_at)).group_by(offers.c.rep_id)).all()
    reps: dict[str, LoadRow] = {}
    count_since = (
        select(func.count())
        .select_from(offers)
        .where(offers.c.assigned_at >= bindparam("day", type_=UtcDateTime), offers.c.rep_id == bindparam("rep"))
    )
    for rep_id, last in latest:
        midnight = day_start(last, zones.get(rep_id, ZoneInfo("UTC")))
        today = conn.execute(count_since, {"day": midnight, "rep": rep_id}).scalar_one()
        reps[rep_id] = LoadRow(open_by_rep.get(rep_id, 0), held[rep_id], midnight, today, last)
    return LoadCounters(reps, holds)


def drift(stored: LoadCounters, wanted: LoadCounters) -> list[str]:
    """What differs between the stored counters and the recomputed ones, one line per difference."""
    lines = []
    for rep_id in sorted(stored.reps.keys() | wanted.reps.keys()):
        have, want = stored.reps.get(rep_id, LoadRow()), wanted.reps.get(rep_id, LoadRow())
        if _same_instant(have) != _same_instant(want):
            lines.append(f"rep {rep_id}: stored {have}, offers say {want}")
    for offer_id in sorted(stored.holds.keys() ^ wanted.holds.keys()):
        where = "stored but not held by the offers" if offer_id in stored.holds else "missing"
        lines.append(f"hold of offer {offer_id}: {where}")
    return lines


def _same_instant(row: LoadRow) -> tuple[Any, ...]:
    """`row` with its times in UTC (a recomputed midnight carries the rep's zone, a stored one UTC)."""
    day = row.day_start.astimezone(ZoneInfo("UTC")) if row.day_start is not None else None
    return (row.open_offers, row.held_offers, day, row.assigned_today, row.last_assigned_at)


def lock(conn: Connection) -> None:
    """On PostgreSQL, lock the counter tables until commit: a transition waits, then counts on top of
    what this transaction recomputes and stores, so nothing it does in between is lost (SQLite has
    one writer anyway). The win-rate tables come first: the outcome transition writes them before the
    load's, so both take the locks in one order."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE closed_leads, rep_results, rep_load, load_holds IN EXCLUSIVE MODE"))


def replace_all(conn: Connection, counters: LoadCounters) -> None:
    """Store exactly `counters`, in place of what was there (after `lock`)."""
    conn.execute(delete(load_holds))
    conn.execute(delete(rep_load))
    if counters.reps:
        conn.execute(
            insert(rep_load),
            [
                {
                    "rep_id": rep_id,
                    "open_offers": row.open_offers,
                    "held_offers": row.held_offers,
                    "day_start": row.day_start,
                    "assigned_today": row.assigned_today,
                    "last_assigned_at": row.last_assigned_at,
                }
                for rep_id, row in counters.reps.items()
            ],
        )
    if counters.holds:
        conn.execute(
            insert(load_holds),
            [{"offer_id": o, "rep_id": rep, "assigned_at": at} for o, (rep, at) in counters.holds.items()],
        )
