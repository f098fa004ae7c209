"""The owner relay (`connectors.crm.relay`) against a real store, on each database: one owner row per
claim, committed with it, carrying what the transport needs; a retried transition queues nothing more."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connectors.crm.relay import OWNER_WRITE, OwnerRelay
from routing import Engine
from routing.config import Crm
from storage import AlreadyClaimed, Database, Store
from storage.tables import outbox
from tests.storage.conftest import CONFIG, T0, offered


async def owner_rows(db: Database) -> list[tuple[Any, ...]]:
    async with db.read() as conn:
        stmt = select(outbox.c.transport, outbox.c.address, outbox.c.dedup_key, outbox.c.payload).where(
            outbox.c.kind == OWNER_WRITE
        )
        return [tuple(row) for row in await conn.execute(stmt.order_by(outbox.c.id))]


@pytest.fixture
def crm() -> Crm:
    return Crm(kind="hubspot", rule_property="lr_rule", reason_property="lr_reason")


async def test_a_claim_queues_one_owner_write_with_the_lead_the_rule_and_the_reason(
    db: Database, engine: Engine, crm: Crm
) -> None:
    store = Store(db, engine, relays=[OwnerRelay(CONFIG, crm)])
    lead_id, offer_id, rep = await offered(store, email="pat@example.com")
    assert await owner_rows(db) == []  # assignment is not configured to write
    claimed = await store.claim(offer_id, by=rep, now=T0)
    assert claimed.events[0].queued
    with pytest.raises(AlreadyClaimed):  # a second click, a retry: nothing more is queued
        await store.claim(offer_id, by=rep, now=T0)
    [(transport, address, key, payload)] = await owner_rows(db)
    assert (transport, address, key) == ("crm", rep, f"crm:hubspot:offer:{offer_id}:claimed")
    assert payload["lead_id"] == lead_id and payload["owner"] == rep and payload["on"] == "claimed"
    assert payload["email"] == "pat@example.com" and payload["record_id"] is None  # not a HubSpot lead
    fields = payload["fields"]
    assert isinstance(fields, dict) and set(fields) == {"lr_rule", "lr_reason"}


async def test_with_assigned_configured_each_offer_writes_too(db: Database, engine: Engine) -> None:
    crm = Crm(kind="hubspot", write_owner_on=frozenset({"assigned", "claimed"}))
    store = Store(db, engine, relays=[OwnerRelay(CONFIG, crm)])
    _lead_id, offer_id, rep = await offered(store)
    await store.claim(offer_id, by=rep, now=T0)
    keys = [key for _, _, key, _ in await owner_rows(db)]
    assert keys == [f"crm:hubspot:offer:{offer_id}:assigned", f"crm:hubspot:offer:{offer_id}:claimed"]


async def test_a_managers_take_names_them_and_clears_the_rule_the_last_owner_was_given(
    db: Database, engine: Engine, crm: Crm
) -> None:
    crm = Crm(
        kind="hubspot",
        write_owner_on=frozenset({"assigned", "claimed"}),
        rule_property="lr_rule",
        reason_property="lr_reason",
    )
    store = Store(db, engine, relays=[OwnerRelay(CONFIG, crm)])
    lead_id, _offer_id, _rep = await offered(store)
    await store.take(lead_id, by="maria", now=T0)
    assigned, taken = [payload for *_, payload in await owner_rows(db)]
    assert assigned["fields"]["lr_rule"]  # the offer's rule, as the routing decided it
    assert taken["owner"] == "maria" and taken["on"] == "claimed"
    assert taken["fields"] == {"lr_rule": "", "lr_reason": "taken by Maria Manager"}  # no stale rule left behind
