"""The HTTP server: one aiohttp application for Slack and everything else.

POST /slack/events   events, interactivity and slash commands (verified, then Bolt; see bot.slack_events)
POST /leads          intake (see bot.intake)
POST /outcomes       outcomes in (see bot.outcome_intake)
GET  /healthz        the database answers, no transport is out or held, no webhook endpoint is failing,
                     the CRM's outcome poll (if any) is not failing, Slack's Socket Mode link (if used)
                     is up, and the outbox is not stuck
GET  /metrics        Prometheus text format
GET  /openapi.json   the OpenAPI 3.1 document of the above but Slack's (bot.openapi)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.async_app import AsyncApp

from bot.features import register_all
from bot.intake import intake_handler
from bot.openapi import openapi_document
from bot.outcome_intake import outcome_handler
from bot.service import Service
from bot.slack_events import slack_events_handler
from bot.socket_mode import SocketLink

OUTBOX_STUCK_AFTER = timedelta(minutes=5)  # an undelivered row this old means Slack or we are in trouble
SHUTDOWN_GRACE = 5.0  # seconds a stopping server waits for Slack calls in flight; the rest are redelivered


def build_bolt_app(service: Service, signing_secret: str, *, finish_before_reply: bool = False) -> AsyncApp:
    """The Bolt app with every listener registered. Request verification is always on.

    Listeners ack first; by default Bolt replies to Slack at the ack and runs the rest afterwards,
    inside Slack's 3-second budget whatever the rest costs. `finish_before_reply` holds the reply
    until the listener is done, which makes tests deterministic without changing what listeners do.
    """
    app = AsyncApp(
        # Named, or Bolt names it after its caller's file with inspect.stack(), which reads the source
        # of every frame on the stack: 50 ms an app under pytest, most of a test's setup.
        name="leadrelay",
        client=service.slack.client,
        signing_secret=signing_secret,
        request_verification_enabled=True,
        process_before_response=finish_before_reply,
        raise_error_for_unhandled_request=False,
    )
    register_all(app, service)
    return app


def build_web_app(
    service: Service,
    bolt: AsyncApp,
    *,
    signing_secret: str,
    intake_token: str,
    run_background: bool = True,
    socket: SocketLink | None = None,
) -> web.Application:
    """The aiohttp application; `signing_secret` is the one `bolt` was built with. With `run_background`,
    the outbox sender and the SLA timers run for as long as the app does; tests drive both by hand instead.
    With `socket` (Socket Mode), `/healthz` also says whether its link to Slack is up."""

    async def healthz(_request: web.Request) -> web.Response:
        problems = []
        try:
            age = await service.outbox.oldest_unsent_age(service.clock.now())
        except Exception as exc:  # any failure to read is the answer: unhealthy
            return web.json_response({"ok": False, "problems": [f"database: {exc}"]}, status=503)
        problems.extend(service.sender.problems())
        if service.crm_polling is not None:
            problems.extend(service.crm_polling.problems())
        if socket is not None and (down := await socket.problem()) is not None:
            problems.append(down)
        if age is not None and age > OUTBOX_STUCK_AFTER:
            problems.append(f"outbox: oldest undelivered message is {int(age.total_seconds())}s old")
        held = [held.document() for held in service.sender.held()]
        body = {"ok": not problems, "problems": problems, "held": held}
        return web.json_response(body, status=503 if problems else 200)

    async def metrics(_request: web.Request) -> web.Response:
        body = generate_latest(service.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def openapi(_request: web.Request) -> web.Response:
        return web.json_response(openapi_document())

    app = web.Application()
    app.router.add_post("/slack/events", slack_events_handler(bolt, signing_secret))
    app.router.add_post("/leads", intake_handler(intake_token, service.accept_lead, time.time))
    app.router.add_post("/outcomes", outcome_handler(intake_token, service.store, service.clock, time.time))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi)

    if run_background:

        async def background(_app: web.Application) -> AsyncIterator[None]:
            # Everything built so far (modules, config, compiled statements) lives as long as the process:
            # keep it out of the collector's full passes, which otherwise stall every request ~50 ms.
            gc.freeze()
            task = asyncio.create_task(service.sender.run(), name="outbox-sender")
            service.sender.wake()  # rows left over from before a restart go out first
            service.timers.start()  # the first sweep runs at once: deadlines that passed while we were down
            service.reporting.start()  # likewise: a digest due while we were down is queued at once
            if service.crm_polling is not None:
                service.crm_polling.start()  # at once too: outcomes the CRM had while we were down
            yield
            if service.crm_polling is not None:
                service.crm_polling.stop()
            service.reporting.stop()
            service.timers.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await service.sender.settle(grace=SHUTDOWN_GRACE)  # what is in flight goes out, if it can in time
            await service.homes.close()

        app.cleanup_ctx.append(background)
    return app
