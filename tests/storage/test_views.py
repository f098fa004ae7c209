"""Read models."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import LeadState, OfferNotFound, Store, Views
from tests.storage.conftest import T0, new_lead, offered


async def test_open_offers_and_recent_claims_of_a_rep(store: Store, views: Views) -> None:
    _, first, _ = await offered(store)  # ana
    await offered(store)  # ben
    await offered(store)  # cy
    _, fourth, _ = await offered(store, T0 + timedelta(minutes=1))  # ana
    assert [o.id for o in await views.open_offers_for("ana")] == [first, fourth]
    await store.claim(first, by="ana", now=T0 + timedelta(minutes=2))
    await store.claim(fourth, by="ana", now=T0 + timedelta(minutes=3))
    assert await views.open_offers_for("ana") == []
    assert [o.id for o in await views.recent_claims("ana", limit=1)] == [fourth]
    assert (await views.offer(fourth)).claimed_at == T0 + timedelta(minutes=3)
    with pytest.raises(OfferNotFound):
        await views.offer(12345)


async def test_unclaimed_for_team_lists_offered_escalated_and_queued_leads(store: Store, views: Views) -> None:
    offered_lead, _, _ = await offered(store)
    escalated = await new_lead(store)
    await store.escalate(escalated, by="ana", reason="help", now=T0)
    claimed_lead, claimed_offer, rep = await offered(store)
    await store.claim(claimed_offer, by=rep, now=T0)
    await new_lead(store)  # received, not routed: no team yet

    unclaimed = await views.unclaimed_for_team("sales")
    assert [(r.id, r.state) for r in unclaimed] == [
        (offered_lead, LeadState.ASSIGNED),
        (escalated, LeadState.ESCALATED),
    ]
    assert claimed_lead not in {r.id for r in unclaimed}
