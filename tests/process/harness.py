"""Run the real `leadrelay serve` as subprocesses against a Slack stand-in served by the test itself.

Everything here is what an operator would do: write a config file, set the environment variables
`serve` documents, start `python -m bot.cli serve`, wait for `GET /healthz`, send leads through
`POST /leads` with the bearer token, press buttons with signed requests, and stop the process with
SIGTERM (or `kill -9` it). The Slack Web API is a `SlackStandin` on 127.0.0.1 in the test's own event
loop, so the test sees every call and can inject faults. The database is a SQLite file in the test's
tmp dir, or a fresh PostgreSQL database created for the test (and dropped after it) when
``LEADRELAY_TEST_POSTGRES_URL`` is set.

Every wait is bounded: `eventually` polls with a deadline and fails with what it last saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from standin import ApiCall, Message, SlackStandin
from storage import Database, connect, upgrade

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("LEADRELAY_TEST_POSTGRES_URL")
BOT_TOKEN = "xoxb-process-test"
SIGNING_SECRET = "process-test-signing-secret"
INTAKE_TOKEN = "process-intake-token-0123456789"
POLL = 0.05  # seconds between looks while waiting for something
START_TIMEOUT = 20.0  # seconds for `serve` to answer /healthz (imports, migrations, a cold disk)

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------- backends


BACKENDS = ["sqlite", "postgres"]


def skip_reason(backend: str) -> str | None:
    if backend == "postgres" and PG_URL is None:
        return "set LEADRELAY_TEST_POSTGRES_URL to run on PostgreSQL"
    return None


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated, empty database for one test: a SQLite file in `tmp_path`, or a scratch
    PostgreSQL database next to the one `LEADRELAY_TEST_POSTGRES_URL` names (dropped afterwards)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}"
        db = await connect(url)  # SQLite migrates on connect
        await db.close()
        yield url
        return
    assert PG_URL is not None
    server = make_url(PG_URL)
    name = f"leadrelay_process_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            await upgrade(url)
            yield url
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


# ---------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Person:
    id: str
    slack_id: str


def reps(count: int, prefix: str = "r") -> list[Person]:
    return [Person(f"{prefix}{i:03d}", f"U{prefix.upper()}{i:05d}") for i in range(count)]


def config_yaml(
    *,
    teams: Mapping[str, tuple[list[Person], Person, str | None]],
    rules: Iterable[str],
    sla: str,
    fallback_team: str,
    escalation: str = "{after_expiries: 2}",
) -> str:
    """A config: `teams` maps a team id to (members, manager, channel id or None); `rules` are YAML
    flow mappings, first match wins; every rep has room for plenty of leads."""
    managers = {manager.id: manager for _members, manager, _channel in teams.values()}
    lines = ["timezone: UTC", "working_hours: always", "managers:"]
    lines += [f"  - {{id: {m.id}, name: Manager {m.id}, slack_id: {m.slack_id}}}" for m in managers.values()]
    lines.append("reps:")
    for members, manager, _channel in teams.values():
        lines += [
            f"  - {{id: {r.id}, name: Rep {r.id}, slack_id: {r.slack_id}, manager: {manager.id}, capacity: 1000}}"
            for r in members
        ]
    lines.append("teams:")
    for team_id, (members, manager, channel) in teams.items():
        where = f", channel: {channel}" if channel else ""
        lines.append(
            f"  - {{id: {team_id}, members: [{', '.join(r.id for r in members)}], manager: {manager.id}{where},"
            f" strategy: round_robin, escalation: {escalation}}}"
        )
    lines.append("rules:")
    lines += [f"  - {rule}" for rule in rules]
    lines.append("sla:")
    lines.append(f"  - {{name: standard, within: {sla}}}")
    lines.append(f"fallback: {{team: {fallback_team}}}")
    return "\n".join(lines) + "\n"


def add_people(standin: SlackStandin, people: Iterable[Person]) -> None:
    for person in people:
        standin.add_user(person.id, id=person.slack_id, real_name=person.id.title(), email=f"{person.id}@example.com")


# --------------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Serve:
    """One `leadrelay serve` process. Start with `start`; always `stop` (or `kill`) it in a finally."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    healthy_at: float | None = None  # time.monotonic() when /healthz first answered 200

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch the process (a fresh port each time: the old socket may linger after a kill -9)."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        self.healthy_at = None
        env = {**self.env, "PORT": str(self.port)}
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start {self.name} on port {self.port} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_healthy(self, http: aiohttp.ClientSession, within: float = START_TIMEOUT) -> float:
        """Poll /healthz until it answers 200; returns and records the moment (time.monotonic())."""
        deadline = time.monotonic() + within
        last = "no answer yet"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{self.base}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                    last = f"{response.status} {await response.text()}"
                    if response.status == 200:
                        self.healthy_at = time.monotonic()
                        return self.healthy_at
            await asyncio.sleep(POLL)
        raise AssertionError(f"{self.name} not healthy after {within}s (last: {last}):\n{self.log_tail()}")

    def kill(self) -> None:
        """`kill -9`: no clean-up, no goodbye; whatever was in flight stays in flight."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)

    async def wait_exit(self, within: float) -> bool:
        deadline = time.monotonic() + within
        while self.process is not None and self.process.poll() is None:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL)
        return True

    async def stop(self) -> None:
        """SIGTERM, a few seconds to shut down cleanly, then SIGKILL."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        if not await self.wait_exit(8.0):
            self.process.send_signal(signal.SIGKILL)
            await self.wait_exit(5.0)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def serve_env(*, standin: SlackStandin, database_url: str, config_path: Path, **extra: str) -> dict[str, str]:
    """The environment `serve` reads, pointed at the stand-in, the test database and config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADRELAY_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.url,
        DATABASE_URL=database_url,
        LEADRELAY_CONFIG=str(config_path),
        LEADRELAY_INTAKE_TOKEN=INTAKE_TOKEN,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@asynccontextmanager
async def serving(names: Iterable[str], env: Mapping[str, str], tmp_path: Path) -> AsyncIterator[list[Serve]]:
    """`Serve` objects (not started) that are stopped, whatever happens, on the way out."""
    processes = [Serve(name, dict(env), tmp_path / f"{name}.log") for name in names]
    try:
        yield processes
    finally:
        await asyncio.gather(*(process.stop() for process in processes))
        for process in processes:  # kill -9 whatever ignored the polite request
            process.kill()
            await process.wait_exit(5.0)


async def post_lead(http: aiohttp.ClientSession, base: str, lead: Mapping[str, Any]) -> tuple[int, Any]:
    async with http.post(
        f"{base}/leads", json=dict(lead), headers={"Authorization": f"Bearer {INTAKE_TOKEN}"}
    ) as response:
        return response.status, await response.json(content_type=None)


# ------------------------------------------------------------------------------------------ waiting


async def eventually(probe: Callable[[], Awaitable[_T]], ok: Callable[[_T], bool], *, within: float, what: str) -> _T:
    """Poll `probe` until `ok(value)`; fail after `within` seconds with the last value seen."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if ok(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not reached within {within}s; last seen: {value!r}"[:2000])
        await asyncio.sleep(POLL)


# ------------------------------------------------------------------------------------ observations


def dedup_key_of(message: Message) -> str | None:
    payload = message.event_payload or {}
    key = payload.get("dedup_key")
    return str(key) if key is not None else None


def call_dedup_key(call: ApiCall) -> str | None:
    """The outbox dedup key a chat.postMessage call carried in its metadata."""
    import json

    metadata = call.args.get("metadata")
    if isinstance(metadata, str):
        with contextlib.suppress(ValueError):
            metadata = json.loads(metadata)
    if not isinstance(metadata, dict):
        return None
    key = (metadata.get("event_payload") or {}).get("dedup_key")
    return str(key) if key is not None else None


def posts_by_key(standin: SlackStandin) -> Counter[str]:
    """How many chat.postMessage calls Slack carried out per dedup key (whether or not we heard back)."""
    return Counter(
        key for call in standin.calls_to("chat.postMessage") if call.ok and (key := call_dedup_key(call)) is not None
    )


def messages_by_key(standin: SlackStandin, conversations: Iterable[str]) -> Counter[str]:
    """How many stored messages carry each dedup key, across `conversations` (channel or user ids)."""
    return Counter(
        key
        for conversation in conversations
        for message in standin.messages_in(conversation)
        if (key := dedup_key_of(message)) is not None
    )


def busiest_second(calls: Iterable[ApiCall]) -> dict[str, int]:
    """Per channel argument: the most successful posts that landed within any one second."""
    times: dict[str, list[float]] = {}
    for call in calls:
        if call.status == 200:
            times.setdefault(str(call.args.get("channel")), []).append(call.at)
    worst: dict[str, int] = {}
    for channel, moments in times.items():
        moments.sort()
        start, best = 0, 0
        for end, moment in enumerate(moments):
            while moment - moments[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        worst[channel] = best
    return worst


async def scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.read() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def rows(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.read() as conn:
        return list((await conn.execute(text(sql), params)).all())


PENDING_OUTBOX = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"


# ---------------------------------------------------------------------------------------- a world


@dataclass
class World:
    """One test's surroundings: the stand-in with the people in it, the database (and a connection
    for looking at it), the config file, the environment for `serve`, and an HTTP session."""

    standin: SlackStandin
    url: str
    db: Database
    channel: str
    env: dict[str, str]
    http: aiohttp.ClientSession
    tmp_path: Path

    async def expire_leases(self) -> int:
        """Let the outbox leases a killed process held run out now instead of `connectors.delivery.LEASE` after
        its claim: what waiting the lease out would do, without the wait. Returns the rows released."""
        from datetime import UTC, datetime

        from sqlalchemy import update

        from storage.tables import outbox

        def work(conn: Any, _locks: frozenset[str]) -> int:
            now = datetime.now(UTC)
            stmt = (
                update(outbox)
                .where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None), outbox.c.next_attempt_at > now)
                .values(next_attempt_at=now)
            )
            return int(conn.execute(stmt).rowcount)

        return await self.db.transact(work)

    async def pending(self) -> int:
        return int(await scalar(self.db, PENDING_OUTBOX))


@asynccontextmanager
async def world(
    backend: str,
    tmp_path: Path,
    *,
    teams: Callable[[str], Mapping[str, tuple[list[Person], Person, str | None]]],
    people: Iterable[Person],
    rules: Iterable[str],
    sla: str,
    fallback_team: str,
    escalation: str = "{after_expiries: 2}",
    **env: str,
) -> AsyncIterator[World]:
    """Everything but the `serve` processes. `teams(channel)` names the teams, given the managers'
    channel the stand-in created."""
    async with database_url(backend, tmp_path) as url, SlackStandin(tokens={BOT_TOKEN}) as standin:
        add_people(standin, people)
        channel = standin.add_channel("sales-managers")
        config_path = tmp_path / "leadrelay.yml"
        config_path.write_text(
            config_yaml(teams=teams(channel), rules=rules, sla=sla, fallback_team=fallback_team, escalation=escalation)
        )
        db = await connect(url, migrate=False)
        try:
            async with aiohttp.ClientSession() as http:
                yield World(
                    standin=standin,
                    url=url,
                    db=db,
                    channel=channel,
                    env=serve_env(standin=standin, database_url=url, config_path=config_path, **env),
                    http=http,
                    tmp_path=tmp_path,
                )
        finally:
            await db.close()
