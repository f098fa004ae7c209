"""`leadrelay demo`: the whole product on one machine, no Slack account needed.

It starts the Slack stand-in, a SQLite database in the demo's own directory (`leadrelay-demo/` by
default, started afresh each run and kept afterwards) and the real server (intake, Bolt, outbox sender,
SLA timers) with the example team, feeds it leads over `POST /leads`, and prints what each rep and
manager sees in Slack as it happens. Scripted reps accept one lead and reassign another; one lead has a
short SLA and nobody touches it, so it expires, moves to the next rep, escalates to the managers'
channel, and a manager takes it. Every claim is also sent as a signed webhook to a local receiver (the
stand-in of a CRM), which verifies its signature with the `standardwebhooks` library; the owner of each
claimed lead lands in the HubSpot stand-in (`standin.hubspot`) through the official client, the rule and
reason beside it; and the CRM reports
one accepted lead won (`POST /outcomes`), which frees a place in its rep's open load. It ends with the
report of what happened and its two charts, and says where the database is, so `leadrelay report` can
read it again.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import aiohttp
import yaml
from aiohttp import web

from bot.clock import OffsetClock
from bot.ids import Action, Field, Shortcut
from bot.metrics import Metrics
from bot.people import People
from bot.report import write_charts
from bot.server import build_bolt_app, build_web_app
from bot.service import Service
from bot.slack import Slack, make_client
from connectors.webhooks import new_secret
from reports.export import write_text
from reports.numbers import read_report
from routing import RoutingConfig
from routing.config import compile_config
from standin import SlackStandin
from standin.driver import SlackDriver
from standin.hubspot import HubSpotStandin
from standin.webhooks import WebhookReceiver
from storage import load
from storage.db import Database, connect

TOKEN, SECRET, INTAKE = "xoxb-demo", "demo-signing-secret", "demo-intake-token-0123456789"
MONDAY_10_NEW_YORK = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
DEMO_DIR = Path("leadrelay-demo")  # the demo's database and charts, kept after it ends
QUICK_SOURCE = "webinar"  # the demo's leads from this source get the short SLA
WEBHOOK_SECRET_ENV = "DEMO_WEBHOOK_SECRET"  # the demo passes its receiver's secret to the build, not the process

LEADS: list[dict[str, Any]] = [
    {
        "external_id": "demo-1",
        "first_name": "Lena",
        "last_name": "Vogel",
        "email": "lena.vogel@autohaus-vogel.de",
        "company": "Autohaus Vogel",
        "title": "Head of Sales Ops",
        "country": "Germany",
        "employees": 85,
        "industry": "retail",
        "source": "web_form",
        "intent": "demo",
        "score": 72,
    },
    {
        "external_id": "demo-2",
        "first_name": "Marcus",
        "last_name": "Reed",
        "email": "marcus@brightpath.io",
        "company": "Brightpath",
        "title": "VP Revenue",
        "country": "US",
        "employees": 140,
        "industry": "saas",
        "source": "pricing_page",
        "intent": "pricing",
        "score": 88,
    },
    {
        "external_id": "demo-3",
        "name": "<!channel> Priya & Co",
        "email": "priya@tinyshop.com",
        "company": "<@U0CHANNEL> TinyShop",
        "country": "US",
        "employees": 9,
        "industry": "retail",
        "source": "chat",
        "intent": "demo",
        "score": 61,
        "note": "asked for a callback <today>",
    },
    {
        "external_id": "demo-4",
        "first_name": "Dana",
        "last_name": "Cole",
        "email": "dana.cole@northfield.com",
        "company": "Northfield Logistics",
        "title": "COO",
        "country": "US",
        "employees": 60,
        "industry": "logistics",
        "source": QUICK_SOURCE,
        "intent": "content",
        "score": 55,
    },
]


def demo_config(
    path: str, quick_sla: timedelta, webhook_url: str | None = None, *, hubspot: bool = False
) -> RoutingConfig:
    """The example config, with a short SLA for webinar leads so an expiry happens while you watch,
    every claim sent to `webhook_url` (if given) as a signed webhook, and (with `hubspot`) its owner
    written to HubSpot. Outcomes come in by `POST /outcomes` here, so HubSpot's are not polled."""
    raw = yaml.safe_load(Path(path).read_text())
    if webhook_url is not None:
        raw["webhooks"] = [{"url": webhook_url, "secret_env": WEBHOOK_SECRET_ENV, "events": ["lead.claimed"]}]
    if hubspot:
        properties = {"rule": "leadrelay_rule", "reason": "leadrelay_reason"}
        raw["crm"] = {"kind": "hubspot", "properties": properties, "outcomes": {"poll": False}}
    quick = {"name": "demo-quick", "when": {"source": QUICK_SOURCE}, "within": f"{int(quick_sla.total_seconds())}s"}
    raw["sla"] = [quick, *raw["sla"]]
    for team in raw["teams"]:
        team["escalation"] = {
            **team.get("escalation", {}),
            "after_expiries": 2,
            "repeat_every": f"{int(quick_sla.total_seconds()) * 2}s",
        }
    return compile_config(raw)


class Transcript:
    """Prints every message Slack would show, as people would see it, as the stand-in receives it."""

    def __init__(
        self,
        standin: SlackStandin,
        config: RoutingConfig,
        people: People,
        out: TextIO,
        receiver: WebhookReceiver | None = None,
        hubspot: HubSpotStandin | None = None,
    ) -> None:
        self.standin, self.config, self.people, self.out = standin, config, people, out
        self.receiver, self.hubspot = receiver, hubspot
        self.seen = self.hooks_seen = self.rejects_seen = self.owners_seen = 0
        self.started = datetime.now(UTC)

    def name(self, slack_id: str) -> str:
        person = self.people.person(slack_id)
        return self.config.person_name(person) if person else slack_id

    def where(self, channel: str) -> str:
        info = self.standin.channel(channel)
        if info is not None and info.is_im and info.user:
            return f"DM to {self.name(info.user)}"
        return f"#{info.name}" if info is not None and info.name else channel

    def flush(self) -> None:
        for call in self.standin.calls[self.seen :]:
            self.seen += 1
            if not call.ok or call.response is None:
                continue
            line = self.describe(call.method, call.args, call.response)
            if line:
                self.print(line)
        if self.receiver is not None:
            for hook in self.receiver.calls[self.hooks_seen :]:
                self.hooks_seen += 1
                data = hook.body["data"]
                company = data["lead"]["contact"].get("company") or f"lead {data['lead']['id']}"
                owner = self.config.person_name(str((data.get("rep") or {}).get("id", "")))
                self.print(
                    f"🔗 webhook {hook.type} to the CRM, signature verified ({hook.signature[:14]}…, "
                    f"webhook-id {hook.id[:12]}…): {company} → {owner}; answered {hook.status}"
                )
            for why in self.receiver.rejected[self.rejects_seen :]:
                self.rejects_seen += 1
                self.print(f"🔗 webhook refused by the CRM: {why}")
        if self.hubspot is not None:
            for contact_id, owner_id in self.hubspot.owner_changes[self.owners_seen :]:
                self.owners_seen += 1
                contact = self.hubspot.contacts[contact_id]["properties"]
                owner = self.hubspot.owners.get(owner_id, {}).get("email", owner_id)
                rule = contact.get("leadrelay_rule")
                why = f"rule {rule!r}" if rule else contact.get("leadrelay_reason", "")
                self.print(
                    f"🟠 HubSpot contact {contact.get('email') or contact_id} (id {contact_id}): owner → {owner}, {why}"
                )

    def print(self, line: str) -> None:
        stamp = (datetime.now(UTC) - self.started).total_seconds()
        print(f"[{stamp:5.1f}s] {line}", file=self.out, flush=True)

    def readable(self, mrkdwn: str) -> str:
        """What a person sees: mentions as names, dates in words, escaped characters as typed."""
        text = _MENTION.sub(lambda m: "@" + self.name(m.group(1)), mrkdwn.replace("\n", " "))
        text = _DATE.sub(lambda m: m.group(1), text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def describe(self, method: str, args: dict[str, Any], response: dict[str, Any]) -> str | None:
        text = self.readable(str(args.get("text", "")))
        buttons = _buttons(args.get("blocks"))
        if method == "chat.postMessage":
            thread = " (in thread)" if args.get("thread_ts") else ""
            return f"💬 {self.where(str(response.get('channel')))}{thread}: {text}{buttons}"
        if method == "chat.update":
            return f"✏️  {self.where(str(args.get('channel')))} updated: {text}{buttons}"
        if method == "chat.postEphemeral":
            return f"👁  only {self.name(str(args.get('user')))} sees: {text}"
        if method == "views.open":
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            return f"🪟 a modal opens: {view.get('title', {}).get('text', '')}"
        return None


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


def _buttons(blocks: Any) -> str:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    labels = [
        element["text"]["text"]
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]
    return f"  [{'] ['.join(labels)}]" if labels else ""


async def _until(check: Callable[[], Awaitable[bool] | bool], transcript: Transcript, within: float) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        transcript.flush()
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return True
        await asyncio.sleep(0.1)
    return False


async def run_demo(
    config_path: str, *, out: TextIO, quick_sla: timedelta = timedelta(seconds=15), directory: Path = DEMO_DIR
) -> int:
    database = _fresh_database(directory)
    url = f"sqlite+aiosqlite:///{database}"
    webhook_secret = new_secret()
    async with (
        SlackStandin(tokens={TOKEN}) as standin,
        WebhookReceiver(webhook_secret, path="/crm/leadrelay") as crm,
        HubSpotStandin() as hubspot,
    ):
        config = demo_config(config_path, quick_sla, crm.url, hubspot=True)
        people = {rep.email: rep.name for rep in config.reps.values()}
        people.update({manager.email: manager.name for manager in config.managers.values()})
        for email, name in people.items():
            if email:  # everyone has a HubSpot user: the owner lands for whoever claims
                hubspot.add_owner(email, first_name=name)
        for rep in config.reps.values():
            if rep.slack_id:
                standin.add_user(rep.id, id=rep.slack_id, real_name=rep.name, tz=rep.tz.key)
        for manager in config.managers.values():
            if manager.slack_id:
                standin.add_user(manager.id, id=manager.slack_id, real_name=manager.name)
        for team in config.teams.values():
            if team.channel and standin.channel(team.channel) is None:
                standin.add_channel(f"sales-{team.id}", id=team.channel)
        db = await connect(url)
        metrics = Metrics()
        clock = OffsetClock(MONDAY_10_NEW_YORK)
        service = Service.build(
            config=config,
            db=db,
            slack=Slack(make_client(TOKEN, standin.url), metrics),
            clock=clock,
            metrics=metrics,
            environ={
                WEBHOOK_SECRET_ENV: webhook_secret,
                "HUBSPOT_TOKEN": hubspot.token,
                "HUBSPOT_API_URL": hubspot.url,
            },
        )
        runner = web.AppRunner(
            build_web_app(service, build_bolt_app(service, SECRET), signing_secret=SECRET, intake_token=INTAKE)
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        transcript = Transcript(standin, config, service.people, out, crm, hubspot)
        try:
            async with aiohttp.ClientSession() as http:
                driver = SlackDriver(base, standin, http, SECRET)
                await _story(service, standin, driver, http, base, transcript, quick_sla, out)
        finally:
            transcript.flush()
            await runner.cleanup()
            await service.slack.close()
        try:
            since = MONDAY_10_NEW_YORK - timedelta(hours=1)
            await _report(db, config, since=since, until=clock.now(), charts=database.parent / "charts", out=out)
        finally:
            await db.close()
    print(f"\nThe demo's database is kept at {database}. Read it again with:", file=out)
    until = (clock.now() + timedelta(seconds=1)).isoformat(timespec="seconds")
    print(f"  DATABASE_URL={url} leadrelay --config {config_path} report --until {until} --since 1d", file=out)
    return 0


def _fresh_database(directory: Path) -> Path:
    """The demo's database file in `directory` (created if needed), emptied of any earlier run's."""
    directory.mkdir(parents=True, exist_ok=True)
    database = (directory / "demo.db").resolve()
    for leftover in (database, database.with_name("demo.db-wal"), database.with_name("demo.db-shm")):
        leftover.unlink(missing_ok=True)
    return database


async def _report(
    db: Database, config: RoutingConfig, *, since: datetime, until: datetime, charts: Path, out: TextIO
) -> None:
    """The report of [since, until), and its two charts written into `charts`."""
    report = await read_report(db, config, since=since, until=until)
    print("\n── The numbers, as `leadrelay report` shows them:\n", file=out)
    write_text(report, config.thresholds, out)
    for path in write_charts(report, charts):
        print(f"chart: {path}", file=out)


async def _story(
    service: Service,
    standin: SlackStandin,
    driver: SlackDriver,
    http: aiohttp.ClientSession,
    base: str,
    transcript: Transcript,
    quick_sla: timedelta,
    out: TextIO,
) -> None:
    def say(text: str) -> None:
        print(f"\n── {text}", file=out, flush=True)

    say(f"Leadrelay on {base}, Slack stand-in on {standin.url}; it is Monday 10:00 in New York.")
    if transcript.receiver is not None:
        say(f"Each claim is also a signed webhook to a CRM stand-in at {transcript.receiver.url}.")
    offers: dict[str, int] = {}
    for lead in LEADS:
        async with http.post(f"{base}/leads", json=lead, headers={"Authorization": f"Bearer {INTAKE}"}) as resp:
            document = await resp.json()
        who = service.config.person_name(document["assignee"]) if document["assignee"] else document["state"]
        say(f"POST /leads {lead['external_id']} → {resp.status}: {who} · {document['summary']}")
        offers[lead["external_id"]] = document["lead_id"]
    await _until(lambda: len(standin.calls_to("chat.postMessage")) >= len(LEADS), transcript, 10)

    async def dm_of(lead_id: int) -> tuple[str, str, str]:
        view = await service.views.lead_view(lead_id)
        offer = view.offers[-1]
        await _until(lambda: _has_dm(service, offer.id), transcript, 10)
        offer = await service.views.offer(offer.id)
        return offer.rep_id, offer.dm_channel or "", offer.dm_ts or ""

    rep, channel, ts = await dm_of(offers["demo-2"])
    say(f"{service.config.person_name(rep)} taps Accept on the Brightpath lead.")
    await driver.click(service.people.slack_id(rep) or "", Action.ACCEPT, channel=channel, ts=ts)
    rep, channel, ts = await dm_of(offers["demo-3"])
    say(f"{service.config.person_name(rep)} taps Reassign… on TinyShop: it belongs to someone else.")
    user = service.people.slack_id(rep) or ""
    await driver.click(user, Action.REASSIGN, channel=channel, ts=ts)
    await _until(lambda: bool(standin.open_views(user)), transcript, 5)
    await driver.submit(
        user,
        {
            Field.REASON: {"selected_option": {"value": "conflict"}},
            Field.NOTE: {"value": "My cousin runs this shop."},
        },
    )
    rep, channel, ts = await dm_of(offers["demo-1"])
    say(f"{service.config.person_name(rep)} accepts Autohaus Vogel too.")
    await driver.click(service.people.slack_id(rep) or "", Action.ACCEPT, channel=channel, ts=ts)

    await _won(service, http, base, offers["demo-2"], say)

    say(f"{service.config.person_name(rep)} met a buyer at a trade fair and logs the lead with the New lead shortcut.")
    user = service.people.slack_id(rep) or ""
    await driver.shortcut(user, Shortcut.NEW_LEAD)
    await _until(lambda: bool(standin.open_views(user)), transcript, 5)
    await driver.submit(
        user,
        {
            Field.LEAD_COMPANY: {"value": "Sonnenhof Energie"},
            Field.LEAD_NAME: {"value": "Katrin Maier"},
            Field.LEAD_EMAIL: {"value": "k.maier@sonnenhof-energie.de"},
            Field.LEAD_COUNTRY: {"value": "Germany"},
            Field.LEAD_EMPLOYEES: {"value": "140"},
            Field.LEAD_INTENT: {"selected_option": {"value": "demo"}},
            Field.LEAD_NOTE: {"value": "Wants a demo before their budget meeting on Friday."},
        },
    )
    await _until(lambda: any(c.args.get("user") == user for c in standin.calls_to("chat.postEphemeral")), transcript, 5)

    seconds = int(quick_sla.total_seconds())
    say(f"Nobody touches Northfield Logistics (a {seconds}s demo SLA). Watch it move on, then escalate.")
    lead_id = offers["demo-4"]

    async def escalated() -> bool:
        return (await service.views.lead_view(lead_id)).lead.state.value == "escalated"

    if not await _until(escalated, transcript, seconds * 4 + 20):
        say("the lead did not escalate in time; see the transcript above")
        return
    await _until(
        lambda: any(
            b
            for m in standin.calls_to("chat.postMessage")
            for b in [m.args.get("blocks")]
            if b and Action.TAKE in str(b)
        ),
        transcript,
        10,
    )
    post = next(m for m in reversed(standin.calls_to("chat.postMessage")) if Action.TAKE in str(m.args.get("blocks")))
    manager = service.config.teams[(await service.views.lead_view(lead_id)).lead.team_id or ""].manager or ""
    say(f"{service.config.person_name(manager)} taps Take in the managers' channel.")
    response = post.response or {}
    await driver.click(
        service.people.slack_id(manager) or "",
        Action.TAKE,
        channel=str(response.get("channel")),
        ts=str(response.get("ts")),
    )
    await _until(lambda: False, transcript, 2)
    view = await service.views.lead_view(lead_id)
    say(
        f"Northfield Logistics is {view.lead.state.value} by {service.config.person_name(view.lead.claimed_by or '')}"
        f" after {len(view.offers)} offers. Every lead has an owner."
    )


async def _won(
    service: Service, http: aiohttp.ClientSession, base: str, lead_id: int, say: Callable[[str], None]
) -> None:
    """The CRM reports the Brightpath deal won: the lead leaves its owner's open load, which frees a place
    under their capacity for the next lead. The load is told apart (claimed leads, open offers) because
    an offer may reach the same rep meanwhile (another lead's SLA running out)."""
    owner = (await service.views.lead_view(lead_id)).lead.claimed_by or ""

    async def load_of_owner() -> load.LoadRow:
        async with service.db.read() as conn:
            return (await conn.run_sync(load.read)).reps.get(owner, load.LoadRow())

    before = await load_of_owner()
    outcome = {"lead": lead_id, "state": "won", "amount": 24000, "occurred_at": service.clock.now().isoformat()}
    async with http.post(f"{base}/outcomes", json=outcome, headers={"Authorization": f"Bearer {INTAKE}"}) as resp:
        document = await resp.json()
    after = await load_of_owner()
    say(
        f"The CRM reports Brightpath won: POST /outcomes → {resp.status} ({document['current']}). "
        f"Claimed leads in {service.config.person_name(owner)}'s load go from {before.held_offers} to "
        f"{after.held_offers} (open load {before.open_offers + before.held_offers} → "
        f"{after.open_offers + after.held_offers}, capacity {service.config.reps[owner].capacity})."
    )


def _has_dm(service: Service, offer_id: int) -> Awaitable[bool]:
    async def check() -> bool:
        return (await service.views.offer(offer_id)).dm_ts is not None

    return check()
