"""Retention: operational rows that have done their job are deleted after a while; the audit trail,
the record of what happened to every lead, is never pruned.

Pruned once older than `keep`: outbox rows delivered (`sent_at`) or given up (`failed_at`, kept as
long so an operator can still read the error), and PTO windows that ended (the audit keeps who set
and cleared them). Each call deletes at most `limit` rows of each kind, read by index, so a first run
on a large database catches up over a few runs instead of holding the writer for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, select

from storage.db import Database
from storage.tables import outbox, rep_pto

DEFAULT_KEEP = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows one `prune` deleted, per kind."""

    outbox: int
    pto: int


class Retention:
    """Deletes operational rows past their retention (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def prune(self, now: datetime, *, keep: timedelta = DEFAULT_KEEP, limit: int = 5000) -> Pruned:
        """Delete up to `limit` outbox rows delivered or failed before `now - keep`, and up to `limit`
        PTO windows that ended before then. One write transaction."""
        before = now - keep

        def work(conn: Connection, _locks: frozenset[str]) -> Pruned:
            # Delivered rows by (sent_at, …); failed ones are among the unsent (sent_at IS NULL), which
            # the same index bounds by what is pending, not by history.
            done = select(outbox.c.id).where(
                or_(outbox.c.sent_at < before, (outbox.c.sent_at.is_(None) & (outbox.c.failed_at < before)))
            )
            gone = conn.execute(delete(outbox).where(outbox.c.id.in_(done.limit(limit).scalar_subquery())))
            ended = select(rep_pto.c.id).where(rep_pto.c.ends_at < before)
            pto = conn.execute(delete(rep_pto).where(rep_pto.c.id.in_(ended.limit(limit).scalar_subquery())))
            return Pruned(outbox=gone.rowcount, pto=pto.rowcount)

        return await self.db.transact(work)
