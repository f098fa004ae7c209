"""Expiry, escalation, re-pings and reminders: the clock moves leads on, once."""

from __future__ import annotations

import asyncio

from storage import Database, EndReason, LeadState, OfferState, Store, Views, connect
from tests.storage.conftest import SLA, T0, offered, queued

DUE = T0 + SLA


async def test_an_expired_offer_goes_to_the_next_rep_and_tells_the_team(
    store: Store, views: Views, db: Database
) -> None:
    lead_id, offer_id, rep = await offered(store)
    assert await store.expire_due(DUE - SLA / 15) == []  # not due yet
    [expired] = await store.expire_due(DUE)

    assert (expired.offer_id, expired.rep_id, expired.escalated) == (offer_id, rep, False)
    assert expired.next is not None and expired.next.offer is not None
    assert expired.next.offer.rep_id == "ben" and expired.next.offer.attempt == 2
    assert expired.next.offer.due_at == DUE + SLA
    view = await views.lead_view(lead_id)
    assert [(h.from_state, h.to_state) for h in view.history] == [
        (None, "received"),
        ("received", "assigned"),
        ("assigned", "expired"),
        ("expired", "assigned"),
    ]
    assert [row[:2] for row in await queued(db)][1:] == [
        ("offer_update", "ana"),
        ("offer_dm", "ben"),
        ("lead_thread_note", "CSALES"),
    ]
    note = (await queued(db))[-1][3]
    assert (note["event"], note["rep"], note["next_rep"]) == ("expired", "ana", "ben")


async def test_after_two_expiries_the_lead_is_escalated_to_the_manager(
    store: Store, views: Views, db: Database
) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    [second] = await store.expire_due(DUE + SLA)

    assert second.escalated and second.next is None
    view = await views.lead_view(lead_id)
    assert (view.lead.state, view.lead.offer_id) == (LeadState.ESCALATED, None)
    assert view.lead.next_ping_at == DUE + 2 * SLA
    kind, target, _, payload = (await queued(db))[-1]
    assert (kind, target, payload["manager"], payload["level"]) == ("escalation", "CSALES", "maria", 0)


async def test_a_late_or_repeated_expiry_does_nothing(store: Store, views: Views) -> None:
    lead_id, _, _ = await offered(store)
    assert len(await store.expire_due(DUE)) == 1
    assert await store.expire_due(DUE) == []
    view = await views.lead_view(lead_id)
    assert [h.to_state for h in view.history].count("expired") == 1


async def test_two_workers_expiring_the_same_offer_make_one_transition(db_url: str, store: Store, views: Views) -> None:
    lead_id, offer_id, _ = await offered(store)
    other = await connect(db_url)
    try:
        results = await asyncio.gather(store.expire_due(DUE), Store(other, store.engine).expire_due(DUE))
    finally:
        await other.close()
    assert sorted(len(r) for r in results) == [0, 1]
    view = await views.lead_view(lead_id)
    assert [(h.offer_id, h.to_state) for h in view.history].count((offer_id, "expired")) == 1
    assert len(view.offers) == 2


async def test_a_claim_racing_the_expiry_lets_exactly_one_happen(db_url: str, store: Store, views: Views) -> None:
    for _ in range(5):
        lead_id, offer_id, rep = await offered(store)
        other = await connect(db_url)
        try:
            claim, expiry = await asyncio.gather(
                store.claim(offer_id, by=rep, now=DUE),
                Store(other, store.engine).expire_due(DUE),
                return_exceptions=True,
            )
        finally:
            await other.close()
        view = await views.lead_view(lead_id)
        first = view.offers[0]
        if isinstance(claim, BaseException):  # the timer won
            assert first.end_reason is EndReason.EXPIRED and isinstance(expiry, list) and len(expiry) == 1
            assert "expired" in [h.to_state for h in view.history]
            assert "claimed" not in [h.to_state for h in view.history]
        else:  # the click won
            assert first.state is OfferState.CLAIMED and expiry == []
            assert [h.to_state for h in view.history][-1] == "claimed"
            assert "expired" not in [h.to_state for h in view.history]


async def test_next_due_at_is_the_earliest_deadline_reminder_or_ping(store: Store) -> None:
    assert await store.next_due_at() is None
    await offered(store)
    assert await store.next_due_at() == T0 + SLA / 2  # the reminder comes first
    await store.remind_due(T0 + SLA / 2)
    assert await store.next_due_at() == DUE
    await store.expire_due(DUE)
    await store.expire_due(DUE + SLA)
    assert await store.next_due_at() == DUE + 2 * SLA  # the escalated lead's next ping


async def test_reminders_go_out_once_per_offer(store: Store, db: Database) -> None:
    _, offer_id, rep = await offered(store)
    assert await store.remind_due(T0) == []
    [reminder] = await store.remind_due(T0 + SLA / 2)
    assert (reminder.offer_id, reminder.rep_id, reminder.due_at) == (offer_id, rep, DUE)
    assert await store.remind_due(T0 + SLA) == []
    assert (await queued(db))[-1][:3] == ("reminder", rep, f"offer:{offer_id}:reminder")


async def test_escalations_are_repinged_up_the_chain(store: Store, views: Views) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    await store.expire_due(DUE + SLA)  # escalated: ping 1 to maria
    now = DUE + 2 * SLA
    pinged = []
    for _ in range(4):
        [reping] = await store.repings_due(now)
        pinged.append((reping.manager, reping.level, reping.ping))
        assert await store.repings_due(now) == []  # once per period
        now += SLA
    assert pinged == [("maria", 0, 2), ("hana", 1, 1), ("hana", 1, 2), ("hana", 1, 3)]
    view = await views.lead_view(lead_id)
    assert view.lead.next_ping_at == now
    await store.take(lead_id, by="hana", now=now)
    assert await store.repings_due(now + SLA) == []


async def test_a_batch_of_expiries_sees_each_earlier_move_in_the_batch(store: Store) -> None:
    for rep in ("ana", "ben", "cy"):
        await store.set_capacity(rep, 1, by="maria", now=T0)
    leads = [await offered(store) for _ in range(3)]
    assert [rep for _, _, rep in leads] == ["ana", "ben", "cy"]  # everyone is now full

    first, second, third = await store.expire_due(DUE)  # all three end at once: everyone is free
    # ana's lead goes to ben, ben's to ana; then both are full again, and cy had the last one.
    assert first.next is not None and first.next.offer is not None and first.next.offer.rep_id == "ben"
    assert second.next is not None and second.next.offer is not None and second.next.offer.rep_id == "ana"
    assert third.escalated and third.next is not None and third.next.offer is None
