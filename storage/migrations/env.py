"""Alembic environment: runs on the connection `storage.db.upgrade` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.tables import metadata


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through storage.upgrade(url) or `leadrelay db upgrade`")
    # Batch mode lets later revisions alter SQLite tables (copy-and-move, as SQLite has no ALTER).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


_run()
