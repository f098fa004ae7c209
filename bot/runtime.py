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
from bot.metrics import Metrics
from bot.people import People
from bot.server import build_bolt_app, build_web_app
from bot.service import Service
from bot.settings import Settings
from bot.slack import Slack, SlackProblem, make_client
from routing import RoutingConfig, load_config
from routing.config import Manager, Rep
from storage.db import connect

log = logging.getLogger(__name__)


async def resolve_people(config: RoutingConfig, slack: Slack) -> People:
    """People, with Slack ids looked up by email for anyone the config names only by email."""
    found: dict[str, str] = {}
    everyone: list[Rep | Manager] = [*config.reps.values(), *config.managers.values()]
    for person in everyone:
        if person.slack_id or not person.email:
            continue
        try:
            user = (await slack.call("users.lookupByEmail", email=person.email))["user"]
            found[person.id] = str(user["id"])
        except SlackProblem as exc:
            # The id only: the email is in the config for whoever fixes it, and stays out of logs.
            log.warning(
                "no Slack user for %s (by their configured email): %s; they cannot get DMs", person.id, exc.code
            )
    return People(config, found)


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
        people = await resolve_people(config, slack)
        service = Service.build(
            config=config, db=db, slack=slack, clock=clock or SystemClock(), metrics=metrics, people=people
        )
        bolt = build_bolt_app(service, settings.signing_secret)
        runner = web.AppRunner(
            build_web_app(service, bolt, signing_secret=settings.signing_secret, intake_token=settings.intake_token)
        )
        await runner.setup()
        started.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, host, settings.port).start()
        if socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket = AsyncSocketModeHandler(bolt, settings.app_token)
            await socket.connect_async()  # type: ignore[no-untyped-call]
            started.push_async_callback(socket.close_async)
        yield Running(service, runner.addresses[0][1])


async def serve(settings: Settings, *, socket_mode: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running(settings, socket_mode=socket_mode) as live:
        mode = "Socket Mode" if socket_mode else "HTTP mode"
        log.info(
            "leadrelay serving on port %s (%s); POST /leads, /slack/events, /healthz, /metrics",
            live.port,
            mode,
        )
        await stop.wait()


@asynccontextmanager
async def offline_service(config: RoutingConfig, database_url: str) -> AsyncIterator[Service]:
    """The service without a server, for `import` and `report`: outbox rows wait for `serve` to send them."""
    db = await connect(database_url)
    metrics = Metrics()
    slack = Slack(make_client("xoxb-offline", "http://127.0.0.1:9/"), metrics)  # never called offline
    try:
        service = Service.build(config=config, db=db, slack=slack, clock=SystemClock(), metrics=metrics)
        service.sender.posts_on_commit = False
        yield service
    finally:
        await slack.close()
        await db.close()
