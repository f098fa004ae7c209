"""The webhook relay's contract (`storage.relays`): the rows an event implies commit in the transition's
own transaction, one per subscribed endpoint, each event once per endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from connectors.webhooks import Endpoint, WebhookRelay, new_secret
from routing import Engine
from storage import AlreadyClaimed, Database, OfferClaimed, Store
from tests.storage.conftest import CONFIG, T0, offered, queued

CRM = Endpoint(url="https://crm.example.com/hooks/" + "x" * 80, secret=new_secret(), events=frozenset({"lead.claimed"}))
BI = Endpoint(url="https://bi.example.com/in", secret=new_secret(), events=frozenset({"lead.assigned", "lead.claimed"}))


@pytest.fixture
def relayed(db: Database, engine: Engine) -> Store:
    return Store(db, engine, relays=[WebhookRelay(CONFIG, [CRM, BI])])


async def webhooks(db: Database) -> list[tuple[str, str, str, dict[str, object]]]:
    return [row for row in await queued(db) if row[0].startswith("lead.")]


async def test_a_claim_queues_one_row_per_subscribed_endpoint_in_its_transaction(relayed: Store, db: Database) -> None:
    _lead_id, offer_id, rep = await offered(relayed)
    assert [(kind, address) for kind, address, _key, _payload in await webhooks(db)] == [("lead.assigned", BI.url)]
    claimed = await relayed.claim(offer_id, by=rep, now=T0)
    [event] = claimed.events
    assert isinstance(event, OfferClaimed) and event.queued  # the dispatcher wakes for them
    rows = [row for row in await webhooks(db) if row[0] == "lead.claimed"]
    assert [address for _kind, address, _key, _payload in rows] == [CRM.url, BI.url]
    keys = [key for _kind, _address, key, _payload in rows]
    assert len(set(keys)) == 2 and all(key.endswith(f"lead.claimed:offer:{offer_id}") for key in keys)
    crm, bi = (payload for _kind, _address, _key, payload in rows)
    assert crm == bi  # one event, one webhook-id and body for every endpoint
    body = crm["body"]
    assert isinstance(body, dict) and body["type"] == "lead.claimed" and body["timestamp"] == T0.isoformat()
    assert body["data"]["rep"]["id"] == rep and body["data"]["lead"]["state"] == "claimed"
    assert body["data"]["offer"]["claimed_by"] == rep and body["data"]["rule"] == "everyone"
    assert body["data"]["sla"] == {
        "policy": "standard",
        "due_at": "2026-03-02T09:15:00+00:00",
        "remind_at": "2026-03-02T09:07:30+00:00",
    }


async def test_a_refused_transition_queues_no_webhook(relayed: Store, db: Database) -> None:
    _lead_id, offer_id, rep = await offered(relayed)
    await relayed.claim(offer_id, by=rep, now=T0)
    before = await webhooks(db)
    with pytest.raises(AlreadyClaimed):
        await relayed.claim(offer_id, by=rep, now=T0)
    assert await webhooks(db) == before


async def test_events_no_endpoint_asked_for_queue_nothing(db: Database, engine: Engine) -> None:
    store = Store(db, engine, relays=[WebhookRelay(CONFIG, [CRM])])
    await offered(store)  # received and assigned: CRM wants only claims
    [reminder] = await store.remind_due(T0 + CONFIG.sla[0].within)  # no webhook carries a reminder
    assert reminder.events and await webhooks(db) == []
