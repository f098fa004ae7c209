"""Signed webhooks end to end: leads go through the real service, the webhook rows commit with each
transition, and a receiver on loopback verifies every call with the `standardwebhooks` library. Faults
are the receiver's answers (503 for hours, 429 with Retry-After, 410); time is the injected clock."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from bot.cli import main
from bot.delivery.holds import RECHECK_EVERY
from bot.webhook_replay import replay
from connectors.webhooks import new_secret
from routing.config import WEBHOOK_EVENTS
from standin.webhooks import WebhookReceiver
from storage.events import Event, OutcomeRecorded
from storage.relays import relay
from storage.tables import outbox
from tests.bot.harness import CONFIG_YAML, PEOPLE, Stack, running_stack

ALICE, BOB, MARIA = (PEOPLE[p][0] for p in ("alice", "bob", "maria"))
SECRET_ENV = "LEADRELAY_TEST_WEBHOOK_SECRET"
DEMO = {"email": "cto@shop.com", "company": "Shop", "intent": "demo", "external_id": "demo-1"}
# Longer than a Slack id: the outbox's address column must hold a real endpoint URL on PostgreSQL too.
LONG_PATH = "/hooks/leadrelay/" + "0123456789" * 8


def lead(i: int) -> dict[str, Any]:
    return {"email": f"buyer{i}@shop{i}.com", "company": f"Shop {i}", "external_id": f"hook-{i}"}


def config_with(*hooks: tuple[str, Sequence[str] | None]) -> str:
    lines = ["webhooks:"]
    for url, events in hooks:
        which = f", events: [{', '.join(events)}]" if events is not None else ""
        lines.append(f"  - {{url: '{url}', secret_env: {SECRET_ENV}{which}}}")
    return CONFIG_YAML + "\n".join(lines) + "\n"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = new_secret()
    monkeypatch.setenv(SECRET_ENV, value)
    return value


@pytest.fixture
async def receiver(secret: str) -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver(secret, path=LONG_PATH) as running:
        yield running


async def health(stack: Stack) -> tuple[int, dict[str, Any]]:
    async with stack.http.get(f"{stack.base}/healthz") as response:
        return response.status, await response.json()


async def webhook_rows(stack: Stack) -> list[Any]:
    async with stack.service.db.read() as conn:
        rows = await conn.execute(select(outbox).where(outbox.c.transport == "webhook").order_by(outbox.c.id))
        return list(rows)


@dataclass(frozen=True)
class Committed:
    """A transition's result as `storage.relays.relay` takes it: the events it committed."""

    events: tuple[Event, ...]


async def test_every_event_type_reaches_the_receiver_signed_and_verified(
    tmp_path: Path, db_url: str, receiver: WebhookReceiver
) -> None:
    async with running_stack(tmp_path, config_yaml=config_with((receiver.url, None)), database_url=db_url) as stack:
        await stack.intake(DEMO)  # received, assigned to alice
        await stack.deliver()
        await stack.advance(timedelta(minutes=5))  # alice's offer expires: expired, assigned to bob
        [dm] = stack.dms("bob")
        await stack.slack.click(BOB, "lead_reassign", channel=dm.channel, ts=dm.ts)
        await stack.slack.submit(BOB, {"reassign_reason": {"selected_option": {"value": "conflict"}}})
        await stack.deliver()  # reassigned, assigned to carol
        await stack.advance(timedelta(minutes=5))  # carol's expires too: the second expiry escalates
        escalation = next(m for m in stack.standin.messages_in(stack.channel) if "lead_take" in str(m.blocks))
        await stack.slack.click(MARIA, "lead_take", channel=escalation.channel, ts=escalation.ts)
        await stack.deliver()  # claimed, by the manager, with no offer
        await stack.intake(lead(2))  # a second lead that alice accepts: claimed with its offer
        await stack.deliver()
        [offer] = [m for m in stack.dms("alice") if "lead_accept" in str(m.blocks)]
        await stack.slack.click(ALICE, "lead_accept", channel=offer.channel, ts=offer.ts)
        await stack.deliver()
        outcome = OutcomeRecorded(
            at=stack.clock.now(),
            queued=False,
            lead_id=2,
            state="won",
            current="won",
            occurred_at=stack.clock.now() - timedelta(minutes=1),
            amount=1200.0,
            rep_id="alice",
            source="api",
            by="api",
        )
        relays = stack.service.store.scope.relays
        await stack.service.db.transact(lambda conn, _locks: relay(conn, relays, Committed(events=(outcome,))))
        await stack.deliver()

        assert receiver.rejected == []  # every signature verified
        types = [call.type for call in receiver.delivered]
        assert set(types) == set(WEBHOOK_EVENTS)
        first = [call.type for call in receiver.delivered if call.body["data"]["lead"]["id"] == 1]
        assert first == [
            "lead.received",
            "lead.assigned",
            "lead.expired",
            "lead.assigned",
            "lead.reassigned",
            "lead.assigned",
            "lead.expired",
            "lead.escalated",
            "lead.claimed",
        ]
        assert len({call.id for call in receiver.delivered}) == len(receiver.delivered)  # one id per event
        by_type = {call.type: call.body for call in receiver.delivered}
        assigned = next(call.body for call in receiver.delivered if call.type == "lead.assigned")
        assert assigned["data"]["rep"] == {"id": "alice", "name": "Alice Adams", "email": None, "slack_id": ALICE}
        assert assigned["data"]["rule"] == "everyone-else"
        assert assigned["data"]["sla"]["policy"] == "demo"
        assert assigned["data"]["reasons"] and all({"code", "text"} <= set(r) for r in assigned["data"]["reasons"])
        assert assigned["data"]["lead"]["contact"]["email"] == "cto@shop.com"
        assert by_type["lead.reassigned"]["data"]["end_reason"] == "reassigned"
        assert by_type["lead.reassigned"]["data"]["rep"]["id"] == "bob"
        assert by_type["lead.expired"]["data"]["rep"]["id"] == "carol"
        escalated = by_type["lead.escalated"]["data"]
        assert escalated["escalation"]["manager"]["id"] == "maria" and escalated["escalation"]["level"] == 0
        claimed = [call.body["data"] for call in receiver.delivered if call.type == "lead.claimed"]
        assert [(c["rep"]["id"], c["offer"] is None) for c in claimed] == [("maria", True), ("alice", False)]
        won = by_type["lead.outcome"]["data"]
        assert (won["outcome"]["state"], won["outcome"]["amount"], won["rep"]["id"]) == ("won", 1200.0, "alice")
        assert won["lead"]["owner"] == "alice" and won["rule"] == "everyone-else"
        assert by_type["lead.outcome"]["timestamp"] == stack.clock.now().isoformat()


async def test_an_endpoint_gets_only_the_events_it_asked_for(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    async with WebhookReceiver(secret) as everything:
        hooks = config_with((receiver.url, ["lead.claimed"]), (everything.url, None))
        async with running_stack(tmp_path, config_yaml=hooks) as stack:
            await stack.intake(lead(1))
            await stack.deliver()
            [offer] = stack.dms("alice")
            await stack.slack.click(ALICE, "lead_accept", channel=offer.channel, ts=offer.ts)
            await stack.deliver()
    assert [call.type for call in receiver.delivered] == ["lead.claimed"]
    assert [call.type for call in everything.delivered] == ["lead.received", "lead.assigned", "lead.claimed"]
    # One event, one webhook-id at every endpoint: a receiver behind both can drop the repeat.
    assert receiver.delivered[0].id == everything.delivered[2].id


async def test_an_endpoint_down_for_hours_waits_on_the_schedule_loses_nothing_and_is_named_on_healthz(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    async with running_stack(tmp_path, config_yaml=config_with((receiver.url, ["lead.received"]))) as stack:
        receiver.fail(503)
        for i in range(3):
            await stack.intake(lead(i))
        await stack.deliver()
        assert [call.status for call in receiver.calls] == [503]  # the others wait behind the first, in order
        assert len(stack.dms("alice") + stack.dms("bob") + stack.dms("carol")) == 3  # Slack is not held up

        status, body = await health(stack)
        assert status == 503
        [problem] = [line for line in body["problems"] if receiver.url in line]
        assert problem.startswith(f"webhook {receiver.url}: unavailable since") and "HTTP 503" in problem

        # The spec's schedule, with up to 20 % jitter: 5 s, 5 min, 30 min, 2 h (about 3 hours in all).
        for wait, tried in ((timedelta(seconds=3), 1), (timedelta(seconds=4), 2), (timedelta(minutes=6), 3)):
            await stack.advance(wait)
            assert len(receiver.calls) == tried
        await stack.advance(timedelta(minutes=36))
        await stack.advance(timedelta(hours=2, minutes=24))
        assert [call.status for call in receiver.calls] == [503] * 5
        assert len({call.id for call in receiver.calls}) == 1  # the same webhook-id on every retry
        assert receiver.rejected == []  # each attempt signed afresh, with the wall clock receivers check

        receiver.recover()
        await stack.advance(timedelta(hours=3))
        assert len(receiver.calls) == 5  # the next attempt is 5 h after the last: not yet
        await stack.advance(timedelta(hours=3))
        delivered = [call.body["data"]["lead"]["id"] for call in receiver.delivered]
        assert delivered == [1, 2, 3]  # every one, once, in order
        assert not any(receiver.url in line for line in (await health(stack))[1]["problems"])
        assert all(row.sent_at is not None for row in await webhook_rows(stack))


async def test_a_429_waits_as_long_as_its_retry_after_says(tmp_path: Path, receiver: WebhookReceiver) -> None:
    async with running_stack(tmp_path, config_yaml=config_with((receiver.url, ["lead.received"]))) as stack:
        receiver.fail(429, retry_after="120", times=1)
        await stack.intake(lead(1))
        await stack.deliver()
        await stack.advance(timedelta(seconds=60))  # the schedule alone would have retried after ~5 s
        assert [call.status for call in receiver.calls] == [429]
        await stack.advance(timedelta(seconds=60))
        assert [call.status for call in receiver.calls] == [429, 204]
        [row] = await webhook_rows(stack)
        assert row.sent_at is not None and row.attempts == 2


async def test_a_410_disables_that_endpoint_says_how_to_fix_it_and_the_others_keep_going(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    async with WebhookReceiver(secret) as working:
        hooks = config_with((receiver.url, ["lead.received"]), (working.url, ["lead.received"]))
        async with running_stack(tmp_path, config_yaml=hooks) as stack:
            receiver.fail(410)
            await stack.intake(lead(1))
            await stack.intake(lead(2))
            await stack.deliver()
            assert [call.status for call in receiver.calls] == [410]
            assert len(working.delivered) == 2

            status, body = await health(stack)
            assert status == 503
            [held] = body["held"]
            assert (held["transport"], held["address"], held["error"]) == ("webhook", receiver.url, "HTTP 410 Gone")
            assert "remove it from `webhooks`" in held["fix"] and "restart" in held["fix"]
            for _ in range(3):  # disabled: no call, however often the hold is looked at
                await stack.advance(RECHECK_EVERY)
            assert len(receiver.calls) == 1
            waiting = [row for row in await webhook_rows(stack) if row.address == receiver.url]
            assert [(row.sent_at, row.failed_at) for row in waiting] == [(None, None)] * 2  # kept, not lost
            assert waiting[0].attempts == 0  # held, not failing: no attempt is burnt


async def test_a_4xx_is_dead_lettered_at_once_and_outbox_retry_resends_it(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    from bot.dead_letters import retry

    async with running_stack(tmp_path, config_yaml=config_with((receiver.url, ["lead.received"]))) as stack:
        receiver.fail(400, times=1)
        await stack.intake(lead(1))
        await stack.deliver()
        [row] = await webhook_rows(stack)
        assert row.failed_at is not None and row.last_error.startswith("HTTP 400")
        assert await retry(stack.service.outbox, None, stack.clock.now(), io.StringIO(), io.StringIO()) == 0
        await stack.deliver()
        assert [call.status for call in receiver.calls] == [400, 204]


async def test_a_row_failing_past_the_whole_schedule_is_dead_lettered_with_its_last_error(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    async with running_stack(tmp_path, config_yaml=config_with((receiver.url, ["lead.received"]))) as stack:
        receiver.fail(500)
        await stack.intake(lead(1))
        await stack.deliver()
        for _ in range(7):  # each wait of the schedule, at its longest (20 % jitter)
            await stack.advance(timedelta(hours=12))
        assert len(receiver.calls) == 8
        [row] = await webhook_rows(stack)
        assert row.failed_at is not None and row.last_error == "gave up after 8 attempts: HTTP 500"
        assert not any(receiver.url in line for line in (await health(stack))[1]["problems"])  # a dead letter now
        await stack.advance(timedelta(hours=12))
        assert len(receiver.calls) == 8


async def test_replay_sends_each_webhook_of_the_period_again_once_per_run(
    tmp_path: Path, db_url: str, receiver: WebhookReceiver
) -> None:
    async with running_stack(tmp_path, config_yaml=config_with((receiver.url, None)), database_url=db_url) as stack:
        await stack.intake(lead(1))
        await stack.deliver()
        await stack.advance(timedelta(hours=3))  # lead 1's webhooks are older than the replay's period
        await stack.intake(lead(2))
        await stack.deliver()
        originals = list(receiver.delivered)
        cutoff = stack.clock.now() - timedelta(hours=2)  # lead 1's later events (its offer expired) count too
        recent = [call for call in originals if datetime.fromisoformat(call.body["timestamp"]) >= cutoff]
        assert {call.body["data"]["lead"]["id"] for call in originals} - {1} == {2} and len(recent) < len(originals)

        config, out = stack.service.config, io.StringIO()
        await replay(
            stack.service.outbox,
            config,
            since=timedelta(hours=2),
            events=["lead.received"],
            now=stack.clock.now(),
            out=out,
        )
        assert out.getvalue().startswith("1 webhook(s) (lead.received) since")
        await stack.deliver()
        [replayed] = receiver.delivered[len(originals) :]
        [received] = [call for call in recent if call.type == "lead.received"]
        assert (replayed.id, replayed.body) == (received.id, received.body)  # the same event, id and body

        stack.clock.advance(timedelta(seconds=1))  # a second run of the command: once more; copies are not copied
        await replay(
            stack.service.outbox, config, since=timedelta(hours=2), events=None, now=stack.clock.now(), out=out
        )
        await stack.deliver()
        again = receiver.delivered[len(originals) + 1 :]
        assert [call.id for call in again] == [call.id for call in recent]
        assert receiver.rejected == []


def test_a_webhook_whose_secret_is_unset_stops_the_build_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leadrelay.yml"
    path.write_text(config_with(("https://crm.example.com/in", None)).replace("SALES_CHANNEL", "C0SALES01"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert main(["--config", str(path), "check"]) == 0  # the file is valid without the secret (CI checks it)
    assert f"warning: webhooks[0].secret_env: {SECRET_ENV} is not set here" in capsys.readouterr().out
    assert main(["--config", str(path), "webhooks", "replay", "--since", "2h"]) == 2
    err = capsys.readouterr().err
    assert f"webhooks[0].secret_env: the environment variable {SECRET_ENV} is not set" in err
    monkeypatch.setenv(SECRET_ENV, "not-a-secret")
    assert main(["--config", str(path), "webhooks", "replay", "--since", "2h"]) == 2
    assert f"webhooks[0].secret_env: {SECRET_ENV} does not start with whsec_" in capsys.readouterr().err
    monkeypatch.setenv(SECRET_ENV, new_secret())
    assert main(["--config", str(path), "webhooks", "replay", "--since", "2h"]) == 0
    assert capsys.readouterr().out.startswith("0 webhook(s) since")
    assert main(["--config", str(path), "webhooks", "replay", "--since", "2h", "--event", "lead.won"]) == 2
    assert "--event: unknown lead.won" in capsys.readouterr().err


def test_webhooks_secret_prints_a_secret_the_library_signs_with(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhooks", "secret"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("whsec_") and printed != new_secret()
    signer = Webhook(printed)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(time.time()))}
    headers["webhook-signature"] = signer.sign("msg_1", datetime.now(UTC), b"{}")
    assert signer.verify(b"{}", headers) == {}
