"""The routing state snapshot, read in one statement whatever the number of reps and pools.

One ``UNION ALL`` returns tagged rows:

* ``load``    per rep who had offers: open load, offers since the start of the rep's local day and
              the latest assignment within the load window, from the counters of `storage.load`
              (one row per rep), less the claimed offers the window has passed that the sweep has
              not settled yet (``load_holds (assigned_at)``), plus the latest offer still open from
              before the window (``offers (rep_id, assigned_at) WHERE state = 'open'``);
* ``result``  per rep with outcomes: won and closed leads within `performance_window` (90 days by
              default), from the counters of `storage.results`, less the closed leads the window has
              passed that the sweep has not settled yet (``closed_leads (closed_at)``);
* ``setting`` per rep with runtime settings: capacity override and paused flag;
* ``pto``     every PTO window not cleared and not yet over (active or future);
* ``pool``    every pool's turn with each member's standing;
* ``tried``   reps who already had an offer for the lead being routed.

**Open load** is the rep's open offers plus the offers they accepted whose lead has no closing outcome
(won, lost, disqualified). Without an outcome source nothing says when a rep is done with a lead, so a
claimed one also stops counting `load_window` (seven days by default) after its assignment. A released
lead stops counting at once.
**Assigned today** counts offers since midnight in the rep's time zone; **last assigned at** is the
latest assignment within the load window (None before that).

The read is O(reps + pools + PTO windows), whatever the number of offers stored or in the window.
The statement is built once per config and runs with bound times, so SQLAlchemy compiles it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Float,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from routing import PoolMember, PoolState, RepState, RoutingConfig, RoutingState, Window
from storage.load import MIN_LOAD_WINDOW, day_start
from storage.tables import (
    UtcDateTime,
    closed_leads,
    load_holds,
    offers,
    pool_members,
    pools,
    rep_load,
    rep_pto,
    rep_results,
    rep_settings,
)

_COLUMNS = ("kind", "rep_id", "pool_id", "n1", "n2", "n3", "t1", "t2", "x")
_TYPES: Mapping[str, Any] = {
    "rep_id": String,
    "pool_id": String,
    "n1": Integer,
    "n2": Integer,
    "n3": Integer,
    "t1": UtcDateTime,
    "t2": UtcDateTime,
    "x": Float,
}


_NO_HISTORY = RepState()


def _arm(kind: str, **cols: Any) -> Any:
    """One SELECT of the union with every column present, typed, in `_COLUMNS` order."""
    out = [literal(kind, String).label("kind")]
    for name in _COLUMNS[1:]:
        value = cols.get(name)
        out.append((cast(null(), _TYPES[name]) if value is None else value).label(name))
    return select(*out)


class StateReader:
    """Reads `RoutingState` snapshots for one routing config."""

    def __init__(
        self,
        config: RoutingConfig,
        load_window: timedelta,
        *,
        claims_close_by_window: bool = True,
        performance_window: timedelta = timedelta(days=90),
    ) -> None:
        if load_window < MIN_LOAD_WINDOW:
            raise ValueError(f"the load window must be at least {MIN_LOAD_WINDOW}, not {load_window}")
        self.config = config
        self.load_window = load_window
        self.claims_close_by_window = claims_close_by_window
        self.performance_window = performance_window
        zones: dict[ZoneInfo, list[str]] = defaultdict(list)
        for rep in config.reps.values():
            zones[rep.tz].append(rep.id)
        self._zones = list(zones.items())
        self._statement = self._build(with_tried=False)
        self._statement_tried = self._build(with_tried=True)

    def _build(self, *, with_tried: bool) -> CompoundSelect[Any]:
        c, o, h = rep_load.c, offers, load_holds
        # Each rep's local midnight, bound per time zone (`day0`, `day1`, …) at every read.
        midnight: Any = bindparam("day0", type_=UtcDateTime)
        if len(self._zones) > 1:
            midnight = case(
                *(
                    (c.rep_id.in_(reps), bindparam(f"day{i}", type_=UtcDateTime))
                    for i, (_tz, reps) in enumerate(self._zones)
                )
            )
        since = bindparam("since", type_=UtcDateTime)
        # The counters: one row per rep who ever had an offer.
        counters = _arm(
            "load",
            rep_id=c.rep_id,
            n1=c.open_offers + c.held_offers,
            n2=case((c.day_start == midnight, c.assigned_today), else_=0),
            t1=case((c.last_assigned_at >= since, c.last_assigned_at)),
        )
        # Holds the window has passed that the sweep has not settled yet: few, read by `assigned_at`.
        passed = (
            _arm("load", rep_id=h.c.rep_id, n1=-func.count(), n2=literal(0, Integer))
            .where(h.c.assigned_at < since)
            .group_by(h.c.rep_id)
        )
        # The latest offer still open from before the window (an SLA longer than it): few, if any,
        # read from the partial index of open offers.
        older_open = (
            _arm(
                "load", rep_id=o.c.rep_id, n1=literal(0, Integer), n2=literal(0, Integer), t1=func.max(o.c.assigned_at)
            )
            .where(o.c.state == "open", o.c.assigned_at < since)
            .group_by(o.c.rep_id)
        )
        # Each rep's won / closed within the performance window (`storage.results`), less the closed
        # leads the window has passed that the sweep has not settled yet (few, read by `closed_at`).
        results = _arm("result", rep_id=rep_results.c.rep_id, n1=rep_results.c.won, n2=rep_results.c.closed)
        results_passed = (
            _arm(
                "result",
                rep_id=closed_leads.c.rep_id,
                n1=-func.sum(case((closed_leads.c.won, 1), else_=0)),
                n2=-func.count(),
            )
            .where(closed_leads.c.closed_at < bindparam("results_since", type_=UtcDateTime))
            .group_by(closed_leads.c.rep_id)
        )
        settings = _arm(
            "setting",
            rep_id=rep_settings.c.rep_id,
            n1=rep_settings.c.capacity_override,
            n2=case((rep_settings.c.paused, 1), else_=0),
        )
        pto = _arm("pto", rep_id=rep_pto.c.rep_id, t1=rep_pto.c.starts_at, t2=rep_pto.c.ends_at).where(
            rep_pto.c.cleared_at.is_(None), rep_pto.c.ends_at > bindparam("now", type_=UtcDateTime)
        )
        pool = _arm(
            "pool",
            pool_id=pools.c.pool_id,
            rep_id=pool_members.c.rep_id,
            n1=pools.c.turn,
            n2=pool_members.c.last_turn,
            n3=pool_members.c.assigned,
            x=pool_members.c.credit,
        ).select_from(pools.outerjoin(pool_members, pool_members.c.pool_id == pools.c.pool_id))
        arms = [counters, older_open, results, results_passed, settings, pto, pool]
        if self.claims_close_by_window:  # with an outcome source, a claim stays until its outcome
            arms.append(passed)
        if with_tried:
            arms.append(_arm("tried", rep_id=o.c.rep_id).where(o.c.lead_id == bindparam("lead_id")).distinct())
        return union_all(*arms)

    def load(
        self,
        conn: Connection,
        now: datetime,
        *,
        lead_id: int | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> RoutingState:
        """The `RoutingState` at `now` for the configured reps and pools, in one statement.

        `tried` is `exclude` plus, when `lead_id` is given, every rep who had an offer for that lead.
        `pools` holds the stored pools with the members each has registered, exactly as stored: the
        engine reads a configured member missing from its pool as new to the team and calibrates them.
        """
        params: dict[str, Any] = {
            "now": now,
            "since": now - self.load_window,
            "results_since": now - self.performance_window,
        }
        params.update({f"day{i}": day_start(now, tz) for i, (tz, _reps) in enumerate(self._zones)})
        statement = self._statement
        if lead_id is not None:
            statement, params["lead_id"] = self._statement_tried, lead_id
        rows = conn.execute(statement, params).all()
        return self._snapshot(rows, exclude)

    def _snapshot(self, rows: Any, exclude: frozenset[str]) -> RoutingState:
        reps: dict[str, dict[str, Any]] = defaultdict(dict)
        pto: dict[str, list[Window]] = defaultdict(list)
        turns: dict[str, int] = {}
        members: dict[str, dict[str, PoolMember]] = defaultdict(dict)
        tried = set(exclude)
        for kind, rep_id, pool_id, n1, n2, n3, t1, t2, x in rows:  # unpacked: much faster than by name
            if kind == "load":
                rep = reps[rep_id]
                rep["open_load"] = rep.get("open_load", 0) + n1
                rep["assigned_today"] = rep.get("assigned_today", 0) + n2
                if t1 is not None and (rep.get("last_assigned_at") is None or t1 > rep["last_assigned_at"]):
                    rep["last_assigned_at"] = t1
            elif kind == "result":
                rep = reps[rep_id]
                rep["won"] = rep.get("won", 0) + n1
                rep["closed"] = rep.get("closed", 0) + n2
            elif kind == "setting":
                reps[rep_id].update(capacity_override=n1, paused=bool(n2))
            elif kind == "pto":
                pto[rep_id].append(Window(t1, t2))
            elif kind == "pool":
                turns[pool_id] = n1
                if rep_id is not None:
                    members[pool_id][rep_id] = PoolMember(last_turn=n2, assigned=n3, credit=x)
            else:
                tried.add(rep_id)
        for rep_id, windows in pto.items():
            reps[rep_id]["pto"] = tuple(sorted(windows, key=lambda w: w.start))
        states = {rep_id: RepState(**fields) for rep_id, fields in reps.items() if rep_id in self.config.reps}
        return RoutingState(
            # A rep whose counters are all back to nothing reads as one with no history, as before.
            reps={rep_id: rep for rep_id, rep in states.items() if rep != _NO_HISTORY},
            pools={pool_id: PoolState(turn=turn, members=members[pool_id]) for pool_id, turn in turns.items()},
            tried=frozenset(tried),
        )
