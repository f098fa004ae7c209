"""Leadrelay served as in production for the end-to-end benchmarks: the real server with its outbox
sender and SLA timers, a SQLite file, the system clock and the production Slack client, against the
Slack stand-in, routing to one round-robin team."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from sqlalchemy import text

from bench.scale.__main__ import seed
from bench.team import inbound_team_yaml
from bot.clock import SystemClock
from bot.metrics import Metrics
from bot.server import build_bolt_app, build_web_app
from bot.service import Service
from bot.slack import Slack, make_client
from routing import parse_config
from standin import SlackStandin
from storage.db import connect

TOKEN, INTAKE = "xoxb-bench", "bench-intake-token-0123456789"


@asynccontextmanager
async def serving(reps: int, standin: SlackStandin, *, history: int = 0) -> AsyncIterator[str]:
    """Run Leadrelay routing to `reps` reps (each added to `standin`) until exit; yields its base URL.
    `POST /leads` takes `Authorization: Bearer INTAKE`. With `history`, the database first holds that
    many claimed leads of the last quarter (`bench.scale.seed`), its load counters built."""
    config = parse_config(inbound_team_yaml(reps))
    for person in config.reps.values():
        standin.add_user(person.id, id=person.slack_id)
    with tempfile.TemporaryDirectory() as tmp:
        db = await connect(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        metrics = Metrics()
        service = Service.build(
            config=config,
            db=db,
            slack=Slack(make_client(TOKEN, standin.url), metrics),
            clock=SystemClock(),
            metrics=metrics,
        )
        if history:
            now = service.clock.now()
            await db.transact(lambda conn, _locks: seed(conn, history, until=now))
            await service.store.check_load(now, repair=True)
            async with db.engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        runner = web.AppRunner(
            build_web_app(service, build_bolt_app(service, "secret"), signing_secret="secret", intake_token=INTAKE)
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()
            await service.slack.close()
            await db.close()
