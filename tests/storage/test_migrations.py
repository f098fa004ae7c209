"""Migrations: a fresh SQLite file is migrated on connect; PostgreSQL only by `upgrade`."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage import Database, SchemaMissing, StorageError, connect, upgrade
from storage.tables import metadata


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
    assert version == "0003"
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
