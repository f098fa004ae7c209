"""Each rep's won and closed leads over the performance window, as counters kept by the outcome
transition, so routing reads them in O(reps) whatever the history (see `storage.state`).

A lead counts once, for its owner, by its *current* outcome (the latest to occur): when that closes it
(won, lost, disqualified) and occurred within the window, `closed_leads` holds one row for it and
`rep_results` counts it (`closed`, and `won` if won). A later outcome replaces the lead's contribution
(`count`): a `reopened` takes it away, a `lost` after a `won` turns a win into a loss. The window
passing a row is settled by the SLA timers' sweep (`settle`, a timer rather than a scan), and until
then the state read subtracts it, so the read is exact whenever the sweep runs. `leadrelay db check`
recomputes both tables from the outcomes (`recompute`, `drift`, `replace_all`).
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime

from sqlalchemy import Connection, Executable, bindparam, delete, insert, select, update

from storage import batches
from storage.model import CLOSING_OUTCOMES, OutcomeState
from storage.tables import closed_leads, leads, outcomes, rep_results

SETTLE_BATCH = 1000  # rows settled per sweep transaction


def count(conn: Connection, *, lead_id: int, rep_id: str, state: str, occurred_at: datetime, since: datetime) -> None:
    """The lead's current outcome is now `state` (occurred at `occurred_at`), owned by `rep_id`: its
    old contribution goes, and a closing outcome within the window (after `since`) counts."""
    forget(conn, lead_id)
    if state not in CLOSING_OUTCOMES or occurred_at < since:
        return
    won = state == OutcomeState.WON
    conn.execute(insert(closed_leads), {"lead_id": lead_id, "rep_id": rep_id, "closed_at": occurred_at, "won": won})
    conn.execute(_upsert(conn.dialect.name), {"rep": rep_id, "won": int(won)})


def forget(conn: Connection, lead_id: int) -> None:
    """The lead no longer counts in its owner's results (if it did)."""
    gone = conn.execute(_DROP, {"lead": lead_id}).one_or_none()
    if gone is not None:
        conn.execute(_LESS, [{"rep": gone.rep_id, "won": int(gone.won), "closed": 1}])


def settle(conn: Connection, since: datetime, *, limit: int = SETTLE_BATCH) -> int:
    """Drop up to `limit` closed leads whose outcome occurred before `since` (the window passed them);
    returns how many went."""
    columns = closed_leads.c
    gone = batches.take(
        conn,
        columns.lead_id,
        columns.closed_at,
        columns.closed_at < since,
        limit=limit,
        returning=(columns.rep_id, columns.won),
    )
    closed, won = Counter(r.rep_id for r in gone), Counter(r.rep_id for r in gone if r.won)
    if closed:
        conn.execute(_LESS, [{"rep": rep, "won": won[rep], "closed": n} for rep, n in sorted(closed.items())])
    return len(gone)


Closed = dict[int, tuple[str, datetime, bool]]  # lead id → (rep, closed_at, won)


def read(conn: Connection) -> Closed:
    """The closed leads as counted."""
    return {r.lead_id: (r.rep_id, r.closed_at, bool(r.won)) for r in conn.execute(select(closed_leads))}


def recompute(conn: Connection, since: datetime) -> Closed:
    """The closed leads the outcomes imply: each lead whose current outcome closes it and occurred
    after `since`, for the owner its current outcome was recorded with. O(such leads)."""
    current = outcomes.alias("current")
    rows = conn.execute(
        select(leads.c.id, current.c.rep_id, leads.c.outcome_at, leads.c.outcome)
        .join(
            current,
            (current.c.lead_id == leads.c.id)
            & (current.c.state == leads.c.outcome)
            & (current.c.occurred_at == leads.c.outcome_at),
        )
        .where(
            leads.c.outcome.in_(sorted(CLOSING_OUTCOMES)), leads.c.outcome_at >= since, current.c.rep_id.is_not(None)
        )
    )
    return {r.id: (r.rep_id, r.outcome_at, r.outcome == OutcomeState.WON) for r in rows}


def drift(conn: Connection, wanted: Closed) -> list[str]:
    """What differs between the stored results and `wanted`, one line per difference."""
    stored = read(conn)
    lines = [
        f"closed lead {lead_id}: stored {stored.get(lead_id)}, outcomes say {wanted.get(lead_id)}"
        for lead_id in sorted(stored.keys() | wanted.keys())
        if stored.get(lead_id) != wanted.get(lead_id)
    ]
    counts = {r.rep_id: (r.won, r.closed) for r in conn.execute(select(rep_results)) if r.won or r.closed}
    if counts != _totals(wanted):
        lines.append(f"rep results: stored {counts}, outcomes say {_totals(wanted)}")
    return lines


def replace_all(conn: Connection, wanted: Closed) -> None:
    """Store exactly `wanted` and the counts it implies."""
    conn.execute(delete(closed_leads))
    conn.execute(delete(rep_results))
    if wanted:
        conn.execute(
            insert(closed_leads),
            [{"lead_id": i, "rep_id": rep, "closed_at": at, "won": won} for i, (rep, at, won) in wanted.items()],
        )
        conn.execute(
            insert(rep_results),
            [{"rep_id": rep, "won": won, "closed": n} for rep, (won, n) in sorted(_totals(wanted).items())],
        )


def _totals(closed: Closed) -> dict[str, tuple[int, int]]:
    won, total = Counter[str](), Counter[str]()
    for rep, _at, is_won in closed.values():
        total[rep] += 1
        won[rep] += is_won
    return {rep: (won[rep], n) for rep, n in total.items()}


_DROP = (
    delete(closed_leads)
    .where(closed_leads.c.lead_id == bindparam("lead"))
    .returning(closed_leads.c.rep_id, closed_leads.c.won)
)
_LESS = (
    update(rep_results)
    .where(rep_results.c.rep_id == bindparam("rep"))
    .values(won=rep_results.c.won - bindparam("won"), closed=rep_results.c.closed - bindparam("closed"))
)


@functools.cache
def _upsert(dialect: str) -> Executable:
    """One more closed lead (and `won` more wins) for a rep, creating their row on the first."""
    from storage.writes import upsert_insert  # writes imports storage.load, which this module mirrors

    row = upsert_insert(dialect)(rep_results).values(rep_id=bindparam("rep"), won=bindparam("won"), closed=1)
    stmt: Executable = row.on_conflict_do_update(
        index_elements=[rep_results.c.rep_id],
        set_={"won": rep_results.c.won + row.excluded.won, "closed": rep_results.c.closed + 1},
    )
    return stmt
