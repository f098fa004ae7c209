"""`leadrelay serve`: wire the service from settings and run it until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.identities import verify_identities
from bot.metrics import Metrics
from bot.people import People
from bot.server import build_bolt_app, build_web_app
from bot.service import Service
from bot.settings import Settings
from bot.slack import Slack, make_client
from bot.socket_mode import SocketLink
from routing import RoutingConfig, load_config
from storage.db import connect

log = logging.getLogger(__name__)


@dataclass
class Running:
    service: Service
    port: int


@asynccontextmanager
async def running(
    settings: Settings, *, clock: Clock | None = None, socket_mode: bool = False, host: str = "0.0.0.0"
) -> AsyncIterator[Running]:
    """Everything `serve` runs, started, and stopped again on exit, last started first."""
    config = load_config(settings.config_path)
    async with contextlib.AsyncExitStack() as started:
        db = await connect(settings.database_url)
        started.push_async_callback(db.close)
        metrics = Metrics()
        slack = Slack(make_client(settings.bot_token, settings.api_url), metrics)
        started.push_async_callback(slack.close)
        # Every identity is checked before anything is sent: people configured by email get their
        # Slack ids from it, and what is wrong is logged with its fix and kept on record.
        report = await verify_identities(config, slack)
        people = People(config, dict(report.slack_ids))
        service = Service.build(
            config=config, db=db, slack=slack, clock=clock or SystemClock(), metrics=metrics, people=people
        )
        await service.identities.record(report)
        watch = asyncio.create_task(service.identities.run(), name="identity-watch")
        started.push_async_callback(_cancelled, watch)
        bolt = build_bolt_app(service, settings.signing_secret)
        link = SocketLink(bolt, settings.app_token) if socket_mode and settings.app_token else None
        web_app = build_web_app(
            service, bolt, signing_secret=settings.signing_secret, intake_token=settings.intake_token, socket=link
        )
        runner = web.AppRunner(web_app)
        await runner.setup()
        started.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, host, settings.port).start()
        if link is not None:
            await link.open()  # SocketModeRefused: `serve` says why and exits
            started.push_async_callback(link.close)
        yield Running(service, runner.addresses[0][1])


async def serve(settings: Settings, *, socket_mode: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running(settings, socket_mode=socket_mode) as live:
        for line in where_to_point_slack(live.port, socket_mode=socket_mode):
            print(line, flush=True)
        await stop.wait()


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def where_to_point_slack(port: int, *, socket_mode: bool) -> list[str]:
    """What `serve` prints at start: the mode it runs in and what to paste into the Slack app's settings."""
    local = f"http://localhost:{port}"
    if socket_mode:
        return [
            f"leadrelay is running in Socket Mode (port {port}): Slack connects over SLACK_APP_TOKEN, no public URL.",
            "  In api.slack.com/apps → your app: Socket Mode → Enable; Interactivity, Slash Commands and Event",
            "  Subscriptions need no Request URL.",
            f"  Form tools post leads to {local}/leads (or this host's address); health: {local}/healthz",
        ]
    events = "https://YOUR-HOST/slack/events"
    return [
        f"leadrelay is running in HTTP mode on port {port}. Where YOUR-HOST is this server's public address,",
        "  paste into api.slack.com/apps → your app:",
        f"    Event Subscriptions → Request URL:    {events}",
        f"    Interactivity & Shortcuts → Request URL: {events}",
        f"    Slash Commands /pto, /capacity, /leads → Request URL: {events}",
        f"  Form tools post leads to https://YOUR-HOST/leads; health: {local}/healthz",
    ]


@asynccontextmanager
async def offline_service(config: RoutingConfig, database_url: str) -> AsyncIterator[Service]:
    """The service without a server, for `import` and `report`: outbox rows wait for `serve` to send them."""
    db = await connect(database_url)
    metrics = Metrics()
    slack = Slack(make_client("xoxb-offline", "http://127.0.0.1:9/"), metrics)  # never called offline
    try:
        service = Service.build(
            config=config, db=db, slack=slack, clock=SystemClock(), metrics=metrics, connect_crm=False
        )
        service.sender.posts_on_commit = False
        yield service
    finally:
        await slack.close()
        await db.close()
