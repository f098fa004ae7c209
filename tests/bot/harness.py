"""An end-to-end harness: the real Bolt app and aiohttp server, the Slack stand-in, SQLite, a manual clock.

`SlackDriver` talks to Leadrelay the way Slack does: signed form posts for slash commands and
interactions, signed JSON for events. `click` reads the button from the message or view as stored in
the stand-in, so a test can only press what a person could see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.clock import ManualClock
from bot.metrics import Metrics
from bot.server import build_bolt_app, build_web_app
from bot.service import Leadrelay
from bot.slack import Slack, make_client
from bot.standin import SlackStandin
from routing import parse_config
from storage.db import connect

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
INTAKE_TOKEN = "intake-token-0123456789abcdef"
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
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:" % timestamp + body, hashlib.sha256).hexdigest()


@dataclass
class Posted:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class SlackDriver:
    """Sends what Slack would send, signed, to `/slack/events`."""

    def __init__(self, base: str, standin: SlackStandin, session: aiohttp.ClientSession) -> None:
        self.base, self.standin, self.session = base, standin, session

    async def post(
        self, body: bytes, content_type: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> Posted:
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature if signature is not None else slack_signature(body, stamp),
        }
        async with self.session.post(f"{self.base}/slack/events", data=body, headers=headers) as response:
            return Posted(response.status, await response.text())

    async def command(self, user: str, command: str, text: str = "", *, channel: str | None = None) -> Posted:
        form = {
            "token": "legacy",
            "team_id": self.standin.team_id,
            "channel_id": channel or self.dm(user),
            "user_id": user,
            "command": command,
            "text": text,
            "trigger_id": self.standin.issue_trigger_id(user),
            "response_url": f"{self.base}/unused-response-url",
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def dm(self, user: str) -> str:
        return self.standin.dm_channel_id(user) or "D0NONE00"

    def button(
        self, blocks: list[dict[str, Any]], action_id: str, value: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        for block in blocks:
            for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
                if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                    return block["block_id"], element
        raise AssertionError(
            f"no {action_id} button{'' if value is None else ' for ' + value} in these blocks"
        )

    async def click(
        self,
        user: str,
        action_id: str,
        *,
        channel: str | None = None,
        ts: str | None = None,
        home: bool = False,
        value: str | None = None,
    ) -> Posted:
        """Press a button on a stored message (`channel`, `ts`) or on `user`'s Home tab."""
        if home:
            view = self.standin.home_view(user)
            assert view is not None, "no Home published"
            block_id, button = self.button(view.blocks, action_id, value)
            container: dict[str, Any] = {"type": "view", "view_id": view.id}
            extra: dict[str, Any] = {"view": {"id": view.id, "type": "home"}}
        else:
            assert channel and ts
            message = self.standin.message(channel, ts)
            assert message is not None, f"no message {ts} in {channel}"
            block_id, button = self.button(message.blocks, action_id, value)
            container = {"type": "message", "message_ts": ts, "channel_id": message.channel}
            extra = {
                "channel": {"id": message.channel},
                "message": {"ts": ts, "text": message.text, "blocks": message.blocks},
            }
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": self.standin.team_id},
            "api_app_id": self.standin.app_id,
            "trigger_id": self.standin.issue_trigger_id(user),
            "container": container,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": button.get("value"),
                    "action_ts": str(time.time()),
                }
            ],
            "response_url": f"{self.base}/unused-response-url",
            **extra,
        }
        return await self.post(
            urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
        )

    async def submit(self, user: str, values: dict[str, dict[str, Any]]) -> Posted:
        """Submit the modal on top of `user`'s stack. `values` maps block_id to the element's state."""
        views = self.standin.open_views(user)
        assert views, f"{user} has no modal open"
        view = views[-1]
        state = {block: {block: value} for block, value in values.items()}
        payload = {
            "type": "view_submission",
            "user": {"id": user},
            "team": {"id": self.standin.team_id},
            "api_app_id": self.standin.app_id,
            "trigger_id": self.standin.issue_trigger_id(user),
            "view": {
                "id": view.id,
                "type": "modal",
                "callback_id": view.callback_id,
                "private_metadata": view.private_metadata,
                "state": {"values": state},
                "hash": view.hash,
                "blocks": view.blocks,
            },
        }
        return await self.post(
            urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
        )

    async def event(self, event: dict[str, Any]) -> Posted:
        envelope = {
            "token": "legacy",
            "team_id": self.standin.team_id,
            "api_app_id": self.standin.app_id,
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        return await self.post(json.dumps(envelope).encode(), "application/json")


@dataclass
class Stack:
    service: Leadrelay
    standin: SlackStandin
    slack: SlackDriver
    clock: ManualClock
    base: str
    http: aiohttp.ClientSession
    channel: str

    async def intake(self, lead: dict[str, Any], *, token: str = INTAKE_TOKEN) -> Posted:
        async with self.http.post(
            f"{self.base}/leads", json=lead, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            return Posted(response.status, await response.text())

    async def deliver(self) -> None:
        """Run the outbox until nothing due is left (the server's own sender loop is off in tests)."""
        while await self.service.sender.drain():
            pass

    def dms(self, person: str) -> list[Any]:
        return self.standin.messages_in(PEOPLE[person][0], include_replies=False)


@asynccontextmanager
async def running_stack(tmp_path: Path, *, config_yaml: str = CONFIG_YAML) -> AsyncIterator[Stack]:
    async with SlackStandin(tokens={BOT_TOKEN}) as standin:
        for person, (slack_id, tz) in PEOPLE.items():
            standin.add_user(
                person, id=slack_id, real_name=person.title(), tz=tz, email=f"{person}@example.com"
            )
        standin.add_user("stranger", id=STRANGER)
        channel = standin.add_channel("sales-escalations", members=[PEOPLE["maria"][0]])
        config = parse_config(config_yaml.replace("SALES_CHANNEL", channel))
        db = await connect(f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}")
        clock = ManualClock(MONDAY_10_NY)
        metrics = Metrics()
        slack = Slack(make_client(BOT_TOKEN, standin.url), metrics)
        service = Leadrelay.build(config=config, db=db, slack=slack, clock=clock, metrics=metrics)
        bolt = build_bolt_app(service, SIGNING_SECRET, finish_before_reply=True)
        app = build_web_app(service, bolt, intake_token=INTAKE_TOKEN, run_sender=False)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                yield Stack(service, standin, SlackDriver(base, standin, http), clock, base, http, channel)
        finally:
            await runner.cleanup()
            await db.close()
