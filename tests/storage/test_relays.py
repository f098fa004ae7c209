"""Relays (`storage.relays`): the rows a transition's events imply for webhooks and CRMs commit in the
transition's own transaction, or not at all, and mark the events that queued them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Connection, select

from routing import Engine
from storage import AlreadyClaimed, Database, Event, LeadReceived, OfferClaimed, Store
from storage.messages import Row, row
from storage.tables import leads
from tests.storage.conftest import T0, lead, offered, queued


class ClaimRelay:
    """Queues one row per claim, addressed to the owner, with the lead's email read in the transaction."""

    def rows(self, conn: Connection, event: Event) -> Sequence[Row]:
        if not isinstance(event, OfferClaimed):
            return []
        contact = conn.execute(select(leads.c.contact).where(leads.c.id == event.lead_id)).scalar_one()
        email = contact["email"]
        payload = {"email": email, "owner": event.owner}
        return [row("relay_test", event.owner, payload, f"relay:{event.offer_id}", event.lead_id, event.offer_id)]


@pytest.fixture
def relayed(db: Database, engine: Engine) -> Store:
    return Store(db, engine, relays=[ClaimRelay()])


async def test_a_claim_queues_its_relay_row_in_the_same_transaction_and_says_so(relayed: Store, db: Database) -> None:
    lead_id, offer_id, rep = await offered(relayed, email="pat@example.com")
    claimed = await relayed.claim(offer_id, by=rep, now=T0)
    [event] = claimed.events
    assert isinstance(event, OfferClaimed) and event.queued
    relay_rows = [r for r in await queued(db) if r[0] == "relay_test"]
    assert relay_rows == [("relay_test", rep, f"relay:{offer_id}", {"email": "pat@example.com", "owner": rep})]
    assert lead_id == event.lead_id


async def test_a_refused_transition_queues_nothing_for_its_relays(relayed: Store, db: Database) -> None:
    _lead_id, offer_id, rep = await offered(relayed)
    await relayed.claim(offer_id, by=rep, now=T0)
    with pytest.raises(AlreadyClaimed):
        await relayed.claim(offer_id, by=rep, now=T0)
    assert [r[0] for r in await queued(db)].count("relay_test") == 1


async def test_events_a_relay_ignores_are_left_as_they_were(relayed: Store) -> None:
    intake = await relayed.intake(lead(), source="web", external_id="r1", payload={}, now=T0)
    received = intake.events[0]
    assert received == LeadReceived(at=T0, queued=False, lead_id=intake.received.lead_id, source="web")
