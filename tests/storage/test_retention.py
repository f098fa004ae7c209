"""Retention: delivered and failed outbox rows and ended PTO go after their age; the audit stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from routing import Window
from storage import Database, Outbox, Store
from storage.tables import audit, rep_pto
from storage.tables import outbox as outbox_table
from tests.storage.conftest import T0, offered

KEEP = timedelta(days=30)


async def _count(db: Database, table: object) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_prune_deletes_what_is_done_and_old_and_keeps_the_rest(
    store: Store, db: Database, outbox: Outbox
) -> None:
    await offered(store)  # its DM: delivered below
    await offered(store)  # its DM: given up below
    leased = await outbox.lease_due(T0)
    assert len(leased) == 2
    await outbox.mark_sent(leased[0].id, channel="D1", ts="1.1", now=T0)
    await outbox.mark_failed(leased[1].id, error="channel_not_found", now=T0)
    await store.set_pto("ana", Window(T0, T0 + timedelta(days=2)), by="ana", now=T0)
    later = T0 + KEEP + timedelta(days=3)
    await offered(store, now=later)  # a fresh DM, still pending
    audit_rows = await _count(db, audit)

    assert (await store.prune(T0 + KEEP, keep=KEEP)).outbox == 0  # nothing is old enough yet
    pruned = await store.prune(later, keep=KEEP)

    assert (pruned.outbox, pruned.pto) == (2, 1)
    async with db.read() as conn:
        left = [(r.sent_at, r.failed_at) for r in await conn.execute(select(outbox_table))]
        pto = (await conn.execute(select(func.count()).select_from(rep_pto))).scalar_one()
    assert left == [(None, None)] and pto == 0
    assert await _count(db, audit) == audit_rows  # the record of what happened stays whole
