"""The sender's outbox: in order per target, leased so no row goes out twice at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage import Database, LeadState, Outbox, OutboxItemNotFound, Store, Views, connect, messages
from tests.storage.conftest import SLA, T0, lead, offered, queued

LEASE = timedelta(seconds=30)


async def test_rows_for_one_target_go_out_in_order_one_at_a_time(store: Store, outbox: Outbox) -> None:
    _, offer_id, rep = await offered(store)  # ana: offer_dm
    await offered(store)  # ben: offer_dm
    await store.claim(offer_id, by=rep, now=T0)  # ana: offer_update

    first = await outbox.lease_due(T0, limit=10, lease=LEASE)
    assert [(i.kind, i.address) for i in first] == [("offer_dm", "ana"), ("offer_dm", "ben")]
    assert await outbox.lease_due(T0, limit=10, lease=LEASE) == []  # ana's update waits for her DM
    await outbox.mark_sent(first[0].id, channel="D-ANA", ts="1.1", now=T0)
    [update] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    assert (update.kind, update.offer_id, update.dm_channel, update.dm_ts) == ("offer_update", offer_id, "D-ANA", "1.1")


async def test_a_crashed_senders_rows_come_back_after_the_lease(store: Store, outbox: Outbox) -> None:
    await offered(store)
    [item] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    assert item.attempts == 1
    assert await outbox.lease_due(T0 + LEASE - timedelta(seconds=1), limit=10, lease=LEASE) == []
    [again] = await outbox.lease_due(T0 + LEASE, limit=10, lease=LEASE)
    assert (again.id, again.attempts) == (item.id, 2)


async def test_concurrent_senders_never_get_the_same_row(db_url: str, store: Store, outbox: Outbox) -> None:
    for _ in range(12):
        await offered(store)
    others = [await connect(db_url) for _ in range(3)]
    try:
        batches = await asyncio.gather(
            outbox.lease_due(T0, limit=2, lease=LEASE),
            *(Outbox(other).lease_due(T0, limit=2, lease=LEASE) for other in others),
        )
    finally:
        for other in others:
            await other.close()
    ids = [item.id for batch in batches for item in batch]
    assert len(ids) == len(set(ids)) and len(ids) >= 3  # all 3 targets, each once at most
    assert len({item.address for batch in batches for item in batch}) == len(ids)


async def test_retry_waits_and_failure_unblocks_the_target(store: Store, outbox: Outbox) -> None:
    _, offer_id, rep = await offered(store)
    await store.claim(offer_id, by=rep, now=T0)
    [dm] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    await outbox.mark_retry(dm.id, error="ratelimited", at=T0 + timedelta(seconds=5))
    assert await outbox.lease_due(T0 + timedelta(seconds=4), limit=10, lease=LEASE) == []
    [retried] = await outbox.lease_due(T0 + timedelta(seconds=5), limit=10, lease=LEASE)
    assert retried.id == dm.id and retried.attempts == 2
    await outbox.mark_failed(dm.id, error="user_not_found", now=T0 + timedelta(seconds=6))
    [update] = await outbox.lease_due(T0 + timedelta(seconds=6), limit=10, lease=LEASE)
    assert update.kind == "offer_update" and update.dm_ts is None


async def test_the_first_channel_post_starts_the_leads_thread(store: Store, outbox: Outbox, views: Views) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(T0 + SLA)  # a note to CSALES
    await store.expire_due(T0 + 2 * SLA)  # an escalation to CSALES
    items = await outbox.lease_due(T0 + 2 * SLA, limit=10, lease=LEASE)
    note = next(i for i in items if i.kind == "lead_thread_note")
    assert note.thread_ts is None and all(i.kind != "escalation" for i in items)
    await outbox.mark_sent(note.id, channel="CSALES", ts="9.1", now=T0 + 2 * SLA)
    await outbox.mark_sent(note.id, channel="CSALES", ts="9.1", now=T0 + 2 * SLA)  # idempotent
    [escalation] = [i for i in await outbox.lease_due(T0 + 2 * SLA, limit=10, lease=LEASE) if i.address == "CSALES"]
    assert (escalation.kind, escalation.thread_channel, escalation.thread_ts) == ("escalation", "CSALES", "9.1")
    await outbox.mark_sent(escalation.id, channel="CSALES", ts="9.2", now=T0 + 2 * SLA)
    assert (await views.lead_view(lead_id)).lead.thread_ts == "9.1"


async def test_backlog_and_the_age_of_the_oldest_unsent_row(store: Store, outbox: Outbox) -> None:
    assert await outbox.backlog() == 0 and await outbox.oldest_unsent_age(T0) is None
    await offered(store)
    await offered(store, T0 + timedelta(minutes=1))
    assert await outbox.backlog() == 2
    assert await outbox.oldest_unsent_age(T0 + timedelta(minutes=5)) == timedelta(minutes=5)
    for item in await outbox.lease_due(T0 + timedelta(minutes=5), limit=10, lease=LEASE):
        await outbox.mark_sent(item.id, channel="D", ts="1", now=T0 + timedelta(minutes=5))
    assert await outbox.backlog() == 0


async def test_marking_an_unknown_row_is_an_error(outbox: Outbox, db: Database) -> None:
    del db
    with pytest.raises(OutboxItemNotFound):
        await outbox.mark_sent(404, channel="C", ts="1", now=T0)
    with pytest.raises(OutboxItemNotFound):
        await outbox.mark_retry(404, error="x", at=T0)


async def test_an_escalation_without_a_channel_goes_to_the_managers_dm(store: Store, outbox: Outbox) -> None:
    lead_id, _, rep = await offered(store, country="JP")  # team tokyo: manager maria, no channel
    assert rep == "kai"
    await store.escalate(lead_id, by="kai", reason="needs a manager", now=T0)
    items = await outbox.lease_due(T0, limit=10, lease=LEASE)
    assert [(i.kind, i.address) for i in items] == [("offer_dm", "kai"), ("escalation", "maria")]
    assert items[1].payload["manager"] == "maria" and items[1].payload["reason"] == "needs a manager"


async def test_intake_hands_the_new_dm_to_the_caller_and_the_sender_gets_it_only_after_the_lease(
    store: Store, outbox: Outbox, views: Views
) -> None:
    contact = lead(employees=120, country="DE", created_at=T0, extra={"utm": "ad", "seats": 5})
    intake = await store.intake(
        contact, source="web", external_id="w-1", payload={"Company Size": "120"}, now=T0, hand_over=LEASE
    )
    assert intake.received.created and intake.assigned is not None and intake.assigned.offer is not None
    offer, handover = intake.assigned.offer, intake.handover
    assert handover is not None
    assert (handover.item.kind, handover.item.address, handover.item.offer_id) == ("offer_dm", "ana", offer.id)
    assert handover.item.attempts == 1
    assert handover.view.offers == (offer,)  # the lead as the transaction left it: what the DM shows
    assert handover.view.lead.state is LeadState.ASSIGNED
    assert handover.lead == (await views.lead_view(offer.lead_id)).lead  # built, not read back: the same
    # The caller holds it: no sender posts it too, unless the caller never reports back.
    assert await outbox.lease_due(T0 + LEASE - timedelta(seconds=1), limit=10, lease=LEASE) == []
    [again] = await outbox.lease_due(T0 + LEASE, limit=10, lease=LEASE)
    assert (again.id, again.attempts) == (handover.item.id, 2)


async def test_intake_without_a_lease_leaves_the_dm_to_the_sender(store: Store, outbox: Outbox) -> None:
    intake = await store.intake(lead(), source="web", external_id="w-1", payload={}, now=T0)
    assert intake.handover is None
    [item] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    assert (item.kind, item.attempts) == ("offer_dm", 1)


async def test_a_dm_behind_an_older_pending_row_for_the_rep_is_not_handed_over(store: Store, outbox: Outbox) -> None:
    partner = lead(source="partner")  # the partner rule routes every such lead to otto
    first = await store.intake(partner, source="partner", external_id="p-1", payload={}, now=T0, hand_over=LEASE)
    second = await store.intake(partner, source="partner", external_id="p-2", payload={}, now=T0, hand_over=LEASE)
    assert first.handover is not None and first.handover.item.address == "otto"
    assert second.assigned is not None and second.assigned.offer is not None
    assert second.assigned.offer.rep_id == "otto" and second.handover is None  # otto's DMs stay in order
    await outbox.mark_sent(first.handover.item.id, channel="D-OTTO", ts="1.1", now=T0)
    [item] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    assert (item.offer_id, item.attempts) == (second.assigned.offer.id, 1)


async def test_a_repeated_intake_routes_nothing_and_hands_nothing_over(store: Store, views: Views) -> None:
    first = await store.intake(lead(), source="web", external_id="w-1", payload={}, now=T0, hand_over=LEASE)
    again = await store.intake(lead(), source="web", external_id="w-1", payload={}, now=T0, hand_over=LEASE)
    assert (again.received.lead_id, again.received.created) == (first.received.lead_id, False)
    assert again.assigned is None and again.handover is None
    assert len((await views.lead_view(first.received.lead_id)).offers) == 1


async def test_a_released_row_is_due_again_and_its_lease_is_not_counted_as_an_attempt(
    store: Store, outbox: Outbox
) -> None:
    await offered(store)
    [item] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    await outbox.release(item.id, at=T0 + timedelta(seconds=1))
    assert await outbox.lease_due(T0, limit=10, lease=LEASE) == []
    [again] = await outbox.lease_due(T0 + timedelta(seconds=1), limit=10, lease=LEASE)
    assert (again.id, again.attempts) == (item.id, 1)


async def test_resume_makes_due_only_rows_still_waiting_for_the_time_their_sender_set(
    store: Store, outbox: Outbox
) -> None:
    for _ in range(3):
        await offered(store)
    waiting, sent, leased = await outbox.lease_due(T0, limit=10, lease=LEASE)
    later = {row.id: T0 + timedelta(seconds=60 + row.id) for row in (waiting, sent, leased)}
    for row in (waiting, sent, leased):
        await outbox.mark_retry(row.id, error="chat.postMessage: http_503", at=later[row.id])
    await outbox.mark_sent(sent.id, channel="D1", ts="1.1", now=T0)
    moved_on = T0 + timedelta(seconds=90)
    await outbox.mark_retry(leased.id, error="ratelimited", at=moved_on)  # another sender's since
    assert await outbox.resume(later, now=T0 + timedelta(seconds=1)) == 1
    [due] = await outbox.lease_due(T0 + timedelta(seconds=1), limit=10, lease=LEASE)
    assert due.id == waiting.id
    await outbox.mark_sent(due.id, channel="D2", ts="2.2", now=T0 + timedelta(seconds=1))
    assert await outbox.lease_due(moved_on - timedelta(seconds=1), limit=10, lease=LEASE) == []
    assert [row.id for row in await outbox.lease_due(moved_on, limit=10, lease=LEASE)] == [leased.id]


async def test_leasing_only_some_transports_leaves_the_others_rows_pending(store: Store, outbox: Outbox) -> None:
    await offered(store)
    assert await outbox.lease_due(T0, limit=10, lease=LEASE, transports=["webhook"]) == []  # slack is held
    [item] = await outbox.lease_due(T0, limit=10, lease=LEASE, transports=["slack"])
    assert (item.transport, item.attempts) == ("slack", 1)  # the held pass counted no attempt


async def test_a_dead_letter_is_listed_and_revived_once_with_its_attempts_reset(store: Store, outbox: Outbox) -> None:
    await offered(store)
    [item] = await outbox.lease_due(T0, limit=10, lease=LEASE)
    await outbox.mark_failed(item.id, error="chat.postMessage: restricted_action", now=T0)
    [dead] = await outbox.dead_letters()
    assert (dead.id, dead.attempts, dead.last_error, dead.failed_at) == (
        item.id,
        1,
        "chat.postMessage: restricted_action",
        T0,
    )
    later = T0 + timedelta(minutes=5)
    assert await outbox.retry_dead(None, now=later) == [item.id]
    assert await outbox.dead_letters() == []
    assert await outbox.retry_dead([item.id], now=later) == []  # pending already: not revived twice
    [again] = await outbox.lease_due(later, limit=10, lease=LEASE)
    assert (again.id, again.attempts) == (item.id, 1)
    await outbox.mark_sent(again.id, channel="D-ANA", ts="1.1", now=later)
    assert await outbox.retry_dead(None, now=later) == []  # sent: never again


async def test_queue_once_takes_one_row_per_key_however_many_race(outbox: Outbox, db: Database) -> None:
    row = messages.digest(team_id="sales", channel="CSALES", week="2026-03-02", report={"n": 1})
    added = await asyncio.gather(*(outbox.queue_once(row, now=T0) for _ in range(5)))
    assert sorted(added) == [False, False, False, False, True]
    assert await outbox.has("digest:sales:2026-03-02") and not await outbox.has("digest:sales:2026-03-09")
    assert [(kind, key) for kind, _, key, _ in await queued(db)] == [("digest", "digest:sales:2026-03-02")]


async def test_latest_finds_the_newest_turn_of_an_alert(outbox: Outbox) -> None:
    assert await outbox.latest("threshold_alert", messages.alert_key_prefix("sales", "fallback")) is None
    for turn, raised in ((1, True), (2, False)):
        row = messages.threshold_alert(
            team_id="sales", channel="CSALES", metric="fallback", turn=turn, raised=raised, reading={}, lead_ids=[]
        )
        assert await outbox.queue_once(row, now=T0)
    other = messages.threshold_alert(
        team_id="sales", channel="CSALES", metric="sla_breach", turn=1, raised=True, reading={}, lead_ids=[]
    )
    await outbox.queue_once(other, now=T0)
    key, payload = await outbox.latest("threshold_alert", messages.alert_key_prefix("sales", "fallback")) or ("", {})
    assert key == "alert:sales:fallback:2" and payload["raised"] is False
