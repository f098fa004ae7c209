"""Every transition returns the events it committed: what changed, for whom, and whether it queued
outbox rows a sender must deliver (`queued` is checked against the outbox itself)."""

from __future__ import annotations

from datetime import timedelta

from routing import Window
from storage import (
    Database,
    LeadAssigned,
    LeadEscalated,
    LeadNurtured,
    LeadReassigned,
    LeadReceived,
    OfferClaimed,
    OfferExpired,
    OfferReminded,
    RepChanged,
    RepUpdate,
    Store,
)
from tests.storage.conftest import SLA, T0, lead, new_lead, offered, queued

LATER = T0 + SLA / 3


async def test_intake_commits_a_received_and_an_assigned_lead_with_its_deadline(store: Store) -> None:
    intake = await store.intake(lead(), source="web", external_id="x1", payload={}, now=T0)
    assert intake.assigned is not None and intake.assigned.offer is not None
    offer = intake.assigned.offer
    assert intake.events == (
        LeadReceived(at=T0, queued=False, lead_id=intake.received.lead_id, source="web"),
        LeadAssigned(
            at=T0,
            queued=True,
            lead_id=offer.lead_id,
            offer_id=offer.id,
            rep_id=offer.rep_id,
            team_id="sales",
            attempt=1,
            due_at=T0 + SLA,
            remind_at=T0 + SLA / 2,
            by="leadrelay",
        ),
    )
    again = await store.intake(lead(), source="web", external_id="x1", payload={}, now=LATER)
    assert again.events == ()  # a repeat commits nothing


async def test_a_dm_handed_over_at_intake_leaves_the_sender_nothing_to_do(store: Store) -> None:
    intake = await store.intake(
        lead(), source="web", external_id=None, payload={}, now=T0, hand_over=timedelta(seconds=30)
    )
    assert intake.handover is not None
    [_received, assigned] = intake.events
    assert isinstance(assigned, LeadAssigned)
    assert (assigned.handed_over, assigned.queued) == (True, False)


async def test_claim_and_take_commit_who_owns_the_lead(store: Store) -> None:
    lead_id, offer_id, rep = await offered(store)
    claimed = await store.claim(offer_id, by="maria", now=LATER, on_behalf=True)
    assert claimed.events == (
        OfferClaimed(
            at=LATER,
            queued=True,
            lead_id=lead_id,
            offer_id=offer_id,
            owner=rep,
            by="maria",
            team_id="sales",
            due_at=T0 + SLA,
        ),
    )
    other, other_offer, _ = await offered(store)
    taken = await store.take(other, by="maria", now=LATER)
    [event] = taken.events
    assert isinstance(event, OfferClaimed)
    assert (event.lead_id, event.offer_id, event.owner, event.queued, event.due_at) == (
        other,
        None,
        "maria",
        True,  # the withdrawn offer's DM is rewritten
        T0 + SLA,
    )
    assert other_offer != offer_id


async def test_reassign_commits_the_hand_off_then_where_the_lead_went(store: Store) -> None:
    lead_id, offer_id, rep = await offered(store)
    result = await store.reassign(offer_id, by=rep, reason="wrong territory", now=LATER)
    assert result.offer is not None
    reassigned, assigned = result.events
    assert reassigned == LeadReassigned(
        at=LATER,
        queued=True,
        lead_id=lead_id,
        offer_id=offer_id,
        rep_id=rep,
        end_reason="reassigned",
        by=rep,
        team_id="sales",
    )
    assert isinstance(assigned, LeadAssigned)
    assert (assigned.offer_id, assigned.rep_id, assigned.attempt) == (result.offer.id, result.offer.rep_id, 2)
    assert assigned.rep_id != rep


async def test_expiry_commits_the_expired_offer_then_the_next_rep_or_the_escalation(store: Store) -> None:
    lead_id, offer_id, rep = await offered(store)
    [first] = await store.expire_due(T0 + SLA)
    expired, assigned = first.events
    assert expired == OfferExpired(
        at=T0 + SLA, queued=True, lead_id=lead_id, offer_id=offer_id, rep_id=rep, due_at=T0 + SLA, team_id="sales"
    )
    assert isinstance(assigned, LeadAssigned) and assigned.due_at == T0 + 2 * SLA
    [second] = await store.expire_due(T0 + 2 * SLA)  # after_expiries: 2
    _, escalated = second.events
    assert escalated == LeadEscalated(
        at=T0 + 2 * SLA,
        queued=True,
        lead_id=lead_id,
        state="escalated",
        team_id="sales",
        manager="maria",
        level=0,
        ping=1,
        next_ping_at=T0 + 3 * SLA,
        by="leadrelay",
    )
    [reping] = await store.repings_due(T0 + 3 * SLA)
    [pinged] = reping.events
    assert isinstance(pinged, LeadEscalated)
    assert (pinged.ping, pinged.level, pinged.next_ping_at) == (2, 0, T0 + 4 * SLA)


async def test_a_reminder_commits_the_nudge(store: Store) -> None:
    lead_id, offer_id, rep = await offered(store)
    [reminder] = await store.remind_due(T0 + SLA / 2)
    assert reminder.events == (
        OfferReminded(at=T0 + SLA / 2, queued=True, lead_id=lead_id, offer_id=offer_id, rep_id=rep, due_at=T0 + SLA),
    )


async def test_queued_says_whether_the_outbox_grew(store: Store, db: Database) -> None:
    lead_id = await new_lead(store)
    before = len(await queued(db))
    moved = await store.nurture(lead_id, by="maria", reason="student", now=LATER)
    assert moved.events == (LeadNurtured(at=LATER, queued=False, lead_id=lead_id, by="maria"),)
    assert len(await queued(db)) == before
    offered_lead, _, _ = await offered(store)
    before = len(await queued(db))
    moved = await store.nurture(offered_lead, by="maria", reason="student", now=LATER)
    [nurtured] = moved.events
    assert nurtured.queued and len(await queued(db)) == before + 1  # the withdrawn offer's DM update


async def test_rep_changes_commit_what_changed_and_who_did_it(store: Store) -> None:
    week = Window(T0, T0 + timedelta(days=7))
    assert (await store.set_pto("ana", week, by="ana", now=T0)).events == (
        RepChanged(at=T0, queued=False, rep_id="ana", change="pto", by="ana"),
    )
    assert changes(await store.clear_pto("ana", by="maria", now=T0)) == ["pto_cleared"]
    assert changes(await store.clear_pto("ana", by="maria", now=T0)) == []  # nothing left to clear
    assert changes(await store.set_capacity("ana", 2, by="maria", now=T0)) == ["capacity"]
    assert changes(await store.set_paused("ana", True, by="ana", now=T0)) == ["paused"]


def changes(update: RepUpdate) -> list[str]:
    return [event.change for event in update.events if isinstance(event, RepChanged)]
