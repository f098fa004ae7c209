"""Read models and the routing report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import LeadState, OfferNotFound, Store, Views
from tests.storage.conftest import SLA, T0, new_lead, offered


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


async def test_the_report_measures_speed_sla_fallback_reassignment_and_balance(store: Store, views: Views) -> None:
    # Six leads received a minute apart, each assigned 30 s after it arrived.
    offers = []
    for i in range(6):
        received = T0 + timedelta(minutes=i)
        lead_id = await new_lead(store, received)
        result = await store.assign(lead_id, now=received + timedelta(seconds=30))
        assert result.offer is not None
        offers.append(result.offer)
    await new_lead(store, T0, score=1)  # will be nurtured
    nurtured = await new_lead(store, T0, score=1)
    await store.assign(nurtured, now=T0)
    # Round robin gave ana, ben, cy, ana, ben, cy. ana claims in time, ben late, cy lets it expire
    # (it goes to ana), ana passes her second lead on (it goes to ben).
    await store.claim(offers[0].id, by="ana", now=offers[0].assigned_at + timedelta(minutes=2))
    await store.claim(offers[1].id, by="ben", now=offers[1].due_at + timedelta(seconds=1))
    await store.expire_due(offers[2].due_at)
    await store.reassign(offers[3].id, by="ana", reason="not mine", now=offers[3].assigned_at)

    report = await views.report(T0, T0 + timedelta(hours=1))
    assert (report.received, report.nurtured) == (8, 1)
    assert report.speed_to_lead.count == 6
    assert report.speed_to_lead.p50 == timedelta(seconds=30) and report.speed_to_lead.p90 == timedelta(seconds=30)
    assert report.speed_to_claim.count == 2
    assert report.speed_to_claim.p50 == timedelta(minutes=2)
    assert report.speed_to_claim.p90 == SLA + timedelta(seconds=1)
    assert (report.sla_met, report.sla_breached) == (1, 2) and report.sla_adherence == pytest.approx(1 / 3)
    assert report.fallback_rate == 0.0
    assert report.reassignment_rate == pytest.approx(1 / 6)
    shares = {s.rep_id: (s.offers, round(s.target, 3)) for s in report.distribution if s.pool == "sales"}
    assert shares == {"ana": (3, 0.333), "ben": (3, 0.333), "cy": (2, 0.333)}
