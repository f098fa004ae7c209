"""The identity checks' results on record: one row per person and channel, replaced by each check."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select, text

from storage.db import Database
from storage.model import IdentityCheck
from storage.tables import identity_checks


class IdentityChecks:
    """`record` the findings of one whole check; `latest` reads them back."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, checks: Sequence[IdentityCheck]) -> None:
        """Replace what is on record with `checks`, in one transaction: a subject the config no longer
        names goes, so the table always says what the last check found."""
        rows = [
            {"subject": c.subject, "ok": c.ok, "detail": c.detail, "fix": c.fix, "checked_at": c.checked_at}
            for c in checks
        ]

        def work(conn: Connection, _locks: frozenset[str]) -> None:
            if conn.dialect.name == "postgresql":
                # Replicas starting together each replace the table: without the lock both deletes
                # see nothing to delete and the second insert hits the first's rows.
                conn.execute(text("LOCK TABLE identity_checks IN EXCLUSIVE MODE"))
            conn.execute(delete(identity_checks))
            if rows:
                conn.execute(insert(identity_checks), rows)

        await self.db.transact(work)

    async def latest(self) -> list[IdentityCheck]:
        """What the last check found, failures first, then by subject."""
        stmt = select(identity_checks).order_by(identity_checks.c.ok, identity_checks.c.subject)
        async with self.db.read() as conn:
            return [
                IdentityCheck(subject=r.subject, ok=r.ok, detail=r.detail, fix=r.fix, checked_at=r.checked_at)
                for r in await conn.execute(stmt)
            ]
