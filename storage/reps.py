"""Rep runtime state people change from Slack: PTO windows, capacity overrides, pause; each audited, and
the rep told by DM (an outbox row in the same transaction) when someone else, their manager, made it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from routing import Window
from storage import messages
from storage.events import RepChanged
from storage.model import RepUpdate
from storage.rows import AnyRow
from storage.scope import Scope
from storage.tables import rep_pto, rep_settings
from storage.writes import queue, upsert_insert, write_audit


class Reps:
    """PTO, capacity and pause, with who set them and when."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def set_pto(self, rep_id: str, window: Window, *, by: str, now: datetime) -> RepUpdate:
        """Record a PTO window for the rep (`pto_id` of the result). Raises UnknownPerson."""
        self.scope.rep(rep_id)
        actor = self.scope.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> RepUpdate:
            pto = {"rep_id": rep_id, "starts_at": window.start, "ends_at": window.end, "set_by": by, "set_at": now}
            pto_id = conn.execute(insert(rep_pto).returning(rep_pto.c.id), pto).scalar_one()
            audit_id = write_audit(
                conn,
                at=now,
                actor=actor,
                rep_id=rep_id,
                to_state="pto",
                reason=f"PTO {window.start.isoformat()} to {window.end.isoformat()}",
                detail={"pto_id": pto_id},
            )
            told = messages.rep_settings(
                rep_id=rep_id,
                change="pto",
                by=by,
                audit_id=audit_id,
                starts_at=window.start.isoformat(),
                ends_at=window.end.isoformat(),
            )
            queued = queue(conn, told, now)
            changed = RepChanged(at=now, queued=queued, rep_id=rep_id, change="pto", by=by)
            return RepUpdate(rep_id=rep_id, pto_id=int(pto_id), events=(changed,))

        return await self.scope.transact(work)

    async def clear_pto(self, rep_id: str, *, by: str, now: datetime) -> RepUpdate:
        """Clear the rep's PTO windows that are not over yet (how many: `cleared` of the result; none
        commits no event). Raises UnknownPerson."""
        self.scope.rep(rep_id)
        actor = self.scope.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> RepUpdate:
            clear = (
                update(rep_pto)
                .where(rep_pto.c.rep_id == rep_id, rep_pto.c.cleared_at.is_(None), rep_pto.c.ends_at > now)
                .values(cleared_by=by, cleared_at=now)
                .returning(rep_pto.c.id)
            )
            cleared = conn.execute(clear).scalars().all()
            if cleared:
                audit_id = write_audit(
                    conn,
                    at=now,
                    actor=actor,
                    rep_id=rep_id,
                    from_state="pto",
                    to_state="available",
                    reason=f"PTO cleared ({len(cleared)} window(s))",
                    detail={"pto_ids": sorted(cleared)},
                )
                told = messages.rep_settings(
                    rep_id=rep_id, change="pto_cleared", by=by, audit_id=audit_id, cleared=len(cleared)
                )
                queued = queue(conn, told, now)
                changed = RepChanged(at=now, queued=queued, rep_id=rep_id, change="pto_cleared", by=by)
                return RepUpdate(rep_id=rep_id, cleared=len(cleared), events=(changed,))
            return RepUpdate(rep_id=rep_id)

        return await self.scope.transact(work)

    async def set_capacity(self, rep_id: str, capacity: int | None, *, by: str, now: datetime) -> RepUpdate:
        """Override the rep's configured capacity (None: back to the config).

        Raises UnknownPerson, ValueError for a negative capacity.
        """
        if capacity is not None and capacity < 0:
            raise ValueError("capacity must be zero or more")
        configured = self.scope.rep(rep_id).capacity
        return await self._set_rep(
            rep_id,
            "capacity",
            {"capacity_override": capacity, "capacity_set_by": by, "capacity_set_at": now},
            by=by,
            now=now,
            describe=lambda row: (
                f"capacity {configured} (config)"
                if row is None or row.capacity_override is None
                else f"capacity {row.capacity_override}"
            ),
            facts={"capacity": capacity if capacity is not None else configured},
        )

    async def set_paused(self, rep_id: str, paused: bool, *, by: str, now: datetime) -> RepUpdate:
        """Pause or resume routing to the rep. Raises UnknownPerson."""
        return await self._set_rep(
            rep_id,
            "paused",
            {"paused": paused, "paused_set_by": by, "paused_set_at": now},
            by=by,
            now=now,
            describe=lambda row: "paused" if row is not None and row.paused else "active",
            facts={"paused": paused},
        )

    async def _set_rep(
        self,
        rep_id: str,
        change: str,
        values: Mapping[str, Any],
        *,
        by: str,
        now: datetime,
        describe: Callable[[AnyRow | None], str],
        facts: Mapping[str, Any],
    ) -> RepUpdate:
        """Upsert the rep's settings row with `values`, audit the `change` as `describe` puts it, and DM
        the rep the `facts` of it when someone else made it."""
        self.scope.rep(rep_id)
        actor = self.scope.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> RepUpdate:
            current = select(rep_settings).where(rep_settings.c.rep_id == rep_id)
            before = conn.execute(current).one_or_none()
            stmt = upsert_insert(conn.dialect.name)(rep_settings).values(rep_id=rep_id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=[rep_settings.c.rep_id], set_=dict(values)))
            after = conn.execute(current).one()
            audit_id = write_audit(
                conn,
                at=now,
                actor=actor,
                rep_id=rep_id,
                from_state=describe(before),
                to_state=describe(after),
                reason=f"{describe(after)}, set by @{by}",
            )
            told = messages.rep_settings(rep_id=rep_id, change=change, by=by, audit_id=audit_id, **facts)
            queued = queue(conn, told, now)
            return RepUpdate(
                rep_id=rep_id, events=(RepChanged(at=now, queued=queued, rep_id=rep_id, change=change, by=by),)
            )

        return await self.scope.transact(work)
