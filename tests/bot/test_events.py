"""The event hub and the subscribers the composition root declares: a committed change reaches the
sender, the SLA timers and the metrics with no call site announcing it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from bot.events import EventHub, SweepFinished, SweepStarted
from storage.events import Event, LeadReceived, RepChanged
from tests.bot.harness import PEOPLE, Stack
from tests.bot.test_delivery import LEAD, until

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_the_hub_hands_each_event_to_its_subscribers_in_order() -> None:
    hub, seen = EventHub(), []
    hub.subscribe(lambda e: seen.append(("any", type(e).__name__)), Event)
    hub.subscribe(lambda e: seen.append(("rep", e.rep_id)), RepChanged)
    hub.subscribe(lambda e: seen.append(("sweep", type(e).__name__)), SweepStarted, SweepFinished)
    hub.publish(
        [
            LeadReceived(at=AT, queued=False, lead_id=1, source="web"),
            RepChanged(at=AT, queued=False, rep_id="ana", change="pto", by="ana"),
            SweepFinished(handled=0),
        ]
    )
    assert seen == [("any", "LeadReceived"), ("any", "RepChanged"), ("rep", "ana"), ("sweep", "SweepFinished")]


def test_a_failing_subscriber_costs_the_others_nothing(caplog: pytest.LogCaptureFixture) -> None:
    hub, seen = EventHub(), []

    def broken(_event: Event) -> None:
        raise RuntimeError("bug")

    hub.subscribe(broken, Event)
    hub.subscribe(lambda e: seen.append(e), Event)
    event = LeadReceived(at=AT, queued=False, lead_id=1, source="web")
    with caplog.at_level(logging.ERROR, logger="bot.events"):
        hub.publish([event])
    assert seen == [event]
    assert "bug" in caplog.text


def test_subscribing_to_nothing_fails_at_wiring_time() -> None:
    with pytest.raises(TypeError):
        EventHub().subscribe(lambda e: None)


async def test_an_accept_click_wakes_the_sender_and_counts_its_lateness(stack: Stack) -> None:
    sender = stack.service.sender
    loop = asyncio.create_task(sender.run(idle=3600))  # only a wake-up can make it deliver
    try:
        await stack.intake(LEAD)
        await until(lambda: len(stack.dms("alice")) == 1)
        [dm] = stack.dms("alice")
        await stack.slack.click(PEOPLE["alice"][0], "lead_accept", channel=dm.channel, ts=dm.ts)
        await until(lambda: "Accepted" in stack.standin.message(dm.channel, dm.ts).text)
    finally:
        loop.cancel()
        await sender.settle(grace=0)
    async with stack.http.get(f"{stack.base}/metrics") as response:
        metrics = await response.text()
    assert "leadrelay_claim_lateness_seconds_count 1.0" in metrics
    assert 'leadrelay_leads_total{source="api"} 1.0' in metrics


async def test_a_new_offer_arms_the_sla_wake_up_at_its_first_deadline(stack: Stack) -> None:
    timers = stack.service.timers
    timers.scheduler.start(paused=True)  # jobs are kept, none runs
    try:
        await stack.intake(LEAD)
        offer = await stack.service.views.offer(1)
        first = min(moment for moment in (offer.due_at, offer.remind_at) if moment is not None)
        [job] = [job for job in timers.scheduler.get_jobs() if job.id.startswith("sla-wakeup-")]
        wait = (job.next_run_time - datetime.now(UTC)).total_seconds()
        expected = (first - stack.clock.now()).total_seconds()
        assert expected - 5 < wait <= expected
    finally:
        timers.scheduler.shutdown(wait=False)
