"""What each transition commits, and what each refuses, pinned as whole before/after pictures.

A transition's contract is everything it writes in its one transaction: the lead's state and owner,
the offers (state, how and when they ended), the reps' load counters, the outbox rows queued for Slack
and the audit trail. `Picture` reads all of it; each test says exactly what changes, and a refusal
says that nothing does (the transaction rolled back, even the conditional update that ran first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import (
    AlreadyClaimed,
    Database,
    LeadState,
    NotYourOffer,
    OfferClosed,
    OfferNotFound,
    OfferState,
    Outbox,
    Store,
    WrongState,
    load,
)
from storage.events import LeadAssigned, LeadEscalated, LeadNurtured, LeadReassigned, OfferClaimed, OfferExpired
from storage.tables import audit, leads, offers
from storage.tables import outbox as outbox_rows
from tests.storage.conftest import SLA, T0, lead, new_lead, offered

DUE = T0 + SLA
SOON = T0 + SLA / 3
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Picture:
    """Everything a transition may write about one lead, read in one transaction."""

    lead: tuple[Any, ...]  # state, offer, owner, claimed at, attempts, next ping
    offers: tuple[tuple[Any, ...], ...]  # id, rep, state, end reason, ended at, claimed by
    load: dict[str, tuple[int, int]]  # rep: (open offers, claimed offers held in the load)
    holds: frozenset[int]  # claimed offers in the load window
    outbox: tuple[tuple[str, str, str], ...]  # kind, address, status or event
    audit: tuple[tuple[Any, ...], ...]  # offer, actor, from, to, reason


async def picture(db: Database, lead_id: int) -> Picture:
    async with db.read() as conn:
        lead = (
            await conn.execute(
                select(
                    leads.c.state,
                    leads.c.offer_id,
                    leads.c.claimed_by,
                    leads.c.claimed_at,
                    leads.c.attempts,
                    leads.c.next_ping_at,
                ).where(leads.c.id == lead_id)
            )
        ).one()
        made = await conn.execute(
            select(
                offers.c.id,
                offers.c.rep_id,
                offers.c.state,
                offers.c.end_reason,
                offers.c.ended_at,
                offers.c.claimed_by,
            )
            .where(offers.c.lead_id == lead_id)
            .order_by(offers.c.id)
        )
        sent = await conn.execute(
            select(outbox_rows.c.kind, outbox_rows.c.address, outbox_rows.c.payload)
            .where(outbox_rows.c.lead_id == lead_id)
            .order_by(outbox_rows.c.id)
        )
        trail = await conn.execute(
            select(audit.c.offer_id, audit.c.actor_id, audit.c.from_state, audit.c.to_state, audit.c.reason)
            .where(audit.c.lead_id == lead_id)
            .order_by(audit.c.id)
        )
        counters = await conn.run_sync(load.read)
    return Picture(
        lead=tuple(lead),
        offers=tuple(tuple(row) for row in made),
        load={rep: (row.open_offers, row.held_offers) for rep, row in counters.reps.items()},
        holds=frozenset(counters.holds),
        outbox=tuple((kind, address, p.get("status") or p.get("event") or "") for kind, address, p in sent),
        audit=tuple(tuple(row) for row in trail),
    )


def added(before: tuple[Any, ...], after: tuple[Any, ...]) -> tuple[Any, ...]:
    """What `after` has past `before`, which it must start with (nothing rewritten, only appended)."""
    assert after[: len(before)] == before
    return after[len(before) :]


# Claim ------------------------------------------------------------------------------------------


async def test_claim_makes_the_rep_owner_and_moves_the_offer_from_open_to_held_load(store: Store, db: Database) -> None:
    lead_id, offer_id, rep = await offered(store)
    before = await picture(db, lead_id)

    claimed = await store.claim(offer_id, by=rep, now=SOON)

    after = await picture(db, lead_id)
    assert (claimed.lead_id, claimed.offer_id, claimed.owner, claimed.by, claimed.at, claimed.due_at) == (
        lead_id,
        offer_id,
        "ana",
        "ana",
        SOON,
        DUE,
    )
    assert after.lead == ("claimed", offer_id, "ana", SOON, 1, None)
    assert after.offers == ((offer_id, "ana", "claimed", "claimed", SOON, "ana"),)
    assert (before.load["ana"], after.load["ana"]) == ((1, 0), (0, 1))
    assert (before.holds, after.holds) == (frozenset(), {offer_id})
    assert added(before.outbox, after.outbox) == (("offer_update", "ana", "claimed"),)  # no thread note yet
    assert added(before.audit, after.audit) == ((offer_id, "ana", "assigned", "claimed", "accepted by @ana"),)
    assert claimed.events == (
        OfferClaimed(
            at=SOON, queued=True, lead_id=lead_id, offer_id=offer_id, owner="ana", by="ana", team_id="sales", due_at=DUE
        ),
    )


async def test_a_manager_claiming_for_their_rep_makes_the_rep_owner_and_is_named_as_who_clicked(
    store: Store, db: Database
) -> None:
    lead_id, offer_id, _ = await offered(store)

    claimed = await store.claim(offer_id, by="maria", now=SOON, on_behalf=True)

    after = await picture(db, lead_id)
    assert (claimed.owner, claimed.by) == ("ana", "maria")
    assert after.lead[:3] == ("claimed", offer_id, "ana")
    assert after.offers[0][-1] == "maria"
    assert after.audit[-1] == (offer_id, "maria", "assigned", "claimed", "accepted for @ana by @maria")
    assert after.load["ana"] == (0, 1)


async def test_claiming_a_second_offer_tells_the_team_thread_who_took_it(store: Store, db: Database) -> None:
    lead_id, _, _ = await offered(store)
    [expired] = await store.expire_due(DUE)
    assert expired.next is not None and expired.next.offer is not None
    second = expired.next.offer.id
    before = await picture(db, lead_id)

    await store.claim(second, by="ben", now=DUE + SECOND)

    after = await picture(db, lead_id)
    assert added(before.outbox, after.outbox) == (
        ("offer_update", "ben", "claimed"),
        ("lead_thread_note", "CSALES", "claimed"),
    )
    assert (before.load["ben"], after.load["ben"]) == ((1, 0), (0, 1))


async def test_claim_by_another_rep_is_refused_and_leaves_everything_as_it_was(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    with pytest.raises(NotYourOffer) as refused:
        await store.claim(offer_id, by="ben", now=SOON)

    assert (refused.value.offer_id, refused.value.holder, refused.value.actor) == (offer_id, "ana", "ben")
    assert await picture(db, lead_id) == before


async def test_a_second_claim_is_refused_naming_the_owner_and_when(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.claim(offer_id, by="ana", now=SOON)
    before = await picture(db, lead_id)

    with pytest.raises(AlreadyClaimed) as refused:
        await store.claim(offer_id, by="ana", now=SOON + SECOND)

    assert (refused.value.lead_id, refused.value.by, refused.value.at) == (lead_id, "ana", SOON)
    assert await picture(db, lead_id) == before


async def test_claiming_a_stale_offer_is_refused_saying_how_and_when_it_ended(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.expire_due(DUE)
    before = await picture(db, lead_id)

    with pytest.raises(OfferClosed) as refused:
        await store.claim(offer_id, by="ana", now=DUE + SECOND)

    assert (refused.value.offer_id, refused.value.reason, refused.value.at) == (offer_id, "expired", DUE)
    assert await picture(db, lead_id) == before


# Assign -----------------------------------------------------------------------------------------


async def test_assign_opens_one_offer_counts_it_in_the_reps_load_and_queues_the_dm(store: Store, db: Database) -> None:
    lead_id = await new_lead(store)
    before = await picture(db, lead_id)

    result = await store.assign(lead_id, now=T0)

    after = await picture(db, lead_id)
    assert result.offer is not None and (result.state, result.offer.rep_id) == (LeadState.ASSIGNED, "ana")
    offer_id = result.offer.id
    assert (before.lead, after.lead) == (
        ("received", None, None, None, 0, None),
        ("assigned", offer_id, None, None, 1, None),
    )
    assert after.offers == ((offer_id, "ana", "open", None, None, None),)
    assert after.load == {"ana": (1, 0)}
    assert added(before.outbox, after.outbox) == (("offer_dm", "ana", ""),)
    assert added(before.audit, after.audit) == (
        (offer_id, "leadrelay", "received", "assigned", result.decision.summary),
    )
    assert result.offer.state is OfferState.OPEN
    [(_kind, _address, key, dm)] = await rows_since(db, lead_id, len(before.outbox))
    assert (key, dm) == (
        f"offer:{offer_id}:dm",
        {
            "lead_id": lead_id,
            "offer_id": offer_id,
            "rep_id": "ana",
            "attempt": 1,
            "summary": result.decision.summary,
            "due_at": DUE.isoformat(),
            "offered_by": "leadrelay",
        },
    )
    [assigned] = result.events
    assert isinstance(assigned, LeadAssigned)
    assert (assigned.offer_id, assigned.rep_id, assigned.attempt, assigned.due_at, assigned.team_id) == (
        offer_id,
        "ana",
        1,
        DUE,
        "sales",
    )


async def test_assign_of_a_lead_with_an_open_offer_is_refused_and_changes_nothing(store: Store, db: Database) -> None:
    lead_id, _, _ = await offered(store)
    before = await picture(db, lead_id)

    with pytest.raises(WrongState):
        await store.assign(lead_id, now=SOON)

    assert await picture(db, lead_id) == before


# Expire -----------------------------------------------------------------------------------------


async def test_expiry_ends_the_offer_offers_the_lead_to_the_next_rep_and_tells_the_thread(
    store: Store, db: Database
) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    [expired] = await store.expire_due(DUE)

    after = await picture(db, lead_id)
    assert expired.next is not None and expired.next.offer is not None
    second = expired.next.offer.id
    assert after.lead == ("assigned", second, None, None, 2, None)
    assert after.offers == (
        (offer_id, "ana", "ended", "expired", DUE, None),
        (second, "ben", "open", None, None, None),
    )
    assert (before.load, after.load) == ({"ana": (1, 0)}, {"ana": (0, 0), "ben": (1, 0)})
    assert added(before.outbox, after.outbox) == (
        ("offer_update", "ana", "expired"),
        ("offer_dm", "ben", ""),
        ("lead_thread_note", "CSALES", "expired"),
    )
    assert added(before.audit, after.audit) == (
        (offer_id, "leadrelay", "assigned", "expired", f"not accepted by @ana by {DUE.isoformat()}"),
        (second, "leadrelay", "expired", "assigned", expired.next.decision.summary),
    )
    assert [type(e) for e in expired.events] == [OfferExpired, LeadAssigned]
    [update, _dm, note] = await rows_since(db, lead_id, len(before.outbox))
    assert (update[3]["status"], update[3]["by"], update[3]["at"]) == ("expired", "leadrelay", DUE.isoformat())
    assert note[3] == {
        "lead_id": lead_id,
        "team_id": "sales",
        "event": "expired",
        "offer_id": offer_id,
        "rep": "ana",
        "next_rep": "ben",
    }
    assert (expired.lead_id, expired.offer_id, expired.rep_id, expired.due_at) == (lead_id, offer_id, "ana", DUE)


async def test_an_offer_is_not_expired_a_second_before_its_deadline(store: Store, db: Database) -> None:
    lead_id, _, _ = await offered(store)
    before = await picture(db, lead_id)

    assert await store.expire_due(DUE - SECOND) == []

    assert await picture(db, lead_id) == before


async def test_the_last_allowed_expiry_escalates_to_the_manager_and_frees_the_rep(store: Store, db: Database) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)  # ana's offer: ben has it now
    before = await picture(db, lead_id)
    second = before.lead[1]

    [expired] = await store.expire_due(DUE + SLA)  # after_expiries: 2

    after = await picture(db, lead_id)
    assert (expired.lead_id, expired.offer_id, expired.rep_id, expired.due_at) == (lead_id, second, "ben", DUE + SLA)
    assert (expired.escalated, expired.next) == (True, None)
    assert after.lead == ("escalated", None, None, None, 2, DUE + 2 * SLA)
    assert after.offers[-1] == (second, "ben", "ended", "expired", DUE + SLA, None)
    assert after.load == {"ana": (0, 0), "ben": (0, 0)}
    assert added(before.outbox, after.outbox) == (("offer_update", "ben", "expired"), ("escalation", "CSALES", ""))
    assert added(before.audit, after.audit)[1] == (
        second,
        "leadrelay",
        "expired",
        "escalated",
        "2 offers expired unclaimed",
    )
    _, escalated = expired.events
    assert isinstance(escalated, LeadEscalated)
    assert (escalated.manager, escalated.level, escalated.ping, escalated.state) == ("maria", 0, 1, "escalated")


async def test_a_second_expiry_run_finds_nothing_and_changes_nothing(store: Store, db: Database) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    before = await picture(db, lead_id)

    assert await store.expire_due(DUE) == []

    assert await picture(db, lead_id) == before


# Reassign ---------------------------------------------------------------------------------------


async def test_reassigning_an_open_offer_passes_the_lead_on_and_moves_the_load(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    result = await store.reassign(offer_id, by="ana", reason="wrong territory", note="try EMEA", now=SOON)

    after = await picture(db, lead_id)
    assert result.offer is not None
    second = result.offer.id
    assert after.lead == ("assigned", second, None, None, 2, None)
    assert after.offers == (
        (offer_id, "ana", "ended", "reassigned", SOON, None),
        (second, "ben", "open", None, None, None),
    )
    assert after.load == {"ana": (0, 0), "ben": (1, 0)}
    assert added(before.outbox, after.outbox) == (
        ("offer_update", "ana", "reassigned"),
        ("offer_dm", "ben", ""),
        ("lead_thread_note", "CSALES", "reassigned"),
    )
    assert added(before.audit, after.audit) == (
        (offer_id, "ana", "assigned", "reassigned", "wrong territory"),
        (second, "ana", "reassigned", "assigned", result.decision.summary),
    )
    reassigned, assigned = result.events
    assert reassigned == LeadReassigned(
        at=SOON,
        queued=True,
        lead_id=lead_id,
        offer_id=offer_id,
        rep_id="ana",
        end_reason="reassigned",
        by="ana",
        team_id="sales",
    )
    assert isinstance(assigned, LeadAssigned) and assigned.rep_id == "ben"
    update, _dm, note = await rows_since(db, lead_id, len(before.outbox))
    assert (update[3]["status"], update[3]["by"]) == ("reassigned", "ana")
    assert note[3] == {
        "lead_id": lead_id,
        "team_id": "sales",
        "event": "reassigned",
        "offer_id": offer_id,
        "rep": "ana",
        "by": "ana",
        "reason": "wrong territory",
        "note": "try EMEA",
        "next_rep": "ben",
    }


async def test_releasing_a_claimed_lead_drops_its_owner_and_its_hold(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.claim(offer_id, by="ana", now=SOON)
    before = await picture(db, lead_id)

    result = await store.reassign(offer_id, by="ana", reason="on leave", now=SOON + SECOND)

    after = await picture(db, lead_id)
    assert result.offer is not None
    assert after.lead == ("assigned", result.offer.id, None, None, 2, None)
    assert after.offers[0] == (offer_id, "ana", "ended", "released", SOON + SECOND, "ana")
    assert (before.load, after.load) == ({"ana": (0, 1)}, {"ana": (0, 0), "ben": (1, 0)})
    assert (before.holds, after.holds) == ({offer_id}, frozenset())
    assert added(before.outbox, after.outbox)[0] == ("offer_update", "ana", "released")
    assert added(before.audit, after.audit)[0] == (offer_id, "ana", "claimed", "released", "on leave")


async def test_reassigning_to_a_suggested_colleague_gives_them_the_lead(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)

    result = await store.reassign(offer_id, by="ana", reason="knows them", suggested_rep="cy", now=SOON)

    assert result.offer is not None and result.offer.rep_id == "cy"
    assert (await picture(db, lead_id)).load == {"ana": (0, 0), "cy": (1, 0)}


async def test_reassign_by_another_rep_is_refused_and_changes_nothing(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    with pytest.raises(NotYourOffer) as refused:
        await store.reassign(offer_id, by="ben", reason="mine now", now=SOON)

    assert (refused.value.holder, refused.value.actor) == ("ana", "ben")

    assert await picture(db, lead_id) == before


async def test_reassigning_a_stale_offer_is_refused_and_changes_nothing(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.expire_due(DUE)
    before = await picture(db, lead_id)

    with pytest.raises(OfferClosed) as refused:
        await store.reassign(offer_id, by="ana", reason="too late", now=DUE + SECOND)

    assert (refused.value.reason, refused.value.at) == ("expired", DUE)
    assert await picture(db, lead_id) == before


# Take -------------------------------------------------------------------------------------------


async def test_take_of_an_offered_lead_ends_the_offer_and_makes_the_taker_owner(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    taken = await store.take(lead_id, by="maria", now=SOON)

    after = await picture(db, lead_id)
    assert (taken.lead_id, taken.offer_id, taken.owner, taken.by, taken.at, taken.due_at) == (
        lead_id,
        None,
        "maria",
        "maria",
        SOON,
        DUE,
    )
    assert after.lead == ("claimed", None, "maria", SOON, 1, None)
    assert after.offers == ((offer_id, "ana", "ended", "taken", SOON, None),)
    assert after.load == {"ana": (0, 0)}
    assert after.holds == frozenset()
    assert added(before.outbox, after.outbox) == (
        ("offer_update", "ana", "taken"),
        ("lead_thread_note", "CSALES", "taken"),
    )
    assert added(before.audit, after.audit) == ((offer_id, "maria", "assigned", "claimed", "taken by @maria"),)
    assert taken.events == (
        OfferClaimed(
            at=SOON, queued=True, lead_id=lead_id, offer_id=None, owner="maria", by="maria", team_id="sales", due_at=DUE
        ),
    )


async def test_take_of_an_escalated_lead_stops_the_pings(store: Store, db: Database) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    await store.expire_due(DUE + SLA)  # escalated
    now = DUE + SLA + SECOND
    before = await picture(db, lead_id)

    taken = await store.take(lead_id, by="hana", now=now)

    after = await picture(db, lead_id)
    assert before.lead[0] == "escalated" and before.lead[-1] is not None
    assert after.lead == ("claimed", None, "hana", now, 2, None)
    assert after.offers == before.offers  # no offer was open
    assert added(before.outbox, after.outbox) == (("lead_thread_note", "CSALES", "taken"),)
    assert added(before.audit, after.audit) == ((None, "hana", "escalated", "claimed", "taken by @hana"),)
    assert taken.events == (
        OfferClaimed(
            at=now, queued=True, lead_id=lead_id, offer_id=None, owner="hana", by="hana", team_id="sales", due_at=None
        ),
    )


async def test_take_of_a_claimed_lead_is_refused_naming_the_owner(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.claim(offer_id, by="ana", now=SOON)
    before = await picture(db, lead_id)

    with pytest.raises(AlreadyClaimed) as refused:
        await store.take(lead_id, by="maria", now=SOON + SECOND)

    assert (refused.value.by, refused.value.at) == ("ana", SOON)
    assert await picture(db, lead_id) == before


# Withdraw (Slack cannot reach the rep) ------------------------------------------------------------


async def unreachable_notes(db: Database) -> list[tuple[str, str, str, str]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(outbox_rows.c.address, outbox_rows.c.payload)
            .where(outbox_rows.c.kind == "rep_unreachable")
            .order_by(outbox_rows.c.id)
        )
        return [(address, p["rep_id"], p["code"], p["team_id"]) for address, p in rows]


async def test_an_unreachable_reps_offer_is_withdrawn_and_the_lead_goes_to_the_next_rep(
    store: Store, db: Database
) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    result = await store.withdraw_unreachable(offer_id, code="user_not_found", now=SOON)

    after = await picture(db, lead_id)
    assert result is not None and result.offer is not None
    second = result.offer.id
    assert after.lead == ("assigned", second, None, None, 2, None)
    assert after.offers == (
        (offer_id, "ana", "ended", "withdrawn", SOON, None),
        (second, "ben", "open", None, None, None),
    )
    assert after.load == {"ana": (0, 0), "ben": (1, 0)}
    assert added(before.outbox, after.outbox) == (("offer_dm", "ben", ""),)  # ana's DM cannot be updated
    assert added(before.audit, after.audit) == (
        (offer_id, "leadrelay", "assigned", "withdrawn", "Slack cannot reach @ana (user_not_found)"),
        (second, "leadrelay", "withdrawn", "assigned", result.decision.summary),
    )
    assert await unreachable_notes(db) == [("CSALES", "ana", "user_not_found", "sales")]
    async with db.read() as conn:
        about = await conn.execute(select(audit.c.rep_id).where(audit.c.to_state == "withdrawn"))
        assert about.scalars().all() == ["ana"]  # the audit row names the rep Slack cannot reach
    withdrawn, assigned = result.events
    assert withdrawn == LeadReassigned(
        at=SOON,
        queued=True,
        lead_id=lead_id,
        offer_id=offer_id,
        rep_id="ana",
        end_reason="withdrawn",
        by="leadrelay",
        team_id="sales",
    )
    assert isinstance(assigned, LeadAssigned) and assigned.rep_id == "ben"


async def test_the_team_hears_that_a_rep_is_unreachable_once_a_day(store: Store, db: Database) -> None:
    _, first, _ = await offered(store)
    await store.withdraw_unreachable(first, code="user_disabled", now=SOON)
    await offered(store, SOON)  # cy's turn
    _, second, rep = await offered(store, SOON)
    assert rep == "ana"  # ana's turn again, the same day

    result = await store.withdraw_unreachable(second, code="user_disabled", now=SOON + SECOND)

    assert result is not None and result.events[0].queued is False
    assert await unreachable_notes(db) == [("CSALES", "ana", "user_disabled", "sales")]


async def test_withdrawing_an_offer_that_closed_meanwhile_does_nothing(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    await store.claim(offer_id, by="ana", now=SOON)
    before = await picture(db, lead_id)

    assert await store.withdraw_unreachable(offer_id, code="user_not_found", now=SOON + SECOND) is None

    assert await picture(db, lead_id) == before
    assert await unreachable_notes(db) == []


# Take: what the channel hears -------------------------------------------------------------------


async def rows_since(db: Database, lead_id: int, first: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The lead's outbox rows from the `first`-th on: (kind, address, dedup key, payload)."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(outbox_rows.c.kind, outbox_rows.c.address, outbox_rows.c.dedup_key, outbox_rows.c.payload)
            .where(outbox_rows.c.lead_id == lead_id)
            .order_by(outbox_rows.c.id)
        )
        return [tuple(row) for row in rows][first:]  # type: ignore[misc]


async def last_audit_id(db: Database, lead_id: int) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.max(audit.c.id)).where(audit.c.lead_id == lead_id))).scalar_one()


async def test_take_tells_the_thread_who_took_the_lead_from_whom(store: Store, db: Database) -> None:
    lead_id, offer_id, _ = await offered(store)
    before = await picture(db, lead_id)

    await store.take(lead_id, by="maria", now=SOON)

    audit_id = await last_audit_id(db, lead_id)
    update, note = await rows_since(db, lead_id, len(before.outbox))
    assert update[:3] == ("offer_update", "ana", f"offer:{offer_id}:taken")
    assert update[3] == {
        "lead_id": lead_id,
        "offer_id": offer_id,
        "rep_id": "ana",
        "status": "taken",
        "by": "maria",
        "at": SOON.isoformat(),
    }
    assert note == (
        "lead_thread_note",
        "CSALES",
        f"audit:{audit_id}:note",
        {"lead_id": lead_id, "team_id": "sales", "event": "taken", "by": "maria", "rep": "ana"},
    )


async def test_take_rewrites_the_escalation_post_the_channel_already_shows(
    store: Store, db: Database, outbox: Outbox
) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    await store.expire_due(DUE + SLA)  # escalated: the ping is queued for CSALES
    delivered = []
    while batch := await outbox.lease_due(DUE + SLA, limit=50):  # the sender delivers everything
        for item in batch:
            await outbox.mark_sent(item.id, channel=item.address, ts=f"9.{item.id}", now=DUE + SLA)
        delivered += batch
    [post] = [item for item in delivered if item.kind == "escalation"]
    before = await picture(db, lead_id)

    taken = await store.take(lead_id, by="maria", now=DUE + SLA + SECOND)

    audit_id = await last_audit_id(db, lead_id)
    resolved, note = await rows_since(db, lead_id, len(before.outbox))
    assert resolved == (
        "escalation_resolved",
        "CSALES",
        f"outbox:{post.id}:resolved:{audit_id}",
        {"lead_id": lead_id, "channel": "CSALES", "ts": f"9.{post.id}"},
    )
    assert note[3] == {"lead_id": lead_id, "team_id": "sales", "event": "taken", "by": "maria", "rep": None}
    assert taken.events[0].queued is True


async def test_take_in_a_team_without_a_channel_still_rewrites_the_reps_dm(store: Store, db: Database) -> None:
    received = await store.receive(lead(source="bulk"), source="web", external_id=None, payload={}, now=T0)
    result = await store.assign(received.lead_id, now=T0)
    assert result.offer is not None
    before = await picture(db, received.lead_id)

    taken = await store.take(received.lead_id, by="maria", now=SOON)

    after = await picture(db, received.lead_id)
    assert added(before.outbox, after.outbox) == (("offer_update", result.offer.rep_id, "taken"),)  # no thread
    assert taken.events[0].queued is True


async def test_take_of_a_lead_nobody_has_routed_is_refused_naming_the_state(store: Store, db: Database) -> None:
    lead_id = await new_lead(store)
    before = await picture(db, lead_id)

    with pytest.raises(WrongState) as refused:
        await store.take(lead_id, by="maria", now=SOON)

    assert (refused.value.lead_id, refused.value.state, refused.value.action) == (lead_id, "received", "take")
    assert await picture(db, lead_id) == before


async def test_claiming_an_offer_that_does_not_exist_names_it(store: Store) -> None:
    with pytest.raises(OfferNotFound) as refused:
        await store.claim(404, by="ana", now=SOON)

    assert refused.value.offer_id == 404


# Escalation: the first ping --------------------------------------------------------------------


async def test_escalation_pings_the_first_manager_once_and_keeps_the_decision_trace(store: Store, db: Database) -> None:
    for rep in ("ana", "ben", "cy"):
        await store.set_paused(rep, True, by="maria", now=T0)
    lead_id = await new_lead(store)  # nobody can take it: queued for the managers

    result = await store.assign(lead_id, now=T0)

    audit_id = await last_audit_id(db, lead_id)
    [ping] = await rows_since(db, lead_id, 0)
    assert ping == (
        "escalation",
        "CSALES",
        f"audit:{audit_id}:escalation",
        {
            "lead_id": lead_id,
            "team_id": "sales",
            "manager": "maria",
            "level": 0,
            "ping": 1,
            "reason": result.decision.summary,
        },
    )
    async with db.read() as conn:
        detail = (await conn.execute(select(audit.c.detail).where(audit.c.id == audit_id))).scalar_one()
    assert [reason["code"] for reason in detail["reasons"]] == [r.code for r in result.decision.reasons]
    assert (await picture(db, lead_id)).audit[-1][2:4] == ("received", "queued")
    async with db.read() as conn:
        sla = (await conn.execute(select(leads.c.sla).where(leads.c.id == lead_id))).scalar_one()
    assert (result.lead_id, sla) == (lead_id, "standard")  # the decision's SLA: the re-ping period


async def test_a_lead_escalated_in_a_team_nobody_can_be_pinged_in_waits_without_a_next_ping(
    store: Store, db: Database
) -> None:
    received = await store.receive(lead(source="bulk"), source="web", external_id=None, payload={}, now=T0)
    await store.assign(received.lead_id, now=T0)  # the bulk team: no channel, no manager

    await store.escalate(received.lead_id, by="maria", reason="needs a human", now=SOON)

    after = await picture(db, received.lead_id)
    assert (after.lead[0], after.lead[-1]) == ("escalated", None)  # no channel, no manager: no re-ping


async def test_claiming_a_lead_the_managers_were_pinged_about_resolves_the_post_and_tells_the_thread(
    store: Store, db: Database, outbox: Outbox
) -> None:
    lead_id, _, _ = await offered(store)
    await store.expire_due(DUE)
    await store.expire_due(DUE + SLA)  # escalated: the ping is queued for CSALES
    delivered = []
    while batch := await outbox.lease_due(DUE + SLA, limit=50):  # the sender delivers everything
        for item in batch:
            await outbox.mark_sent(item.id, channel=item.address, ts=f"9.{item.id}", now=DUE + SLA)
        delivered += batch
    [post] = [item for item in delivered if item.kind == "escalation"]
    now = DUE + SLA + SECOND
    result = await store.assign(lead_id, by="maria", prefer_rep="cy", now=now)  # a manager's pick
    assert result.offer is not None and result.offer.rep_id == "cy"
    before = await picture(db, lead_id)

    await store.claim(result.offer.id, by="cy", now=now + SECOND)

    audit_id = await last_audit_id(db, lead_id)
    resolved, update, note = await rows_since(db, lead_id, len(before.outbox))
    assert (update[0], update[3]["status"], update[3]["by"]) == ("offer_update", "claimed", "cy")
    assert resolved == (
        "escalation_resolved",
        "CSALES",
        f"outbox:{post.id}:resolved:{audit_id}",
        {"lead_id": lead_id, "channel": "CSALES", "ts": f"9.{post.id}"},
    )
    assert note[:3] == ("lead_thread_note", "CSALES", f"audit:{audit_id}:note")
    assert note[3] == {
        "lead_id": lead_id,
        "team_id": "sales",
        "event": "claimed",
        "offer_id": result.offer.id,
        "rep": "cy",
        "by": "cy",
    }


async def test_a_lead_below_the_gate_goes_to_nurture_with_the_reason_in_the_audit(store: Store, db: Database) -> None:
    lead_id = await new_lead(store, score=5)  # qualification: min_score 20
    before = await picture(db, lead_id)

    result = await store.assign(lead_id, now=T0)

    after = await picture(db, lead_id)
    assert (result.lead_id, result.state, result.offer) == (lead_id, LeadState.NURTURE, None)
    assert result.events == (LeadNurtured(at=T0, queued=False, lead_id=lead_id, by="leadrelay"),)
    assert after.lead == ("nurture", None, None, None, 0, None)
    assert added(before.audit, after.audit) == ((None, "leadrelay", "received", "nurture", result.decision.summary),)
    assert after.outbox == before.outbox and after.load == before.load
