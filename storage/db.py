"""Connecting to the database, migrating it, and running transactions on it.

SQLite (``sqlite+aiosqlite:///leadrelay.db``, the default) is set up on every connection with WAL,
``synchronous=NORMAL``, a busy timeout and foreign keys. Writes go through one path: an in-process
`asyncio.Lock` in front of one writer connection on its own thread, and ``BEGIN IMMEDIATE`` (a
deferred transaction that reads and then writes fails with "database is locked" in WAL whatever the
timeout; IMMEDIATE takes the write lock up front, so a writer in another process simply waits). Reads
go through aiosqlite with a plain deferred ``BEGIN`` and run concurrently with the writer.

PostgreSQL (``postgresql+asyncpg://``) runs writes concurrently at READ COMMITTED; every transition is
a conditional statement, hot rows are claimed with ``FOR UPDATE SKIP LOCKED``, and a transaction that
loses an optimistic check, a deadlock or a serialization failure is rolled back and run again.

A fresh SQLite file is migrated on `connect`; PostgreSQL only by `upgrade` (``leadrelay db upgrade``),
and `connect` refuses a PostgreSQL database whose schema is missing or outdated.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.errors import DatabaseMissing, SchemaMissing, StorageBusy, StorageError

DEFAULT_URL = "sqlite+aiosqlite:///leadrelay.db"
_T = TypeVar("_T")
_WRITE = "leadrelay_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
_MIGRATIONS = Path(__file__).with_name("migrations")
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected
_SQLITE_BUSY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_MAX_ATTEMPTS = 8
_CHECKPOINT_EVERY = 50  # SQLite commits between background checkpoints: small ones stall commits least
_BACKSTOP_CHECKPOINT_PAGES = 10_000  # about 40 MB of WAL
# Any constant: serialises concurrent `upgrade` runs against one PostgreSQL database.
_MIGRATION_LOCK_KEY = 7_411_902
# Alembic keeps the running migration in module globals (`alembic.context`, `alembic.op`), so two
# migrations interleaving on one event loop would corrupt each other: one at a time per loop.
_migration_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


class Conflict(Exception):
    """Raised inside `Database.transact` work when a conditional write found its row moved on.

    The transaction is rolled back and the work runs again; `lock` names a hot row (a pool) that the
    next attempt should lock before it reads, so a retry cannot lose the same race again.
    """

    def __init__(self, what: str, *, lock: str | None = None) -> None:
        super().__init__(what)
        self.lock = lock


Work = Callable[[Connection, frozenset[str]], _T]


class Database:
    """A connected database: the engine, its dialect and the single write path. Create with `connect`.

    Transactions that write are synchronous functions of a `Connection` (`transact`): nothing can be
    awaited inside one, so no Slack call, sleep or other I/O ever runs while a transaction is open.
    On PostgreSQL they run on the async engine's pool (`AsyncConnection.run_sync`), concurrently. On
    SQLite they run one at a time on the `_SqliteWriter`. Reads use the async engine on both.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._sqlite = _SqliteWriter(engine) if self.is_sqlite else None
        self.retries = 0  # attempts `transact` ran again (lost races, deadlocks): what benchmarks count

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a read transaction (one consistent snapshot on SQLite). Raises StorageError."""
        connected = False
        try:
            async with self.engine.connect() as conn, conn.begin():
                connected = True
                yield conn
        except DBAPIError as exc:
            raise _translate(exc) from None
        except OSError as exc:
            if connected:
                raise  # the caller's own I/O failed (a timeout is an OSError too), not the database's
            raise _translate(exc) from None

    async def transact(self, work: Work[_T]) -> _T:
        """Run `work(conn, locks)` in a write transaction and commit; return what it returns.

        On a `Conflict`, a PostgreSQL deadlock or serialization failure, roll back and run `work` again
        (at most a few times; `locks` grows with each `Conflict.lock`). Raises StorageBusy when the
        retries run out, StorageError for any other database failure, and whatever `work` raises.
        """
        locks: set[str] = set()
        for _ in range(_MAX_ATTEMPTS):
            try:
                if self._sqlite is not None:
                    return await self._sqlite.run(work, frozenset(locks))
                async with self.engine.connect() as conn, conn.begin():
                    return await conn.run_sync(work, frozenset(locks))
            except Conflict as conflict:
                if conflict.lock is not None:
                    locks.add(conflict.lock)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE_SQLSTATES:
                    raise _translate(exc) from None
            except OSError as exc:
                raise _translate(exc) from None
            self.retries += 1  # only a retryable failure gets here
        raise StorageBusy(f"gave up after {_MAX_ATTEMPTS} attempts: concurrent writers kept winning")

    async def close(self) -> None:
        """Close the writer and every pooled connection."""
        if self._sqlite is not None:
            await self._sqlite.close()
        await self.engine.dispose()


class _SqliteWriter:
    """SQLite's one write path: transactions run one at a time, in arrival order, on a dedicated thread
    with its own connection to the file, through the standard `sqlite3` driver that aiosqlite wraps.

    That is one thread hand-off per transaction, where the aiosqlite adapter makes about four per
    statement: three times the throughput on the benchmark (BENCHMARKS.md). Checkpoints (copying the
    WAL back into the database file, with an fsync) are kept off this path: the writer's own automatic
    checkpoint is only a backstop, and every `_CHECKPOINT_EVERY` commits a PASSIVE checkpoint runs on a
    reader connection, which never blocks the writer.

    A caller cancelled while its transaction runs does not stop it: it commits or rolls back on its own,
    as if the caller had crashed just after.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._reader = engine
        self._engine = sa_create_engine(engine.url.set(drivername="sqlite+pysqlite"), hide_parameters=True)
        _sqlite_settings(self._engine)
        event.listen(self._engine, "connect", _backstop_checkpoints)
        self._lock = asyncio.Lock()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="leadrelay-sqlite-writer")
        self._conn: Connection | None = None  # touched on the writer thread only
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None

    async def run(self, work: Work[_T], locks: frozenset[str]) -> _T:
        # Writers queue on the lock, FIFO; a caller cancelled while waiting never writes.
        async with self._lock:
            result = await asyncio.get_running_loop().run_in_executor(self._thread, self._write, work, locks)
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0 and (self._checkpoint is None or self._checkpoint.done()):
            self._checkpoint = asyncio.create_task(self._passive_checkpoint())
        return result

    def _write(self, work: Work[_T], locks: frozenset[str]) -> _T:
        """On the writer thread: run `work` in a BEGIN IMMEDIATE transaction and commit."""
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(**{_WRITE: True})
        try:
            with self._conn.begin():
                return work(self._conn, locks)
        except (Conflict, StorageError):
            raise  # a refusal or a lost race: rolled back, and the connection is fine
        except BaseException:
            self._close_connection()  # anything else: start over on a fresh connection
            raise

    async def _passive_checkpoint(self) -> None:
        async with self._reader.connect() as conn:
            raw = await conn.get_raw_connection()
            # Straight to aiosqlite, outside SQLAlchemy's BEGIN: a checkpoint cannot run in a transaction.
            assert raw.driver_connection is not None
            await raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    async def close(self) -> None:
        if self._checkpoint is not None:
            await self._checkpoint
        async with self._lock:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._close_connection)
        self._thread.shutdown()
        self._engine.dispose()


def _translate(exc: DBAPIError | OSError) -> StorageError:
    """The storage error for a driver's. Callers raise it `from None`: the driver's own exception can
    quote the row (PostgreSQL's "DETAIL: Failing row contains (…)"), which must not reach a log."""
    if isinstance(exc, OSError):  # the server cannot be reached (refused, reset): it may be back soon
        return StorageBusy(f"database unreachable: {exc.strerror or type(exc).__name__}")
    if getattr(exc.orig, "sqlite_errorcode", None) in _SQLITE_BUSY:
        return StorageBusy(f"SQLite stayed locked by another process: {exc.orig}")
    if exc.connection_invalidated:
        return StorageBusy(f"database connection lost: {type(exc.orig).__name__}")
    return StorageError(f"database error: {exc.orig}")


def create_engine(url: str) -> AsyncEngine:
    """An engine for `url`, with Leadrelay's SQLite settings on every connection.

    A file database keeps SQLAlchemy's default queue pool: never StaticPool (concurrent sessions on one
    shared connection lose rows) nor NullPool (a new connection and PRAGMAs for every transaction).
    Statement parameters are kept out of error messages and logs (`hide_parameters`): they are leads'
    emails and payloads.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StorageError("use a SQLite file: a :memory: database cannot be shared by connections")
    engine = create_async_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        _sqlite_settings(engine.sync_engine)
    return engine


def _sqlite_settings(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the driver (SQLAlchemy's documented recipe) so `_sqlite_begin` decides it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA foreign_keys=ON",
    ):
        cursor.execute(pragma)
    cursor.close()


def _backstop_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    # The writer checkpoints by itself only if the background checkpoints fall far behind.
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={_BACKSTOP_CHECKPOINT_PAGES}")


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


async def connect(url: str = DEFAULT_URL, *, migrate: bool | None = None) -> Database:
    """Connect to `url` and check its schema.

    `migrate=None` (the default) migrates SQLite to the current revision and never PostgreSQL; True
    migrates either; False migrates neither. Raises SchemaMissing when the schema is absent or outdated
    afterwards, StorageError when the database cannot be reached.
    """
    engine = create_engine(url)
    try:
        current = await _current_revision(engine)
        if (migrate or (migrate is None and engine.dialect.name == "sqlite")) and current != _head_revision():
            await _migrate(engine)
            current = await _current_revision(engine)
        _check_schema(engine, current)
    except DBAPIError as exc:
        await engine.dispose()
        raise _translate(exc) from None
    except BaseException:
        await engine.dispose()
        raise
    return Database(engine)


async def open_existing(url: str) -> Database:
    """`connect` to a database that must already exist, for commands that only read (`leadrelay report`):
    a SQLite file that is not there raises DatabaseMissing instead of being created empty."""
    missing = _missing_sqlite_file(url)
    if missing is not None:
        raise DatabaseMissing(f"no database at {missing}")
    return await connect(url)


def _missing_sqlite_file(url: str) -> Path | None:
    """The absolute path of the SQLite file `url` names, if that file does not exist; else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    path = Path(parsed.database)
    return None if path.is_file() else path.resolve()


async def upgrade(url: str) -> None:
    """Migrate the database at `url` to the current schema revision; safe to run twice or concurrently.

    Raises StorageError when the database cannot be reached or a migration fails.
    """
    engine = create_engine(url)
    try:
        await _migrate(engine)
    except DBAPIError as exc:
        raise _translate(exc) from None
    finally:
        await engine.dispose()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


async def _migrate(engine: AsyncEngine) -> None:
    loop = asyncio.get_running_loop()
    lock = _migration_locks.setdefault(loop, asyncio.Lock())
    async with lock, engine.connect() as conn:
        # SQLite: BEGIN IMMEDIATE, so a second process waits for the first to finish migrating.
        await conn.execution_options(**{_WRITE: True})
        await conn.run_sync(_run_upgrade)
        await conn.commit()


def _run_upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def _current_revision(engine: AsyncEngine) -> str | None:
    """The database's schema revision; None when it has no Leadrelay schema."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


@functools.cache
def _head_revision() -> str | None:
    """The code's head revision. Cached: reading it loads every migration script (tens of ms), and the
    scripts do not change while the process runs."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _check_schema(engine: AsyncEngine, current: str | None) -> None:
    head = _head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    found = "no Leadrelay schema" if current is None else f"schema revision {current}, not {head}"
    raise SchemaMissing(f"{where} has {found}: run `leadrelay db upgrade`")
