"""Two `leadrelay serve` replicas on one PostgreSQL database, one Slack, 400 leads and a Slack hiccup.

Both replicas take intake (alternately, as a load balancer would), run the SLA timers and deliver the
outbox; the test plays the reps, pressing **Accept** on each offer DM as it lands (on either replica),
except on every 25th lead ("Ignored"), which nobody takes: those expire twice and escalate. SLAs are
5 s, so expiries, re-routing and escalations happen throughout. Halfway through intake Slack answers a
burst of chat.postMessage calls with 429 (Retry-After 1) and 5xx.

The promises: no DM or channel post twice (dedup keys unique across everything Slack holds and every
post it carried out), one escalation per escalated lead (its own post, or one line in one backlog
digest when the team channel had a queue), and no lead lost (every lead's first DM was delivered and
every lead ended claimed or escalated, with the outbox drained).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from standin import SlackStandin
from standin.driver import SlackDriver
from storage import connect
from tests.process.harness import (
    BOT_TOKEN,
    PENDING_OUTBOX,
    SIGNING_SECRET,
    Person,
    add_people,
    config_yaml,
    database_url,
    dedup_key_of,
    eventually,
    messages_by_key,
    post_lead,
    posts_by_key,
    reps,
    rows,
    scalar,
    serve_env,
    serving,
    skip_reason,
)

TEAMS = 12
REPS_PER_TEAM = 10
LEADS = 400
INTAKE_SECONDS = 10.0  # a steady 40 leads/s: each rep gets one about every 3 s, well under Slack's 1/s per DM
IGNORED_EVERY = 25
SLA = "5s"
# Seconds after the last lead for every lead to settle and the outbox to drain: a liveness bound with
# room for a loaded CI machine (on a quiet one it takes about 10 s: the last ignored lead expires twice),
# not a speed target.
DONE_WITHIN = 90.0


def _lead(i: int) -> dict[str, object]:
    ignored = i % IGNORED_EVERY == 0
    return {
        "email": f"buyer{i}@shop{i}.com",
        "first_name": "Ignored" if ignored else "Sam",
        "company": f"{'Ignored' if ignored else 'Shop'} {i}",
        "industry": f"t{i % TEAMS:02d}",
        "external_id": f"replica-{i}",
    }


async def _play_reps(
    standin: SlackStandin, drivers: list[SlackDriver], people: list[Person], stop: asyncio.Event
) -> int:
    """Press Accept on every new offer DM except the ignored leads'; returns how many clicks were sent."""
    seen: set[tuple[str, str]] = set()
    clicks = 0
    while not stop.is_set():
        batch = []
        for person in people:
            for message in standin.messages_in(person.slack_id, include_replies=False):
                if (message.channel, message.ts) in seen:
                    continue
                seen.add((message.channel, message.ts))
                content = message.text + json.dumps(message.blocks)
                if "lead_accept" in content and "Ignored" not in content:
                    driver = drivers[clicks % len(drivers)]
                    clicks += 1
                    batch.append(_click(driver, person.slack_id, message.channel, message.ts))
        await asyncio.gather(*batch)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
    return clicks


async def _click(driver: SlackDriver, user: str, channel: str, ts: str) -> None:
    with contextlib.suppress(AssertionError):  # the DM was rewritten (expired) before the rep got to it
        posted = await driver.click(user, "lead_accept", channel=channel, ts=ts)
        assert posted.status == 200, posted


async def _metric(http: aiohttp.ClientSession, base: str, name: str) -> float:
    async with http.get(f"{base}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.duration(21)
async def test_two_replicas_under_slack_rate_limits_lose_nothing_and_double_nothing(tmp_path: Path) -> None:
    """See the module docstring. Needs PostgreSQL (LEADRELAY_TEST_POSTGRES_URL); about 22 s."""
    reason = skip_reason("postgres")
    if reason:
        pytest.skip(reason)
    teams = {f"t{t:02d}": reps(REPS_PER_TEAM, prefix=f"t{t:02d}r") for t in range(TEAMS)}
    managers = {team: Person(f"m{team}", f"UM{team.upper()}00") for team in teams}
    everyone = [rep for members in teams.values() for rep in members]
    async with database_url("postgres", tmp_path) as url, SlackStandin(tokens={BOT_TOKEN}) as standin:
        add_people(standin, [*everyone, *managers.values()])
        channels = {team: standin.add_channel(f"{team}-managers") for team in teams}
        config_path = tmp_path / "leadrelay.yml"
        config_path.write_text(
            config_yaml(
                teams={team: (members, managers[team], channels[team]) for team, members in teams.items()},
                rules=[f"{{name: {team}, when: {{industry: {team}}}, route: {{team: {team}}}}}" for team in teams],
                sla=SLA,
                fallback_team="t00",
                escalation="{after_expiries: 2, repeat_every: 1h}",
            )
        )
        env = serve_env(standin=standin, database_url=url, config_path=config_path)
        db = await connect(url, migrate=False)
        try:
            async with aiohttp.ClientSession() as http, serving(["replica-a", "replica-b"], env, tmp_path) as replicas:
                for replica in replicas:
                    replica.start()
                await asyncio.gather(*(replica.wait_healthy(http) for replica in replicas))
                drivers = [SlackDriver(r.base, standin, http, SIGNING_SECRET) for r in replicas]
                stop = asyncio.Event()
                playing = asyncio.create_task(_play_reps(standin, drivers, everyone, stop))

                try:
                    intake: list[asyncio.Task[tuple[int, object]]] = []
                    t0 = time.monotonic()
                    for i in range(LEADS):
                        await asyncio.sleep(max(0.0, t0 + i * INTAKE_SECONDS / LEADS - time.monotonic()))
                        if i == LEADS // 2:  # Slack has a bad moment: 20 × 429 (Retry-After 1), 20 × 5xx
                            for k in range(5):
                                standin.faults.rate_limit("chat.postMessage", times=4, retry_after=1)
                                standin.faults.server_error("chat.postMessage", times=4, status=500 if k % 2 else 503)
                        base = replicas[i % len(replicas)].base
                        intake.append(asyncio.create_task(post_lead(http, base, _lead(i))))
                    answers = await asyncio.gather(*intake)
                    assert Counter(status for status, _ in answers) == {202: LEADS}

                    async def unsettled() -> tuple[int, int]:
                        open_leads = await scalar(
                            db, "SELECT count(*) FROM leads WHERE state NOT IN ('claimed', 'escalated')"
                        )
                        return int(open_leads), int(await scalar(db, PENDING_OUTBOX))

                    intake_done = time.monotonic()
                    try:
                        await eventually(
                            unsettled, lambda n: n == (0, 0), within=DONE_WITHIN, what="(unsettled leads, outbox)"
                        )
                    except AssertionError as slow:  # say what is still waiting, to tell a stall from a slow drain
                        waiting = await rows(
                            db,
                            "SELECT kind, count(*), min(next_attempt_at), max(attempts) FROM outbox"
                            " WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY kind",
                        )
                        raise AssertionError(
                            f"{slow}; waiting by kind (kind, rows, next attempt, attempts): {waiting}"
                        ) from slow
                    settled = time.monotonic()
                finally:
                    stop.set()
                    clicks = await playing
                posts_per_replica = [
                    await _metric(http, r.base, 'leadrelay_slack_api_seconds_count{method="chat.postMessage"}')
                    for r in replicas
                ]

            expired = await scalar(db, "SELECT count(*) FROM offers WHERE end_reason = 'expired'")
            states = dict(await rows(db, "SELECT state, count(*) FROM leads GROUP BY state"))
            print(
                f"replicas: intake {intake_done - t0:.1f}s, settled {settled - intake_done:.1f}s later; "
                f"leads {states}; offers expired {expired}; clicks {clicks}; posts per replica {posts_per_replica}"
            )
            # Slack really misbehaved, and both replicas really delivered.
            statuses = Counter(call.status for call in standin.calls_to("chat.postMessage"))
            assert statuses[429] == 20 and statuses[500] + statuses[503] == 20, statuses
            assert standin.faults.pending == 0
            assert all(count > 0 for count in posts_per_replica), posts_per_replica
            assert clicks > LEADS * 0.9

            # 0 duplicate posts: each dedup key was carried out once, and Slack holds one message per key.
            conversations = [p.slack_id for p in [*everyone, *managers.values()]] + list(channels.values())
            held = messages_by_key(standin, conversations)
            carried_out = posts_by_key(standin)
            assert [key for key, n in held.items() if n > 1] == []
            assert [key for key, n in carried_out.items() if n > 1] == []
            assert set(held) == set(carried_out)

            # 0 duplicate escalations: one escalation (state change and post) per escalated lead.
            escalated = {lead for (lead,) in await rows(db, "SELECT id FROM leads WHERE state = 'escalated'")}
            ignored = {lead for (lead,) in await rows(db, "SELECT id FROM leads WHERE contact::text LIKE '%Ignored%'")}
            assert ignored <= escalated and len(ignored) == LEADS // IGNORED_EVERY
            escalations = await rows(
                db, "SELECT lead_id, dedup_key, result_channel, result_ts FROM outbox WHERE kind = 'escalation'"
            )
            assert Counter(lead for lead, *_ in escalations) == dict.fromkeys(escalated, 1)
            for lead, key, channel, ts in escalations:  # its own post, or its line in one digest's thread
                if held[key] == 1:
                    continue
                digest = standin.message(channel, ts)
                digest_key = dedup_key_of(digest) if digest else None
                assert digest_key and digest_key.startswith("digest:") and held[digest_key] == 1, (key, digest_key)
                lines = [b.get("block_id") for m in standin.thread(channel, ts)[1:] for b in m.blocks]
                assert lines.count(f"lead_{lead}") == 1, (key, digest_key)
            twice = await rows(
                db, "SELECT lead_id FROM audit WHERE to_state = 'escalated' GROUP BY lead_id HAVING count(*) > 1"
            )
            assert twice == []

            # 0 lost leads: every lead's first offer DM reached its rep, and nothing was given up on.
            first_dms = await rows(
                db,
                "SELECT x.dedup_key FROM outbox x JOIN offers o ON o.id = x.offer_id "
                "WHERE x.kind = 'offer_dm' AND o.attempt = 1",
            )
            assert len(first_dms) == LEADS
            assert [key for (key,) in first_dms if held[key] != 1] == []
            assert await scalar(db, "SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL") == 0
            assert all(dedup_key_of(m) for c in channels.values() for m in standin.messages_in(c))
        finally:
            await db.close()
