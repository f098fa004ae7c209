"""Fixtures for the storage contract suite.

`db` is parametrised over the engines: a SQLite file in a temp dir always, and PostgreSQL when
``LEADRELAY_TEST_POSTGRES_URL`` is set (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``).
For PostgreSQL the session creates its own scratch database next to the one named (so parallel
suites never share tables), migrates it once, and every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from routing import Engine, Lead, RoutingConfig, parse_config
from storage import Database, Outbox, Store, Views, connect, upgrade
from storage.tables import outbox as outbox_table
from tests.sqlite_template import migrated_sqlite, migrated_template

PG_URL = os.environ.get("LEADRELAY_TEST_POSTGRES_URL")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
SLA = timedelta(minutes=15)

CONFIG_YAML = """
timezone: UTC
working_hours: always
managers:
  - {id: hana, name: Hana Head}
  - {id: maria, name: Maria Manager, reports_to: hana}
reps:
  - {id: ana, name: Ana, manager: maria}
  - {id: ben, name: Ben, manager: maria}
  - {id: cy, name: Cy, manager: maria}
  - {id: kai, name: Kai, timezone: Asia/Tokyo}
  - {id: otto, name: Otto}
%(bulk_reps)s
teams:
  - id: sales
    members: [ana, ben, cy]
    manager: maria
    channel: CSALES
    escalation: {after_expiries: 2, pings_per_level: 2}
  - {id: tokyo, members: [kai], manager: maria}
  - {id: bulk, members: [%(bulk_ids)s], strategy: round_robin}
qualification: {min_score: 20}
rules:
  - {name: bulk, when: {source: bulk}, route: {team: bulk}}
  - {name: japan, when: {country: JP}, route: {team: tokyo}}
  - {name: partner, when: {source: partner}, route: {rep: otto}}
  - {name: everyone, route: {team: sales}}
sla:
  - {name: standard, within: 15m, remind_at: 0.5}
fallback: {team: sales}
"""
BULK = [f"r{i}" for i in range(10)]


def make_config() -> RoutingConfig:
    return parse_config(
        CONFIG_YAML
        % {
            "bulk_reps": "\n".join(f"  - {{id: {rep}, name: Rep {rep}, capacity: 1000}}" for rep in BULK),
            "bulk_ids": ", ".join(BULK),
        }
    )


CONFIG = make_config()

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(PG_URL is None, reason="set LEADRELAY_TEST_POSTGRES_URL to run on PostgreSQL"),
        ],
    ),
]
_TABLES = (
    *("audit", "outbox", "load_holds", "rep_load", "closed_leads", "rep_results", "outcomes", "lead_repeats"),
    *("offers", "held_leads", "leads", "pool_members", "pools", "rep_pto", "rep_settings", "poll_cursors"),
)
# Empty every table and restart every id sequence. DELETE, not TRUNCATE: on tables this small it is
# 6 ms where TRUNCATE takes 45 (a new file per table), on each of some 600 PostgreSQL tests.
# `session_replication_role = replica` switches the foreign-key triggers off, so the order is free.
_EMPTY = f"""
DO $$
DECLARE seq record;
BEGIN
    SET LOCAL session_replication_role = replica;
    {" ".join(f"DELETE FROM {table};" for table in _TABLES)}
    FOR seq IN SELECT relname FROM pg_class WHERE relkind = 'S' LOOP
        EXECUTE format('ALTER SEQUENCE %I RESTART', seq.relname);
    END LOOP;
END $$
"""


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this session, migrated once, dropped at the end."""
    assert PG_URL is not None
    server = make_url(PG_URL)
    name = f"leadrelay_storage_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    url = server.set(database=name).render_as_string(hide_password=False)
    _run_aside(admin(f'CREATE DATABASE "{name}"'))
    _run_aside(upgrade(url))
    yield url
    _run_aside(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def _run_aside(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on a loop of its own: this session fixture is first requested from inside a test's."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return await migrated_sqlite(tmp_path)
    url: str = request.getfixturevalue("pg_url")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(_EMPTY))
    await engine.dispose()
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = await connect(db_url)
    yield database
    await database.close()


@pytest.fixture
def engine() -> Engine:
    return Engine(CONFIG)


@pytest.fixture
def store(db: Database, engine: Engine) -> Store:
    return Store(db, engine)


@pytest.fixture
def outbox(db: Database) -> Outbox:
    return Outbox(db)


@pytest.fixture
def views(db: Database) -> Views:
    return Views(db, CONFIG)


def lead(**fields: Any) -> Lead:
    return Lead(**{"email": "jo@example.com", "first_name": "Jo", "company": "Example", "score": 50, **fields})


async def new_lead(store: Store, now: datetime = T0, *, source: str = "web", **fields: Any) -> int:
    """Receive a lead (no external id, so never deduplicated) and return its id."""
    received = await store.receive(lead(**fields), source=source, external_id=None, payload={"raw": 1}, now=now)
    return received.lead_id


async def offered(store: Store, now: datetime = T0, **fields: Any) -> tuple[int, int, str]:
    """A new lead routed to a rep: (lead id, offer id, rep id)."""
    lead_id = await new_lead(store, now, **fields)
    result = await store.assign(lead_id, now=now)
    assert result.offer is not None
    return lead_id, result.offer.id, result.offer.rep_id


async def queued(db: Database) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every outbox row so far, oldest first, as (kind, address, dedup key, payload)."""
    async with db.read() as conn:
        rows = await conn.execute(select(outbox_table).order_by(outbox_table.c.id))
        return [(r.kind, r.address, r.dedup_key, r.payload) for r in rows]


@pytest.fixture(scope="session")
def template() -> Path:
    """A migrated, empty SQLite file to copy: migrating costs more than a property-based example."""
    paths: list[Path] = []

    async def make() -> None:
        paths.append(await migrated_template())

    _run_aside(make())
    return paths[0]
