"""Poll cursors on record: where each poll of an outside system (a CRM's outcomes) got to.

The cursor is opaque here (the poller's own, a CRM timestamp); it lives in the database, not in memory,
so a restarted process, or another replica, reads on exactly from where the last poll stopped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from storage.db import Database
from storage.tables import poll_cursors
from storage.writes import upsert_insert


class PollCursors:
    """`get` and `advance` the cursor of the poll called `name` (like ``crm:hubspot``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, name: str) -> str | None:
        """The cursor the last poll of `name` stored; None before its first."""
        async with self.db.read() as conn:
            stmt = select(poll_cursors.c.cursor).where(poll_cursors.c.name == name)
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def advance(self, name: str, cursor: str, *, now: datetime) -> None:
        """Store `cursor` as where the poll of `name` got to (replacing the last one)."""

        def work(conn: Connection, _locks: frozenset[str]) -> None:
            stmt = upsert_insert(conn.dialect.name)(poll_cursors).values(name=name, cursor=cursor, updated_at=now)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[poll_cursors.c.name], set_={"cursor": cursor, "updated_at": now}
                )
            )

        await self.db.transact(work)
