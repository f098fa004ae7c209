"""Fresh databases for benchmarks: one SQLite file or one scratch PostgreSQL database per measurement."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage import upgrade

MakeUrl = Callable[[], Awaitable[str]]


def sqlite_files(directory: str, prefix: str) -> MakeUrl:
    """A new SQLite file in `directory` on every call (migrated on first connect)."""
    names = iter(range(10**6))

    async def make() -> str:
        return f"sqlite+aiosqlite:///{Path(directory) / f'{prefix}{next(names)}.db'}"

    return make


class ScratchPostgres:
    """Fresh, migrated databases next to the one `url` names; all dropped by `drop`."""

    def __init__(self, url: str, prefix: str) -> None:
        self.server = make_url(url)
        self.admin = create_async_engine(self.server, isolation_level="AUTOCOMMIT")
        self.prefix = prefix
        self.names: list[str] = []

    async def make(self) -> str:
        name = f"{self.prefix}{uuid.uuid4().hex[:8]}"
        async with self.admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        url = self.server.set(database=name).render_as_string(hide_password=False)
        await upgrade(url)
        return url

    async def drop(self) -> None:
        async with self.admin.connect() as conn:
            for name in self.names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await self.admin.dispose()
