"""Picking a sweep's batch: the rows a periodic job settles, a bounded number at a time.

The ids are selected in a statement of their own, then changed by id. PostgreSQL may run a subquery
inside `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` more than once and so take
more than `n` rows (see `storage.timers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, select


def oldest_before(
    conn: Connection, key: Column[Any], moment: Column[Any], before: datetime, limit: int
) -> Sequence[Any]:
    """Up to `limit` values of `key` whose `moment` is before `before`, oldest first, locked; on
    PostgreSQL rows another replica holds are skipped, so replicas settle disjoint batches."""
    pick = select(key).where(moment < before).order_by(moment).limit(limit).with_for_update(skip_locked=True)
    return conn.execute(pick).scalars().all()
