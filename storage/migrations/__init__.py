"""Alembic migrations for the Leadrelay schema; run them with `storage.upgrade(url)`."""
