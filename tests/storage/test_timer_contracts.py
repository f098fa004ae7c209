"""Reminders and re-pings: what each commits (one DM or one channel ping, the audit, the next ping)
and what they leave alone (a claimed offer is never reminded)."""

from __future__ import annotations

from datetime import timedelta

from routing import Engine, parse_config
from storage import Database, Reminder, Reping, Store
from storage.events import LeadEscalated, OfferReminded
from tests.storage.conftest import SLA, T0, new_lead, offered
from tests.storage.test_transition_contracts import DUE, SECOND, added, picture, rows_since

REMIND = T0 + SLA / 2
FIVE_MINUTES = timedelta(minutes=5)


async def test_a_reminder_queues_one_dm_to_the_rep_and_changes_nothing_else(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    assert await store.remind_due(REMIND - SECOND) == []
    reminders = await store.remind_due(REMIND)

    after = await picture(db, lead_id)
    assert reminders == [
        Reminder(
            offer_id=offer_id,
            lead_id=lead_id,
            rep_id="ana",
            due_at=DUE,
            events=(
                OfferReminded(at=REMIND, queued=True, lead_id=lead_id, offer_id=offer_id, rep_id="ana", due_at=DUE),
            ),
        )
    ]
    assert added(before.outbox, after.outbox) == (("reminder", "ana", ""),)
    assert (after.lead, after.offers, after.load, after.audit) == (
        before.lead,
        before.offers,
        before.load,
        before.audit,
    )


async def test_a_claimed_offer_is_never_reminded(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.claim(offer_id, by="ana", now=T0 + SECOND)
    before = await picture(db, lead_id)

    assert await store.remind_due(REMIND) == []

    assert await picture(db, lead_id) == before


async def test_a_reping_pings_the_manager_again_in_the_channel_and_sets_the_next_ping(
    store: Store, db: Database
) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    await store.expire_due(DUE + SLA)  # escalated: ping 1 to maria, the next one due a window later
    now = DUE + 2 * SLA
    before = await picture(db, lead_id)

    [reping] = await store.repings_due(now)

    after = await picture(db, lead_id)
    pinged = LeadEscalated(
        at=now,
        queued=True,
        lead_id=lead_id,
        state="escalated",
        team_id="sales",
        manager="maria",
        level=0,
        ping=2,
        next_ping_at=now + SLA,
        by="leadrelay",
    )
    assert reping == Reping(
        lead_id=lead_id, team_id="sales", manager="maria", level=0, ping=2, next_ping_at=now + SLA, events=(pinged,)
    )
    assert after.lead == (*before.lead[:-1], now + SLA)
    assert added(before.outbox, after.outbox) == (("escalation", "CSALES", ""),)
    assert added(before.audit, after.audit) == (
        (None, "leadrelay", "escalated", "escalated", "still unclaimed: ping 2 to @maria"),
    )
    [(_kind, _address, _key, payload)] = await rows_since(db, lead_id, len(before.outbox))
    assert payload == {
        "lead_id": lead_id,
        "team_id": "sales",
        "manager": "maria",
        "level": 0,
        "ping": 2,
        "reason": "still unclaimed: ping 2 to @maria",
    }


async def test_repings_take_the_longest_waiting_lead_first(store: Store) -> None:
    younger, older = await new_lead(store), await new_lead(store)  # received in this order
    await store.assign(older, now=T0)  # but routed, expired and escalated the other way round
    await store.assign(younger, now=T0 + SECOND)
    for moment in (DUE, DUE + SECOND, DUE + SLA, DUE + SLA + SECOND):
        await store.expire_due(moment)
    now = DUE + 3 * SLA

    assert [r.lead_id for r in await store.repings_due(now, limit=1)] == [older]
    assert [r.lead_id for r in await store.repings_due(now, limit=1)] == [younger]


MANAGERLESS_YAML = """
timezone: UTC
working_hours: always
reps: [{id: ana, name: Ana}]
teams:
  - {id: solo, members: [ana], channel: CSOLO, escalation: {after_expiries: 1, repeat_every: 5m}}
rules: [{name: everyone, route: {team: solo}}]
sla: [{name: standard, within: 15m}]
fallback: {team: solo}
"""


async def test_a_team_without_a_manager_is_pinged_in_its_channel_at_its_own_period(db: Database) -> None:
    store = Store(db, Engine(parse_config(MANAGERLESS_YAML)))
    lead_id = await new_lead(store)
    await store.assign(lead_id, now=T0)
    [expired] = await store.expire_due(DUE)  # after_expiries: 1
    assert expired.escalated
    assert (await picture(db, lead_id)).lead[-1] == DUE + FIVE_MINUTES  # repeat_every, not the SLA

    [reping] = await store.repings_due(DUE + FIVE_MINUTES)

    assert (reping.manager, reping.ping, reping.next_ping_at) == (None, 2, DUE + 2 * FIVE_MINUTES)
    assert (await picture(db, lead_id)).audit[-1][-1] == "still unclaimed: ping 2"
