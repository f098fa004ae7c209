"""An end-to-end harness: the real Bolt app and aiohttp server, the Slack stand-in, SQLite, a manual clock.

`SlackDriver` talks to Leadrelay the way Slack does: signed form posts for slash commands and
interactions, signed JSON for events. `click` reads the button from the message or view as stored in
the stand-in, so a test can only press what a person could see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.clock import ManualClock
from bot.metrics import Metrics
from bot.server import SHUTDOWN_GRACE, build_bolt_app, build_web_app
from bot.service import Service
from bot.slack import Slack, make_client
from bot.timers import SlaTimers
from routing import parse_config
from standin import SlackStandin
from standin.driver import Posted, SlackDriver
from standin.driver import slack_signature as sign_request
from storage.db import connect
from tests.sqlite_template import migrated_sqlite

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
INTAKE_TOKEN = "intake-token-0123456789abcdef"
CLIENT_TIMEOUT = 0.5  # seconds: a timeout fault trips it quickly
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

PEOPLE = {  # config id: (Slack id, time zone)
    "hana": ("UHANA01", "America/New_York"),
    "maria": ("UMARIA1", "America/New_York"),
    "alice": ("UALICE1", "America/New_York"),
    "bob": ("UBOB001", "America/New_York"),
    "carol": ("UCAROL1", "America/Chicago"),
    "dieter": ("UDIETER", "Europe/Berlin"),
}
STRANGER = "USTRANGE"

CONFIG_YAML = """
timezone: America/New_York
working_hours: always
managers:
  - {id: hana, name: Hana Head, slack_id: UHANA01}
  - {id: maria, name: Maria Manager, slack_id: UMARIA1, reports_to: hana}
reps:
  - {id: alice, name: Alice Adams, slack_id: UALICE1, manager: maria, capacity: 5, backup: bob}
  - {id: bob, name: Bob Brown, slack_id: UBOB001, manager: maria, capacity: 5}
  - {id: carol, name: Carol Chen, slack_id: UCAROL1, timezone: America/Chicago, manager: maria, capacity: 5}
  - {id: dieter, name: Dieter Dorn, slack_id: UDIETER, timezone: Europe/Berlin, languages: [de]}
teams:
  - {id: sales, name: Sales, members: [alice, bob, carol], manager: maria, channel: SALES_CHANNEL,
     escalation: {after_expiries: 2}}
  - {id: dach, name: DACH, members: [dieter], manager: maria, channel: SALES_CHANNEL}
rules:
  - {name: dach, when: {country: [DE, AT, CH]}, route: {team: dach}}
  - {name: everyone-else, route: {team: sales}}
sla:
  - {name: demo, when: {intent: demo}, within: 5m}
  - {name: standard, within: 1h}
fallback: {team: sales}
"""


def slack_signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    return sign_request(body, timestamp, secret)


@dataclass
class Stack:
    service: Service
    standin: SlackStandin
    slack: SlackDriver
    clock: ManualClock
    base: str
    http: aiohttp.ClientSession
    channel: str
    timers: SlaTimers

    async def intake(self, lead: dict[str, Any], *, token: str = INTAKE_TOKEN) -> Posted:
        async with self.http.post(
            f"{self.base}/leads", json=lead, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            return Posted(response.status, await response.text())

    async def advance(self, delta: timedelta) -> None:
        """Move time on, run the SLA timers as their wake-up would, and deliver what they queued."""
        self.clock.advance(delta)
        await self.timers.tick()
        await self.deliver()

    async def deliver(self) -> None:
        """Run the outbox until nothing due is left (the server's own sender loop is off in tests)."""
        await self.service.sender.settle()
        while await self.service.sender.drain():
            pass
        await self.service.homes.flush()

    def dms(self, person: str) -> list[Any]:
        return self.standin.messages_in(PEOPLE[person][0], include_replies=False)


@asynccontextmanager
async def running_stack(
    tmp_path: Path,
    *,
    config_yaml: str = CONFIG_YAML,
    client_timeout: float = CLIENT_TIMEOUT,
    database_url: str | None = None,
) -> AsyncIterator[Stack]:
    """The stack on `database_url` (default: a SQLite file in `tmp_path`)."""
    async with SlackStandin(tokens={BOT_TOKEN}) as standin:
        for person, (slack_id, tz) in PEOPLE.items():
            standin.add_user(person, id=slack_id, real_name=person.title(), tz=tz, email=f"{person}@example.com")
        standin.add_user("stranger", id=STRANGER)
        channel = standin.add_channel("sales-escalations", members=[PEOPLE["maria"][0]])
        config = parse_config(config_yaml.replace("SALES_CHANNEL", channel))
        db = await connect(database_url or await migrated_sqlite(tmp_path))
        clock = ManualClock(MONDAY_10_NY)
        metrics = Metrics()
        slack = Slack(make_client(BOT_TOKEN, standin.url, timeout=client_timeout), metrics)
        # No channel pacing: it is real time, and the process tests cover it.
        service = Service.build(
            config=config, db=db, slack=slack, clock=clock, metrics=metrics, channel_gap=timedelta(0)
        )
        bolt = build_bolt_app(service, SIGNING_SECRET, finish_before_reply=True)
        app = build_web_app(
            service, bolt, signing_secret=SIGNING_SECRET, intake_token=INTAKE_TOKEN, run_background=False
        )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                driver = SlackDriver(base, standin, http, SIGNING_SECRET)
                yield Stack(service, standin, driver, clock, base, http, channel, service.timers)
        finally:
            # As the server shuts down: deliveries in flight (a lead's DM is posted by a task after its
            # 202) finish or are cancelled before the database closes under them.
            await service.sender.settle(grace=SHUTDOWN_GRACE)
            await service.homes.close()
            await runner.cleanup()
            await slack.close()
            await db.close()
