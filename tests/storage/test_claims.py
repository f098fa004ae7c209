"""Claims and hand-offs: only the right person wins, exactly once, and the loser is told why."""

from __future__ import annotations

import asyncio

import pytest

from storage import (
    AlreadyClaimed,
    Database,
    EndReason,
    LeadState,
    NotYourOffer,
    OfferClosed,
    OfferNotFound,
    OfferState,
    Store,
    UnknownPerson,
    Views,
    WrongState,
)
from tests.storage.conftest import SLA, T0, new_lead, offered, queued

LATER = T0 + SLA / 3


async def test_the_offered_rep_claims_the_lead(store: Store, views: Views, db: Database) -> None:
    lead_id, offer_id, rep = await offered(store)
    claimed = await store.claim(offer_id, by=rep, now=LATER)

    assert (claimed.lead_id, claimed.owner, claimed.by, claimed.at, claimed.due_at) == (
        lead_id,
        rep,
        rep,
        LATER,
        T0 + SLA,
    )
    view = await views.lead_view(lead_id)
    assert (view.lead.state, view.lead.claimed_by, view.lead.claimed_at) == (LeadState.CLAIMED, rep, LATER)
    assert (view.offers[0].state, view.offers[0].end_reason) == (OfferState.CLAIMED, EndReason.CLAIMED)
    assert (view.history[-1].from_state, view.history[-1].to_state) == ("assigned", "claimed")
    assert (await queued(db))[-1][:3] == ("offer_update", rep, f"offer:{offer_id}:claimed")


async def test_someone_else_cannot_claim_the_offer(store: Store) -> None:
    _, offer_id, rep = await offered(store)
    with pytest.raises(NotYourOffer) as refused:
        await store.claim(offer_id, by="ben", now=LATER)
    assert refused.value.holder == rep == "ana"
    with pytest.raises(NotYourOffer):  # a manager claims only on the rep's behalf, and says so
        await store.claim(offer_id, by="maria", now=LATER)
    with pytest.raises(NotYourOffer):  # kai's team has maria as manager, but ana is not in it
        await store.claim(offer_id, by="kai", now=LATER, on_behalf=True)
    with pytest.raises(UnknownPerson):
        await store.claim(offer_id, by="stranger", now=LATER)
    with pytest.raises(OfferNotFound):
        await store.claim(999, by=rep, now=LATER)


async def test_a_manager_claims_on_behalf_of_their_rep(store: Store, views: Views) -> None:
    lead_id, offer_id, rep = await offered(store)
    claimed = await store.claim(offer_id, by="maria", now=LATER, on_behalf=True)
    assert (claimed.owner, claimed.by) == (rep, "maria")
    view = await views.lead_view(lead_id)
    assert view.lead.claimed_by == rep and view.offers[0].claimed_by == "maria"
    assert view.history[-1].actor.kind == "manager" and view.history[-1].reason == f"accepted for @{rep} by @maria"


async def test_fifty_concurrent_claims_make_one_owner_and_name_the_winner(store: Store, views: Views) -> None:
    lead_id, offer_id, rep = await offered(store)
    results = await asyncio.gather(
        *(store.claim(offer_id, by=rep, now=LATER) for _ in range(25)),
        *(store.claim(offer_id, by="maria", now=LATER, on_behalf=True) for _ in range(25)),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 1 and len(losses) == 49
    assert all(isinstance(loss, AlreadyClaimed) for loss in losses)
    assert {(loss.by, loss.at) for loss in losses if isinstance(loss, AlreadyClaimed)} == {(rep, LATER)}
    view = await views.lead_view(lead_id)
    assert [h.to_state for h in view.history].count("claimed") == 1


async def test_a_claim_after_the_offer_ended_says_how_it_ended(store: Store) -> None:
    _, offer_id, rep = await offered(store)
    await store.expire_due(T0 + SLA)
    with pytest.raises(OfferClosed) as closed:
        await store.claim(offer_id, by=rep, now=T0 + SLA)
    assert (closed.value.reason, closed.value.at) == ("expired", T0 + SLA)


async def test_take_gives_an_escalated_lead_to_the_manager(store: Store, views: Views) -> None:
    lead_id = await new_lead(store)
    await store.escalate(lead_id, by=None, reason="VIP", now=T0)
    taken = await store.take(lead_id, by="maria", now=LATER)
    assert (taken.owner, taken.offer_id, taken.due_at) == ("maria", None, None)
    view = await views.lead_view(lead_id)
    assert (view.lead.state, view.lead.claimed_by, view.lead.next_ping_at) == (LeadState.CLAIMED, "maria", None)
    with pytest.raises(AlreadyClaimed) as late:
        await store.take(lead_id, by="hana", now=LATER)
    assert late.value.by == "maria"


async def test_take_of_an_offered_lead_ends_the_offer_as_taken(store: Store, views: Views, db: Database) -> None:
    lead_id, offer_id, rep = await offered(store)
    taken = await store.take(lead_id, by="maria", now=LATER)
    assert taken.due_at == T0 + SLA
    view = await views.lead_view(lead_id)
    assert (view.offers[0].state, view.offers[0].end_reason) == (OfferState.ENDED, EndReason.TAKEN)
    with pytest.raises(AlreadyClaimed):
        await store.claim(offer_id, by=rep, now=LATER)
    assert (await queued(db))[1][:3] == ("offer_update", rep, f"offer:{offer_id}:taken")


async def test_take_refuses_a_lead_nobody_has_routed(store: Store) -> None:
    lead_id = await new_lead(store)
    with pytest.raises(WrongState):
        await store.take(lead_id, by="maria", now=LATER)


async def test_reassign_passes_the_lead_on_and_keeps_the_reason(store: Store, views: Views, db: Database) -> None:
    lead_id, offer_id, rep = await offered(store)
    result = await store.reassign(offer_id, by=rep, reason="wrong territory", note="they are in Ohio", now=LATER)

    assert result.offer is not None and result.offer.rep_id == "ben" and result.offer.attempt == 2
    view = await views.lead_view(lead_id)
    assert view.offers[0].end_reason is EndReason.REASSIGNED and view.lead.offer_id == result.offer.id
    gone = next(h for h in view.history if h.to_state == "reassigned")
    assert gone.reason == "wrong territory" and gone.detail == {"note": "they are in Ohio", "suggested_rep": None}
    assert [row[:2] for row in await queued(db)] == [
        ("offer_dm", "ana"),
        ("offer_update", "ana"),
        ("offer_dm", "ben"),
        ("lead_thread_note", "CSALES"),
    ]


async def test_reassign_never_returns_the_lead_to_a_previous_holder(store: Store) -> None:
    _, first, _ = await offered(store)
    second = await store.reassign(first, by="ana", reason="busy", now=LATER)
    assert second.offer is not None
    third = await store.reassign(second.offer.id, by="ben", reason="busy", now=LATER)
    assert third.offer is not None and third.offer.rep_id == "cy"
    assert third.offer is not None
    last = await store.reassign(third.offer.id, by="cy", reason="busy", now=LATER)
    assert last.state is LeadState.QUEUED and last.offer is None


async def test_reassign_to_a_suggested_colleague(store: Store) -> None:
    _, offer_id, _ = await offered(store)
    result = await store.reassign(offer_id, by="ana", reason="knows them", suggested_rep="cy", now=LATER)
    assert result.offer is not None and result.offer.rep_id == "cy"
    assert result.offer.summary == "suggested by @ana"


async def test_releasing_an_accepted_lead_routes_it_again(store: Store, views: Views) -> None:
    lead_id, offer_id, rep = await offered(store)
    await store.claim(offer_id, by=rep, now=LATER)
    result = await store.reassign(offer_id, by=rep, reason="out sick", now=LATER)
    assert result.offer is not None and result.offer.rep_id == "ben"
    view = await views.lead_view(lead_id)
    assert view.offers[0].end_reason is EndReason.RELEASED
    assert (view.lead.state, view.lead.claimed_by) == (LeadState.ASSIGNED, None)


async def test_reassign_is_refused_to_others_and_after_the_offer_ended(store: Store) -> None:
    _, offer_id, _ = await offered(store)
    with pytest.raises(NotYourOffer):
        await store.reassign(offer_id, by="ben", reason="mine now", now=LATER)
    await store.reassign(offer_id, by="maria", reason="rebalancing", now=LATER)  # the manager may
    with pytest.raises(OfferClosed) as closed:
        await store.reassign(offer_id, by="ana", reason="again", now=LATER)
    assert closed.value.reason == "reassigned"


async def test_nurture_withdraws_the_open_offer(store: Store, views: Views) -> None:
    lead_id, offer_id, rep = await offered(store)
    record = (await store.nurture(lead_id, by="maria", reason="student", now=LATER)).lead
    assert record.state is LeadState.NURTURE and record.offer_id is None
    view = await views.lead_view(lead_id)
    assert view.offers[0].end_reason is EndReason.WITHDRAWN
    with pytest.raises(OfferClosed):
        await store.claim(offer_id, by=rep, now=LATER)
    again = await store.assign(lead_id, now=LATER)  # a nurtured lead can be routed again
    assert again.offer is not None and again.offer.rep_id != rep


async def test_escalate_withdraws_the_offer_and_pings_the_manager(store: Store, views: Views, db: Database) -> None:
    lead_id, offer_id, rep = await offered(store)
    record = (await store.escalate(lead_id, by=rep, reason="asks for a discount", now=LATER)).lead
    assert (record.state, record.offer_id, record.escalation_level, record.pings) == (LeadState.ESCALATED, None, 0, 1)
    assert record.next_ping_at == LATER + SLA
    view = await views.lead_view(lead_id)
    assert view.offers[0].end_reason is EndReason.WITHDRAWN
    kind, target, _, payload = (await queued(db))[-1]
    assert (kind, target, payload["manager"], payload["reason"]) == (
        "escalation",
        "CSALES",
        "maria",
        "asks for a discount",
    )
    with pytest.raises(OfferClosed):
        await store.claim(offer_id, by=rep, now=LATER)
    with pytest.raises(WrongState):
        await store.escalate(lead_id, by=rep, reason="again", now=LATER)
    await store.take(lead_id, by="maria", now=LATER)
    with pytest.raises(AlreadyClaimed):
        await store.escalate(lead_id, by=rep, reason="too late", now=LATER)
