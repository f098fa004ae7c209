"""Intake and assignment: receive is idempotent, assign persists the decision with its trace."""

from __future__ import annotations

import asyncio

import pytest

from routing import Outcome, Window
from storage import (
    AlreadyClaimed,
    Database,
    LeadNotFound,
    LeadState,
    Message,
    OutboxKind,
    Store,
    UnknownPerson,
    Views,
    WrongState,
)
from tests.storage.conftest import SLA, T0, lead, new_lead, offered, queued


async def test_receive_stores_the_lead_once_per_source_and_external_id(store: Store, views: Views) -> None:
    first = await store.receive(lead(), source="web", external_id="f-1", payload={"a": 1}, now=T0)
    again = await store.receive(lead(), source="web", external_id="f-1", payload={"a": 2}, now=T0)
    other_source = await store.receive(lead(), source="csv", external_id="f-1", payload={}, now=T0)

    assert first.created and not again.created and other_source.created
    assert again.lead_id == first.lead_id != other_source.lead_id
    view = await views.lead_view(first.lead_id)
    assert view.lead.state is LeadState.RECEIVED
    assert view.lead.payload == {"a": 1}
    assert view.lead.lead == lead()
    assert [(h.from_state, h.to_state) for h in view.history] == [(None, "received")]


async def test_receive_without_external_id_never_deduplicates(store: Store) -> None:
    a = await store.receive(lead(), source="web", external_id=None, payload={}, now=T0)
    b = await store.receive(lead(), source="web", external_id=None, payload={}, now=T0)
    assert a.created and b.created and a.lead_id != b.lead_id


async def test_twenty_concurrent_retries_of_one_intake_make_one_lead(store: Store) -> None:
    results = await asyncio.gather(
        *(store.receive(lead(), source="web", external_id="dup", payload={}, now=T0) for _ in range(20))
    )
    assert len({r.lead_id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_assign_offers_the_lead_with_due_time_trace_dm_and_audit(store: Store, views: Views) -> None:
    lead_id = await new_lead(store)
    result = await store.assign(lead_id, now=T0)

    assert result.outcome is Outcome.ASSIGNED and result.state is LeadState.ASSIGNED
    offer = result.offer
    assert offer is not None
    assert (offer.rep_id, offer.attempt, offer.turn, offer.pool) == ("ana", 1, 1, "sales")
    assert offer.due_at == T0 + SLA and offer.remind_at == T0 + SLA / 2
    assert offer.reasons == result.decision.reasons and offer.summary == result.decision.summary
    view = await views.lead_view(lead_id)
    assert view.lead.state is LeadState.ASSIGNED and view.lead.offer_id == offer.id
    assert view.lead.assigned_at == T0 and view.lead.attempts == 1 and view.lead.team_id == "sales"
    assert view.lead.facts is not None and view.lead.facts["email_domain"] == "example.com"
    assert [(h.to_state, h.offer_id, h.actor.id) for h in view.history][-1] == ("assigned", offer.id, "leadrelay")


async def test_assign_queues_the_offer_dm_for_the_rep(store: Store, db: Database) -> None:
    lead_id, offer_id, rep = await offered(store)
    [(kind, target, key, payload)] = await queued(db)
    assert (kind, target, key) == (OutboxKind.OFFER_DM, rep, f"offer:{offer_id}:dm")
    assert payload["lead_id"] == lead_id and payload["due_at"] == (T0 + SLA).isoformat()


async def test_round_robin_moves_the_pool_cursor_one_turn_per_lead(store: Store) -> None:
    reps = [(await offered(store))[2] for _ in range(4)]
    assert reps == ["ana", "ben", "cy", "ana"]
    state = await store.load_routing_state(T0)
    assert state.pool("sales").turn == 4
    assert state.pool("sales").members["ana"].assigned == 2
    assert state.pool("sales").members["ana"].last_turn == 4


async def test_below_the_gate_goes_to_nurture(store: Store, views: Views) -> None:
    lead_id = await new_lead(store, score=5)
    result = await store.assign(lead_id, now=T0)
    assert result.state is LeadState.NURTURE and result.offer is None
    view = await views.lead_view(lead_id)
    assert view.lead.state is LeadState.NURTURE and view.offers == ()
    assert view.history[-1].detail is not None and view.history[-1].detail["reasons"][-1]["code"] == "nurture"


async def test_nobody_available_queues_the_lead_and_pings_the_manager(store: Store, views: Views) -> None:
    for rep in ("ana", "ben", "cy"):
        await store.set_paused(rep, True, by="maria", now=T0)
    lead_id = await new_lead(store)
    result = await store.assign(lead_id, now=T0)

    assert result.state is LeadState.QUEUED and result.offer is None
    view = await views.lead_view(lead_id)
    assert view.lead.state is LeadState.QUEUED
    assert view.lead.next_ping_at == T0 + SLA and view.lead.pings == 1 and view.lead.escalation_level == 0


async def test_assign_refuses_a_lead_with_an_open_offer_or_an_owner(store: Store) -> None:
    lead_id, offer_id, rep = await offered(store)
    with pytest.raises(WrongState) as busy:
        await store.assign(lead_id, now=T0)
    assert busy.value.state == "assigned"
    await store.claim(offer_id, by=rep, now=T0)
    with pytest.raises(AlreadyClaimed) as owned:
        await store.assign(lead_id, now=T0)
    assert (owned.value.by, owned.value.at) == (rep, T0)
    with pytest.raises(LeadNotFound):
        await store.assign(999, now=T0)


async def test_a_manager_pick_gets_the_lead_outside_the_rotation(store: Store) -> None:
    lead_id = await new_lead(store)
    result = await store.assign(lead_id, now=T0, by="maria", prefer_rep="cy")

    assert result.offer is not None and result.offer.rep_id == "cy"
    assert result.offer.turn is None and result.offer.offered_by == "maria"
    assert result.offer.summary == "suggested by @maria"
    assert (await store.load_routing_state(T0)).pool("sales").turn == 0
    assert (await offered(store))[2] == "ana"  # nobody lost their round-robin turn


async def test_an_unavailable_pick_is_passed_over_and_the_trace_says_why(store: Store) -> None:
    await store.set_pto("cy", Window(T0, T0 + SLA * 100), by="cy", now=T0)
    lead_id = await new_lead(store)
    result = await store.assign(lead_id, now=T0, by="maria", prefer_rep="cy")

    assert result.offer is not None and result.offer.rep_id == "ana"
    assert result.offer.reasons[0].code == "suggestion" and "on PTO" in result.offer.reasons[0].text


async def test_exclude_keeps_reps_out_and_unknown_people_are_refused(store: Store) -> None:
    lead_id = await new_lead(store)
    with pytest.raises(UnknownPerson):
        await store.assign(lead_id, now=T0, prefer_rep="nobody")
    result = await store.assign(lead_id, now=T0, exclude=frozenset({"ana"}))
    assert result.offer is not None and result.offer.rep_id == "ben"


async def test_caller_messages_are_written_with_the_assignment(store: Store, db: Database) -> None:
    lead_id = await new_lead(store)
    extra = Message(kind="app_home", address="ana", payload={"refresh": True}, dedup_key=f"home:{lead_id}")
    await store.assign(lead_id, now=T0, outbox=[extra])
    assert [row[:3] for row in await queued(db)] == [
        ("offer_dm", "ana", "offer:1:dm"),
        ("app_home", "ana", f"home:{lead_id}"),
    ]
