"""Picking a sweep's batch: the rows a periodic job changes, a bounded number at a time.

The ids are selected in a statement of their own, then changed by id. PostgreSQL may run a subquery
inside `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` more than once, each run
skipping the rows the statement already changed, and so take more than `n` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Row, delete, select


def pick(
    conn: Connection, key: Column[Any], order: Column[Any], *where: ColumnElement[bool], limit: int
) -> Sequence[Any]:
    """Up to `limit` values of `key` of the rows `where` holds for, earliest `order` first (then `key`),
    locked; on PostgreSQL rows another replica holds are skipped, so replicas take disjoint batches
    and a repeated call finds what the first left."""
    stmt = select(key).where(*where).order_by(order, key).limit(limit).with_for_update(skip_locked=True)
    return conn.execute(stmt).scalars().all()


def take(
    conn: Connection,
    key: Column[Any],
    order: Column[Any],
    *where: ColumnElement[bool],
    limit: int,
    returning: Sequence[Column[Any]],
) -> Sequence[Row[Any]]:
    """Delete the rows `pick` picks; returns their `returning` columns (in no particular order)."""
    due = pick(conn, key, order, *where, limit=limit)
    if not due:
        return []
    table = key.table
    return conn.execute(delete(table).where(key.in_(due)).returning(*returning)).all()
