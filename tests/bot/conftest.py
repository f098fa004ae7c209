from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.harness import Stack, running_stack
from tests.storage.conftest import db_url, pg_url  # noqa: F401 - fixtures: SQLite, and PostgreSQL when set


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path) as running:
        yield running


@pytest.fixture
async def stack_on_each_db(tmp_path: Path, db_url: str) -> AsyncIterator[Stack]:  # noqa: F811
    """The stack on SQLite, and on PostgreSQL when LEADRELAY_TEST_POSTGRES_URL is set."""
    async with running_stack(tmp_path, database_url=db_url) as running:
        yield running
