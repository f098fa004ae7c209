"""Migrations: a fresh SQLite file is migrated on connect; PostgreSQL only by `upgrade`."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import storage
from storage import Database, Outbox, SchemaMissing, StorageError, connect, upgrade
from storage.tables import metadata
from tests.storage.conftest import T0


async def test_a_fresh_sqlite_file_is_migrated_on_connect_with_the_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    db = await connect(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.read() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    finally:
        await db.close()
    assert pragmas == ["wal", 1, 1, 5000]  # synchronous 1 = NORMAL
    assert version == "0010"
    again = await connect(f"sqlite+aiosqlite:///{path}")  # already current: nothing to do
    await again.close()


async def test_the_migrated_schema_is_exactly_the_tables_module(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    assert diff == []


async def test_sqlite_refuses_an_unmigrated_file_when_told_not_to_migrate(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissing, match="leadrelay db upgrade"):
        await connect(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", migrate=False)
    with pytest.raises(StorageError, match="memory"):
        await connect("sqlite+aiosqlite:///:memory:")


@pytest.mark.postgres
@pytest.mark.skipif("LEADRELAY_TEST_POSTGRES_URL" not in os.environ, reason="needs PostgreSQL")
async def test_postgres_is_migrated_by_upgrade_only() -> None:
    server = make_url(os.environ["LEADRELAY_TEST_POSTGRES_URL"])
    name = f"leadrelay_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        with pytest.raises(SchemaMissing, match="no Leadrelay schema"):
            await connect(url)
        await upgrade(url)
        await upgrade(url)  # idempotent
        db = await connect(url)
        await db.close()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _migrate_to(url: str, revision: str) -> None:
    """Run the migrations up to `revision` (not head), as an older Leadrelay left the database."""

    def run(sync: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(Path(storage.__file__).with_name("migrations")))
        config.attributes["connection"] = sync
        command.upgrade(config, revision)

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(run)
    await engine.dispose()


_OLD_ROWS = """
INSERT INTO outbox (kind, target, payload, dedup_key, attempts, next_attempt_at, created_at, sent_at)
VALUES ('offer_dm', 'ana', '{}', 'old:1', 1, '2026-03-02 09:00:00+00:00', '2026-03-02 09:00:00+00:00', NULL),
       ('offer_update', 'ana', '{}', 'old:2', 0, '2026-03-02 09:00:00+00:00', '2026-03-02 09:00:00+00:00', NULL),
       ('lead_thread_note', 'CSALES', '{}', 'old:3', 1, '2026-03-02 09:00:00+00:00', '2026-03-02 09:00:00+00:00',
        '2026-03-02 09:00:01+00:00')
"""


async def _outbox_after_0002(url: str) -> list[tuple[str, str, str, int]]:
    """Leave `url` at 0001 with rows in its outbox (two pending for one rep, one sent), upgrade it, and
    lease what is due: the rows keep their addresses, attempts and order, as Slack rows."""
    await _migrate_to(url, "0001")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(_OLD_ROWS))
    await engine.dispose()
    await upgrade(url)
    db = await connect(url, migrate=False)
    try:
        leased = await Outbox(db).lease_due(T0, limit=10)
        async with db.read() as conn:
            rows = (
                await conn.execute(text("SELECT dedup_key, transport, address, attempts FROM outbox ORDER BY id"))
            ).all()
    finally:
        await db.close()
    assert [item.dedup_key for item in leased] == ["old:1"]  # old:2 waits behind it, for the same address
    assert (leased[0].transport, leased[0].address) == ("slack", "ana")
    return [tuple(row) for row in rows]


async def test_0002_keeps_every_outbox_row_as_a_slack_row_with_its_address(tmp_path: Path) -> None:
    rows = await _outbox_after_0002(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    assert rows == [("old:1", "slack", "ana", 2), ("old:2", "slack", "ana", 0), ("old:3", "slack", "CSALES", 1)]


@pytest.mark.postgres
@pytest.mark.skipif("LEADRELAY_TEST_POSTGRES_URL" not in os.environ, reason="needs PostgreSQL")
async def test_0002_keeps_every_outbox_row_on_postgres() -> None:
    server = make_url(os.environ["LEADRELAY_TEST_POSTGRES_URL"])
    name = f"leadrelay_0002_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        rows = await _outbox_after_0002(server.set(database=name).render_as_string(hide_password=False))
        assert rows == [("old:1", "slack", "ana", 2), ("old:2", "slack", "ana", 0), ("old:3", "slack", "CSALES", 1)]
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
