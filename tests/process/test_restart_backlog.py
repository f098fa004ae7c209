"""Restart with a backlog: 200 offers fell due while `leadrelay serve` was down.

The scenario runs once per backend (module-scoped; the backends side by side) and the tests below each
check one promise about it.
With the bot down, 200 leads are received and assigned through the Store API with a `now` two hours
ago (SLA 1 h, so every offer fell due an hour ago), and their offer DMs are delivered to the stand-in
and recorded as sent, as a bot that was running normally before the outage would have done (so the
expiry's "expired" edit of each DM has a real message to rewrite, and nothing in the outbox predates
the outage, which `/healthz` would rightly report as a stuck outbox). Then `serve` starts.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import dm
from routing import Engine, Lead, parse_config
from standin import ApiCall, Message, SlackStandin
from storage import Outbox, Store, Views, connect
from tests.process.harness import (
    BACKENDS,
    BOT_TOKEN,
    PENDING_OUTBOX,
    Person,
    add_people,
    busiest_second,
    config_yaml,
    database_url,
    reps,
    rows,
    scalar,
    serve_env,
    serving,
    skip_reason,
)

LEADS = 200  # two sweep batches (`bot.timers.BATCH`), and a digest thread of several replies
REPS = reps(50)
MANAGER = Person("maria", "UMARIA001")
# Seconds after /healthz answers. Correctness, not speed: a generous bound so a slow or busy machine
# does not fail the suite; the time itself (target 2 s) is measured by `python -m bench.sla`.
PROCESS_WITHIN = 15.0
OBSERVE = 6.0  # seconds of Slack traffic watched after /healthz answers, at least…
CHANNEL_SETTLES = 25.0  # …and at most, waiting for the managers' channel to have nothing left to post

pytestmark = pytest.mark.duration(10)  # the scenarios (both backends at once), paid by the first test


@dataclass
class Backlog:
    processed_after: float | None  # seconds from /healthz to every lead processed; None: not within the wait
    per_lead: list[tuple[int, str, int, int, int, int]]  # (lead, state, offers, expired offers, open, audits)
    successor_same_rep: int  # successors offered to the rep whose offer just expired
    calls: list[ApiCall]  # every Web API call during the observation window
    channel_top_level: list[Message]  # manager channel, top-level posts during the window
    channel_backlog: int  # undelivered outbox rows for the manager channel at the end of the window
    pending: int
    log: str


async def _seed(url: str, yaml: str, standin: SlackStandin) -> None:
    """Receive and assign LEADS leads two hours ago, and deliver their DMs as a running bot would have."""
    config = parse_config(yaml)
    db = await connect(url)
    try:
        store, outbox, views = Store(db, Engine(config)), Outbox(db), Views(db, config)
        past = datetime.now(UTC) - timedelta(hours=2)
        for i in range(LEADS):
            lead = Lead(email=f"buyer{i}@shop{i}.com", first_name="Sam", company=f"Shop {i}", score=60)
            at = past + timedelta(milliseconds=i)
            received = await store.receive(lead, source="web", external_id=f"web-{i}", payload={"i": i}, now=at)
            result = await store.assign(received.lead_id, now=at)
            assert result.offer is not None and result.offer.due_at < datetime.now(UTC) - timedelta(minutes=59)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=standin.url)
        client.retry_handlers = []
        while items := await outbox.lease_due(datetime.now(UTC), limit=100):
            for item in items:
                view = await views.lead_view(item.lead_id or 0)
                offer = next(o for o in view.offers if o.id == item.offer_id)
                rendered = dm.offer_dm(view, offer, config, past)
                response = await client.chat_postMessage(
                    channel=config.slack_id(item.address) or "",
                    text=rendered.text,
                    blocks=rendered.blocks,
                    metadata={"event_type": "leadrelay_outbox", "event_payload": {"dedup_key": item.dedup_key}},
                )
                await outbox.mark_sent(item.id, channel=response["channel"], ts=response["ts"], now=past)
        assert await outbox.backlog() == 0
    finally:
        await db.close()


async def _scenario(backend: str, tmp_path: Path) -> Backlog:
    async with database_url(backend, tmp_path) as url, SlackStandin(tokens={BOT_TOKEN}) as standin:
        add_people(standin, [*REPS, MANAGER])
        channel = standin.add_channel("sales-managers", members=[MANAGER.slack_id])
        yaml = config_yaml(
            teams={"sales": (REPS, MANAGER, channel)},
            rules=["{name: everyone, route: {team: sales}}"],
            sla="1h",
            fallback_team="sales",
        )
        config_path = tmp_path / "leadrelay.yml"
        config_path.write_text(yaml)
        await _seed(url, yaml, standin)
        standin.calls.clear()
        env = serve_env(standin=standin, database_url=url, config_path=config_path)
        db = await connect(url, migrate=False)
        try:
            async with aiohttp.ClientSession() as http, serving(["serve"], env, tmp_path) as [serve]:
                serve.start()
                healthy = await serve.wait_healthy(http)
                window_start = len(standin.calls)
                processed_after = None
                deadline = healthy + 30.0  # keep looking past the target, to report how late it was
                while time.monotonic() < deadline:
                    expired = await scalar(db, "SELECT count(*) FROM audit WHERE to_state = 'expired'")
                    if expired >= LEADS:
                        processed_after = time.monotonic() - healthy
                        break
                    await asyncio.sleep(0.02)
                channel_backlog = -1
                while time.monotonic() < healthy + CHANNEL_SETTLES or channel_backlog == -1:
                    channel_backlog = await scalar(
                        db,
                        "SELECT count(*) FROM outbox WHERE address = :c AND sent_at IS NULL AND failed_at IS NULL",
                        c=channel,
                    )
                    if channel_backlog == 0 and time.monotonic() >= healthy + OBSERVE:
                        break
                    await asyncio.sleep(0.1)
                calls = list(standin.calls[window_start:])
                top_level = standin.messages_in(channel, include_replies=False)
                pending = await scalar(db, PENDING_OUTBOX)
                log = serve.log_tail()
            per_lead = await rows(
                db,
                """
                SELECT l.id, l.state,
                       (SELECT count(*) FROM offers o WHERE o.lead_id = l.id),
                       (SELECT count(*) FROM offers o WHERE o.lead_id = l.id AND o.end_reason = 'expired'),
                       (SELECT count(*) FROM offers o WHERE o.lead_id = l.id AND o.state = 'open'),
                       (SELECT count(*) FROM audit a WHERE a.lead_id = l.id AND a.to_state = 'expired')
                FROM leads l ORDER BY l.id
                """,
            )
            same_rep = await scalar(
                db,
                """
                SELECT count(*) FROM offers a JOIN offers b ON a.lead_id = b.lead_id AND b.attempt = a.attempt + 1
                WHERE a.rep_id = b.rep_id
                """,
            )
        finally:
            await db.close()
        return Backlog(
            processed_after=processed_after,
            per_lead=[tuple(r) for r in per_lead],
            successor_same_rep=same_rep,
            calls=calls,
            channel_top_level=top_level,
            channel_backlog=channel_backlog,
            pending=pending,
            log=log,
        )


@pytest.fixture(scope="module")
def backlogs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Backlog | BaseException]:
    """Run the restart scenario on every backend at hand, side by side on a loop of their own (the
    stand-ins live on it): each is mostly watching Slack traffic, so together they take about as
    long as one. A backend whose scenario failed maps to its exception, which only its tests raise."""
    backends = [backend for backend in BACKENDS if not skip_reason(backend)]

    async def run_all() -> list[Backlog | BaseException]:
        return await asyncio.gather(
            *(_scenario(backend, tmp_path_factory.mktemp(f"backlog-{backend}")) for backend in backends),
            return_exceptions=True,
        )

    with ThreadPoolExecutor(1) as pool:
        results = dict(zip(backends, pool.submit(asyncio.run, run_all()).result(), strict=True))
    for backend, result in results.items():
        if isinstance(result, Backlog):
            print(f"backlog[{backend}]: processed {result.processed_after}s after /healthz; channel top-level posts:")
            for message in result.channel_top_level:
                print(f"  {message.text}")
    return results


@pytest.fixture(params=BACKENDS)
def backlog(request: pytest.FixtureRequest, backlogs: dict[str, Backlog | BaseException]) -> Backlog:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    result = backlogs[request.param]
    if isinstance(result, BaseException):
        raise result
    return result


def test_every_overdue_offer_is_expired_exactly_once_soon_after_start(backlog: Backlog) -> None:
    """The first sweep at start-up picks up all LEADS deadlines that passed while the bot was down (the
    time is a benchmark figure, see bench.sla); each offer expires exactly once (one 'expired' audit row, one ended
    offer) and each lead moves on exactly once: to one successor offer with another rep, or escalated."""
    assert backlog.processed_after is not None, f"not all {LEADS} processed within 30 s:\n{backlog.log}"
    assert backlog.processed_after <= PROCESS_WITHIN, f"took {backlog.processed_after:.2f}s after /healthz"
    assert len(backlog.per_lead) == LEADS
    wrong = [
        lead
        for lead in backlog.per_lead
        if not (
            lead[3] == 1
            and lead[5] == 1
            and ((lead[1] == "assigned" and lead[2] == 2 and lead[4] == 1) or (lead[1] == "escalated" and lead[4] == 0))
        )
    ]
    assert wrong == [], f"{len(wrong)} leads not moved on exactly once, e.g. {wrong[:5]}"
    assert backlog.successor_same_rep == 0


def test_recovery_never_hammers_slack_one_post_per_second_per_channel(backlog: Backlog) -> None:
    """Recovering LEADS leads at once sends no burst: not one 429 from Slack (no rate-limit fault is set,
    so any 429 would be the stand-in's), and no channel, DM or team channel, gets more than two posts
    in any one second (Slack allows about one per second per channel; two allows for network jitter)."""
    assert [c for c in backlog.calls if c.status == 429] == []
    posts = [c for c in backlog.calls if c.method == "chat.postMessage"]
    assert posts, "nothing was posted after the restart"
    worst = busiest_second(posts)
    assert max(worst.values()) <= 2, sorted(worst.items(), key=lambda kv: -kv[1])[:5]


def test_the_manager_channel_gets_one_digest_instead_of_a_post_per_lead(backlog: Backlog) -> None:
    """After an outage the managers' channel gets ONE digest about the leads that expired while the bot
    was down (details in its thread), not one post per lead, and the per-lead notes are not left queued
    behind it to trickle out for minutes."""
    assert len(backlog.channel_top_level) == 1, [m.text for m in backlog.channel_top_level[:5]]
    [digest] = backlog.channel_top_level
    assert f"{LEADS} leads" in digest.text and "offline" in digest.text
    assert backlog.channel_backlog < LEADS // 10
