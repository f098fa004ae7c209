"""The report suite runs on the storage suite's databases: SQLite always, PostgreSQL when set."""

from tests.storage.conftest import db, db_url, engine, pg_url, store, views

__all__ = ["db", "db_url", "engine", "pg_url", "store", "views"]
