"""One lead per person in storage (`Store.intake(..., dedupe_window=...)`): a person's new lead joins
their lead still open or claimed, once per (source, external_id); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import Database, Store
from storage.events import LeadReturned
from storage.model import LeadRef, OutcomeState
from storage.tables import lead_repeats, leads
from tests.storage.conftest import T0, lead, queued

MONTH = timedelta(days=30)


async def _intake(store: Store, external_id: str, minutes: int = 0, **fields: object):  # type: ignore[no-untyped-def]
    return await store.intake(
        lead(**fields),
        source="web",
        external_id=external_id,
        payload={"form": external_id},
        now=T0 + timedelta(minutes=minutes),
        dedupe_window=MONTH,
    )


async def test_a_person_coming_back_joins_their_claimed_lead_once_and_its_owner_is_told(
    db: Database, store: Store
) -> None:
    first = await _intake(store, "f1")
    assert first.assigned is not None and first.assigned.offer is not None
    offer = first.assigned.offer
    await store.claim(offer.id, by=offer.rep_id, now=T0)
    again = await _intake(store, "f2", 5, email="JO@example.com", intent="pricing")
    retry = await _intake(store, "f2", 6, email="JO@example.com", intent="pricing")
    assert (again.attached, again.received.lead_id, again.assigned) == (True, first.received.lead_id, None)
    assert (retry.attached, retry.received.lead_id, retry.events) == (True, first.received.lead_id, ())
    (event,) = again.events
    assert isinstance(event, LeadReturned) and (event.rep_id, event.queued) == (offer.rep_id, True)
    notes = [(kind, address, payload.get("what")) for kind, address, _key, payload in await queued(db)]
    assert notes.count(("lead_returned", offer.rep_id, "asked for pricing")) == 1
    async with db.read() as conn:
        assert len((await conn.execute(select(leads.c.id))).all()) == 1
        assert len((await conn.execute(select(lead_repeats.c.id))).all()) == 1


async def test_a_closed_lead_a_passed_window_or_no_window_route_the_person_again(db: Database, store: Store) -> None:
    first = await _intake(store, "f1")
    await store.record_outcome(
        LeadRef(lead_id=first.received.lead_id),
        state=OutcomeState.DISQUALIFIED,
        occurred_at=T0,
        source="api",
        by="api",
        now=T0,
    )
    after_close = await _intake(store, "f2", 1)
    assert not after_close.attached and after_close.received.created
    late = await store.intake(
        lead(), source="web", external_id="f3", payload={}, now=T0 + MONTH + timedelta(days=1), dedupe_window=MONTH
    )
    assert not late.attached and late.received.created
    undeduped = await store.intake(lead(), source="web", external_id="f4", payload={}, now=T0 + MONTH)
    assert not undeduped.attached and undeduped.received.created


async def test_a_retry_of_a_stored_lead_is_a_retry_not_the_person_coming_back(db: Database, store: Store) -> None:
    first = await _intake(store, "f1")
    retry = await _intake(store, "f1", 1)  # the same delivery again: same person, same (source, external_id)
    assert (retry.attached, retry.received.created, retry.received.lead_id) == (False, False, first.received.lead_id)
    assert retry.events == ()
    async with db.read() as conn:
        assert (await conn.execute(select(lead_repeats.c.id))).all() == []
