"""The weekly digest and the live threshold alerts, end to end: numbers queued as outbox rows, delivered
by the sender to the stand-in (summary, then the two charts uploaded with files_upload_v2)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from bot.metrics import Metrics
from bot.service import Service
from standin import Message
from storage.db import connect
from tests.bot.harness import CONFIG_YAML, Stack, running_stack

MONDAY_0930_NY = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)  # a week after the harness's Monday


def _key(message: Message) -> str:
    """The outbox dedup key the bot stamped on a message ("" for none)."""
    return str(message.metadata["event_payload"]["dedup_key"]) if message.metadata else ""


def digests(stack: Stack) -> list[Message]:
    return [m for m in stack.standin.messages_in(stack.channel, include_replies=False) if _key(m).startswith("digest:")]


async def test_the_weekly_digest_goes_out_once_across_a_restart_in_the_send_window(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        for i in range(3):  # the week of Monday 23 November: three leads for sales
            assert (
                await stack.intake({"email": f"p{i}@shop.com", "country": "US", "external_id": f"w{i}"})
            ).status == 202
        await stack.intake({"email": "k@haus.de", "country": "DE", "external_id": "de"})  # one for dach
        await stack.deliver()
        sample = stack.service.metrics.registry.get_sample_value
        assert sample("leadrelay_speed_to_lead_system_seconds_count") == 4  # each lead's first DM went out
        assert sample("leadrelay_first_offers_total", {"fallback": "false"}) == 4

        stack.clock.set(MONDAY_0930_NY)  # half an hour into the send window
        stack.standin.faults.server_error("files.getUploadURLExternal", times=1, status=500)
        assert await stack.service.reporting.tick() == 2  # sales and dach share the channel
        await stack.deliver()  # both summaries posted; the first chart upload failed and waits to retry

        # A restart: a new process on the same database, ticking in the same send window.
        db = await connect(f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}")
        try:
            restarted = Service.build(
                config=stack.service.config, db=db, slack=stack.service.slack, clock=stack.clock, metrics=Metrics()
            )
            restarted.sender.channel_gap = timedelta(0)
            assert await restarted.reporting.tick() == 0  # this week's digests are queued already
            stack.clock.advance(timedelta(minutes=10))  # the failed upload's retry falls due
            while await restarted.sender.drain():
                pass
            assert await restarted.reporting.tick() == 0
        finally:
            await db.close()

        posted = digests(stack)
        assert len(posted) == 2  # exactly one per team and week, the retry found its first post
        sales = next(m for m in posted if "Sales" in m.text)
        assert "the week of Mon 23 Nov – Sun 29 Nov 2026" in sales.text
        fields = [f["text"] for block in sales.blocks for f in block.get("fields", [])]
        assert any(f.startswith("*leads received*\n3 (nurture 0)") for f in fields)
        [charts] = [m for m in stack.standin.thread(stack.channel, sales.ts)[1:] if m.files]
        assert [f["name"] for f in charts.files] == [
            "sales-2026-11-23-speed-to-lead.png",
            "sales-2026-11-23-claims-vs-fair-share.png",
        ]
        speed = Image.open(io.BytesIO(stack.standin.uploaded(charts.files[0]["id"]) or b""))
        shown = json.loads(speed.info["Description"])
        assert sum(shown["series"]["system: intake → DM"]) == 3  # the three sales leads' DMs went out
        fairness = json.loads(
            Image.open(io.BytesIO(stack.standin.uploaded(charts.files[1]["id"]) or b"")).info["Description"]
        )
        assert fairness["categories"] == ["alice", "bob", "carol"]
        uploads = stack.standin.calls_to("files.completeUploadExternal")
        assert len([c for c in uploads if c.status == 200]) == 2  # each team's charts shared once


async def test_before_the_digest_time_nothing_is_queued_and_past_the_window_neither(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        stack.clock.set(MONDAY_0930_NY - timedelta(hours=1))  # 08:30 in New York
        # Last week's moment (Monday 23 Nov 09:00) is a week old: out of its send window.
        assert await stack.service.reporting.tick() == 0
        stack.clock.set(MONDAY_0930_NY)
        assert await stack.service.reporting.tick() == 2


FLAPPING = CONFIG_YAML.replace(
    "timezone: America/New_York\n",
    "timezone: America/New_York\nreports:\n  digest: null\n  alerts: {window: 1h, min_leads: 2}\n",
).replace("capacity: 5", "capacity: 50")  # room for every lead: each gets a first offer


async def test_a_fallback_rate_hovering_at_its_threshold_raises_once_and_clears_once(tmp_path: Path) -> None:
    async with running_stack(tmp_path, config_yaml=FLAPPING) as stack:
        await stack.service.store.set_paused("dieter", True, by="maria", now=stack.clock.now())  # dach is empty
        serial = iter(range(1000))

        async def leads(country: str, count: int) -> list[int]:
            ids = []
            for _ in range(count):
                answer = await stack.intake({"email": f"x{next(serial)}@shop.com", "country": country})
                ids.append(answer.json()["lead_id"])
            return ids

        async def tick() -> None:
            stack.clock.advance(timedelta(minutes=1))
            await stack.service.reporting.tick()
            await stack.deliver()

        def alerts() -> list[str]:
            return [m.text for m in stack.standin.messages_in(stack.channel) if _key(m).startswith("alert:")]

        german = await leads("DE", 1)  # falls through the dach rule to the fallback team, sales
        await leads("US", 4)
        await tick()  # 1 of 5 first offers: 20 %, over 10 %
        assert alerts() == ["🚨 Sales: fallback rate 20.0% against 10% (over 5)"]
        raised = next(m for m in stack.standin.messages_in(stack.channel) if _key(m).startswith("alert:"))
        assert f"#{german[0]}" in json.dumps(raised.blocks)  # the lead behind it

        for country, count in (("US", 5), ("US", 1), ("DE", 1), ("US", 13)):  # 10 %, 9.1 %, 16.7 %, 8 %
            await leads(country, count)
            await tick()
            assert len(alerts()) == 1  # hovering around the line: no flapping
        await leads("US", 1)  # 2 of 26: 7.7 %, under 80 % of the threshold
        await tick()
        assert alerts()[1:] == ["✅ Sales: back to normal, fallback rate 7.7% against 10% (over 26)"]
        stack.clock.advance(timedelta(hours=2))  # the window empties: nothing more to say
        await tick()
        assert len(alerts()) == 2
        sample = stack.service.metrics.registry.get_sample_value
        assert sample("leadrelay_alert_active", {"team": "sales", "metric": "fallback"}) == 0.0
        assert sample("leadrelay_first_offers_total", {"fallback": "true"}) == 2
