"""Transitions people and intake cause: receive, assign, claim, take, reassign, nurture, escalate."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, case, select, update

from routing import Lead, RoutingState
from storage import messages
from storage.codec import lead_to_json
from storage.db import Conflict
from storage.errors import (
    AlreadyClaimed,
    NotYourOffer,
    OfferClosed,
    OfferNotFound,
    Refused,
    WrongState,
)
from storage.model import (
    SYSTEM,
    Actor,
    AssignResult,
    Claimed,
    EndReason,
    Handover,
    Intake,
    LeadRecord,
    LeadState,
    Message,
    Received,
)
from storage.outbox import lease_new_offer_dm
from storage.placing import Placing
from storage.rows import AnyRow, lead_record
from storage.tables import leads, offers, outbox
from storage.views import read_lead_view
from storage.writes import (
    ALL_LEAD_COLUMNS,
    LEAD_UNLOCKED,
    move_lead,
    queue,
    read_lead,
    resolve_escalation_posts,
    upsert_insert,
    write_audit,
)

_ASSIGNABLE = frozenset({LeadState.RECEIVED, LeadState.NURTURE, LeadState.QUEUED, LeadState.ESCALATED})
_TAKEABLE = frozenset({LeadState.ASSIGNED, LeadState.ESCALATED, LeadState.QUEUED})
_NURTURABLE = frozenset({LeadState.RECEIVED, LeadState.ASSIGNED, LeadState.ESCALATED, LeadState.QUEUED})
_ESCALATABLE = frozenset({LeadState.RECEIVED, LeadState.ASSIGNED, LeadState.QUEUED})


# Accept the offer if it is open; returns what claim needs, including whose offer it is.
_CLAIM = (
    update(offers)
    .where(offers.c.id == bindparam("offer"), offers.c.state == "open")
    .values(
        state="claimed",
        claimed_at=bindparam("at"),
        claimed_by=bindparam("by"),
        ended_at=bindparam("at"),
        end_reason=EndReason.CLAIMED.value,
    )
    .returning(offers.c.lead_id, offers.c.rep_id, offers.c.due_at, offers.c.attempt)
)


@functools.cache
def _insert_lead(dialect: str) -> Executable:
    """INSERT a lead unless its (source, external_id) is there already; returns the new id, or nothing."""
    stmt: Executable = (
        upsert_insert(dialect)(leads)
        .on_conflict_do_nothing(index_elements=[leads.c.source, leads.c.external_id])
        .returning(leads.c.id)
    )
    return stmt


class LeadTransitions(Placing):
    """Intake, routing on request, claims and hand-offs."""

    async def receive(
        self,
        lead: Lead,
        *,
        source: str,
        external_id: str | None,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> Received:
        """Store an inbound lead in state `received`, once per (source, external_id).

        Idempotent: a retry with the same key, sequential or concurrent, writes nothing and returns the
        first call's id with `created=False`. `external_id=None` never deduplicates.
        """
        return await self.db.transact(
            lambda conn, _locks: _receive(conn, lead, source=source, external_id=external_id, payload=payload, now=now)
        )

    async def assign(
        self,
        lead_id: int,
        *,
        now: datetime,
        by: str | None = None,
        exclude: frozenset[str] = frozenset(),
        prefer_rep: str | None = None,
        outbox: Sequence[Message] = (),
    ) -> AssignResult:
        """Route the lead and persist the decision: an open offer (`assigned`), `nurture` or `queued`.

        Starts from received, nurture, queued or escalated. Reps who already had an offer for this lead,
        and `exclude`, are not offered it again. `prefer_rep` (a manager's pick) gets the offer if they
        can take it now, outside the rules and rotation; otherwise the lead is routed as usual and the
        trace says why the pick was passed over. `outbox` rows are written in the same transaction.
        Raises LeadNotFound, AlreadyClaimed, WrongState (an offer is open), UnknownPerson.
        """
        actor = self.actor(by)
        if prefer_rep is not None:
            self._rep(prefer_rep)

        def work(conn: Connection, locks: frozenset[str]) -> AssignResult:
            return self._assign(
                conn, locks, lead_id, now, actor=actor, exclude=exclude, prefer_rep=prefer_rep, extra=outbox
            )

        return await self.db.transact(work)

    async def intake(
        self,
        lead: Lead,
        *,
        source: str,
        external_id: str | None,
        payload: Mapping[str, Any],
        now: datetime,
        hand_over: timedelta | None = None,
    ) -> Intake:
        """`receive` and `assign` in one transaction: a new lead is never stored without its routing.

        With `hand_over` (a lease), a new offer's DM is leased to the caller in the same transaction and
        returned with the lead as committed, so the caller can post it at once without another round
        trip; a caller that dies first leaves it to the outbox sender when the lease runs out.
        """

        def work(conn: Connection, locks: frozenset[str]) -> Intake:
            received = _receive(conn, lead, source=source, external_id=external_id, payload=payload, now=now)
            if not received.created:
                return Intake(received=received, assigned=None, handover=None)
            assigned = self._assign(conn, locks, received.lead_id, now, actor=SYSTEM)
            handover = None
            if hand_over is not None and assigned.offer is not None:
                item = lease_new_offer_dm(conn, assigned.offer.id, now=now, lease=hand_over)
                if item is not None:
                    handover = Handover(item=item, view=read_lead_view(conn, received.lead_id))
            return Intake(received=received, assigned=assigned, handover=handover)

        return await self.db.transact(work)

    def _assign(
        self,
        conn: Connection,
        locks: frozenset[str],
        lead_id: int,
        now: datetime,
        *,
        actor: Actor,
        exclude: frozenset[str] = frozenset(),
        prefer_rep: str | None = None,
        extra: Sequence[Message] = (),
    ) -> AssignResult:
        lead = read_lead(conn, lead_id)
        _check_state(lead, _ASSIGNABLE, "assign")
        return self._route(
            conn,
            locks,
            lead,
            now,
            actor=actor,
            exclude=exclude,
            prefer_rep=prefer_rep,
            audit_from=lead.state,
            extra=extra,
        )

    async def load_routing_state(self, now: datetime, *, tried: frozenset[str] = frozenset()) -> RoutingState:
        """The routing snapshot at `now` (one statement; see `storage.state`)."""
        async with self.db.read() as conn:
            return await conn.run_sync(lambda sync: self._state.load(sync, now, exclude=tried))

    async def claim(self, offer_id: int, *, by: str, now: datetime, on_behalf: bool = False) -> Claimed:
        """`by` accepts the open offer; the lead is claimed by the offer's rep.

        Only the offered rep may claim, or (with `on_behalf`) that rep's manager for them. Raises
        NotYourOffer, AlreadyClaimed (by whom, when), OfferClosed (why, when), OfferNotFound,
        UnknownPerson.
        """
        actor = self.actor(by)
        allowed = self._acts_for(by) if on_behalf else frozenset({by})

        def work(conn: Connection, _locks: frozenset[str]) -> Claimed:
            won = conn.execute(_CLAIM, {"offer": offer_id, "by": by, "at": now}).one_or_none()
            if won is None or won.rep_id not in allowed:  # raising rolls the claim back
                raise _refusal(conn, offer_id, allowed, by)
            lead = move_lead(
                conn,
                won.lead_id,
                state=LeadState.ASSIGNED.value,
                offer_id=offer_id,
                values={"state": LeadState.CLAIMED.value, "claimed_at": now, "claimed_by": won.rep_id},
                returning=("team_id", "pings"),
            )
            reason = f"accepted by @{by}" if by == won.rep_id else f"accepted for @{won.rep_id} by @{by}"
            audit_id = write_audit(
                conn,
                at=now,
                actor=actor,
                lead_id=won.lead_id,
                offer_id=offer_id,
                from_state=LeadState.ASSIGNED.value,
                to_state=LeadState.CLAIMED.value,
                reason=reason,
                # After an earlier offer, or an escalation, the team channel heard about this lead.
                returning_id=won.attempt > 1 or bool(lead is not None and lead.pings),
            )
            if audit_id is not None and lead is not None and lead.pings:
                resolve_escalation_posts(conn, won.lead_id, audit_id, now)
            rows = [
                messages.offer_update(
                    lead_id=won.lead_id, offer_id=offer_id, rep_id=won.rep_id, status="claimed", by=by, at=now
                )
            ]
            if audit_id is not None and lead is not None:
                rows += messages.thread_note(
                    self.config,
                    team_id=lead.team_id,
                    lead_id=won.lead_id,
                    audit_id=audit_id,
                    event="claimed",
                    offer_id=offer_id,
                    rep=won.rep_id,
                    by=by,
                )
            queue(conn, rows, now)
            return Claimed(lead_id=won.lead_id, offer_id=offer_id, owner=won.rep_id, by=by, at=now, due_at=won.due_at)

        return await self.db.transact(work)

    async def take(self, lead_id: int, *, by: str, now: datetime) -> Claimed:
        """`by` (a manager or channel member in the config) takes the lead for themselves.

        Starts from escalated, queued or assigned; an open offer ends `taken`. Raises AlreadyClaimed,
        WrongState, LeadNotFound, UnknownPerson.
        """
        actor = self.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> Claimed:
            lead = _current(conn, lead_id, _TAKEABLE, "take")
            ended = self._withdraw(conn, lead, EndReason.TAKEN, actor, now)
            move_lead(
                conn,
                lead_id,
                state=lead.state,
                offer_id=lead.offer_id,
                values={
                    "state": LeadState.CLAIMED.value,
                    "offer_id": None,
                    "claimed_at": now,
                    "claimed_by": by,
                    "next_ping_at": None,
                },
            )
            audit_id = write_audit(
                conn,
                at=now,
                actor=actor,
                lead_id=lead_id,
                offer_id=lead.offer_id,
                from_state=lead.state,
                to_state=LeadState.CLAIMED.value,
                reason=f"taken by @{by}",
                returning_id=True,
            )
            if lead.state != LeadState.ASSIGNED.value:  # escalated or queued: the managers were pinged
                resolve_escalation_posts(conn, lead_id, audit_id, now)
            note = messages.thread_note(
                self.config,
                team_id=lead.team_id,
                lead_id=lead_id,
                audit_id=audit_id,
                event="taken",
                by=by,
                rep=ended.rep_id if ended else None,
            )
            queue(conn, note, now)
            return Claimed(
                lead_id=lead_id,
                offer_id=None,
                owner=by,
                by=by,
                at=now,
                due_at=ended.due_at if ended else None,
            )

        return await self.db.transact(work)

    async def reassign(
        self,
        offer_id: int,
        *,
        by: str,
        reason: str,
        now: datetime,
        note: str | None = None,
        suggested_rep: str | None = None,
    ) -> AssignResult:
        """The rep (or their manager) passes the lead on; it is routed again without them.

        An open offer ends `reassigned`; an accepted one ends `released` and the lead loses its owner.
        Every rep who had the lead is excluded; `suggested_rep` gets it if they can take it now. The
        audit keeps `reason` and `note`; the old DM is updated and the team thread told. Raises
        NotYourOffer, AlreadyClaimed, OfferClosed, OfferNotFound, UnknownPerson.
        """
        actor = self.actor(by)
        if suggested_rep is not None:
            self._rep(suggested_rep)
        allowed = self._acts_for(by)

        def work(conn: Connection, locks: frozenset[str]) -> AssignResult:
            stmt = (
                update(offers)
                .where(
                    offers.c.id == offer_id,
                    offers.c.state.in_(("open", "claimed")),
                    offers.c.rep_id.in_(allowed),
                )
                .values(
                    state="ended",
                    end_reason=case(
                        (offers.c.state == "open", EndReason.REASSIGNED.value), else_=EndReason.RELEASED.value
                    ),
                    ended_at=now,
                )
                .returning(offers.c.lead_id, offers.c.rep_id, offers.c.end_reason)
            )
            ended = conn.execute(stmt).one_or_none()
            if ended is None:
                raise _refusal(conn, offer_id, allowed, by)
            lead = read_lead(conn, ended.lead_id)
            if lead.offer_id != offer_id:
                raise Conflict(f"lead {lead.id} no longer holds offer {offer_id}")
            audit_id = write_audit(
                conn,
                at=now,
                actor=actor,
                lead_id=lead.id,
                offer_id=offer_id,
                from_state=lead.state,
                to_state=ended.end_reason,
                reason=reason,
                detail={"note": note, "suggested_rep": suggested_rep},
                returning_id=True,
            )
            update_dm = messages.offer_update(
                lead_id=lead.id,
                offer_id=offer_id,
                rep_id=ended.rep_id,
                status=ended.end_reason,
                by=by,
                at=now,
            )
            queue(conn, [update_dm], now)
            result = self._route(
                conn,
                locks,
                lead,
                now,
                actor=actor,
                exclude=frozenset({ended.rep_id}),
                prefer_rep=suggested_rep,
                audit_from=ended.end_reason,
            )
            thread = messages.thread_note(
                self.config,
                team_id=lead.team_id,
                lead_id=lead.id,
                audit_id=audit_id,
                event=ended.end_reason,
                offer_id=offer_id,
                rep=ended.rep_id,
                by=by,
                reason=reason,
                note=note,
                next_rep=result.decision.rep,
            )
            queue(conn, thread, now)
            return result

        return await self.db.transact(work)

    async def withdraw_unreachable(self, offer_id: int, *, code: str, now: datetime) -> AssignResult | None:
        """Slack cannot deliver the offer's DM (`code`: user_not_found, account_inactive, cannot_dm_bot…).

        In one transaction the offer ends `withdrawn` and the lead is routed again without that rep; the
        rep's managers hear about it in the team channel once a day, not once per lead. Returns the new
        routing result, or None if the offer had closed meanwhile (nothing to move).
        """

        def work(conn: Connection, locks: frozenset[str]) -> AssignResult | None:
            stmt = (
                update(offers)
                .where(offers.c.id == offer_id, offers.c.state == "open")
                .values(state="ended", end_reason=EndReason.WITHDRAWN.value, ended_at=now)
                .returning(offers.c.lead_id, offers.c.rep_id)
            )
            ended = conn.execute(stmt).one_or_none()
            if ended is None:
                return None
            lead = read_lead(conn, ended.lead_id)
            if lead.offer_id != offer_id:
                raise Conflict(f"lead {lead.id} no longer holds offer {offer_id}")
            reason = f"Slack cannot reach @{ended.rep_id} ({code})"
            write_audit(
                conn,
                at=now,
                actor=SYSTEM,
                lead_id=lead.id,
                offer_id=offer_id,
                rep_id=ended.rep_id,
                from_state=lead.state,
                to_state=EndReason.WITHDRAWN.value,
                reason=reason,
            )
            result = self._route(
                conn,
                locks,
                lead,
                now,
                actor=SYSTEM,
                exclude=frozenset({ended.rep_id}),
                prefer_rep=None,
                audit_from=EndReason.WITHDRAWN.value,
            )
            team_id = self._team_of(lead.team_id, ended.rep_id)
            note = messages.rep_unreachable(self.config, team_id=team_id, rep_id=ended.rep_id, code=code, now=now)
            if note and not conn.execute(select(outbox.c.id).where(outbox.c.dedup_key == note[0]["dedup_key"])).first():
                queue(conn, note, now)
            return result

        return await self.db.transact(work)

    async def nurture(self, lead_id: int, *, by: str, reason: str, now: datetime) -> LeadRecord:
        """A person sends the lead to nurture; an open offer ends `withdrawn`.

        Starts from received, assigned, queued or escalated. Raises AlreadyClaimed, WrongState,
        LeadNotFound, UnknownPerson.
        """
        actor = self.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> LeadRecord:
            lead = _current(conn, lead_id, _NURTURABLE, "nurture")
            self._withdraw(conn, lead, EndReason.WITHDRAWN, actor, now)
            moved = move_lead(
                conn,
                lead_id,
                state=lead.state,
                offer_id=lead.offer_id,
                values={"state": LeadState.NURTURE.value, "offer_id": None, "next_ping_at": None},
                returning=ALL_LEAD_COLUMNS,
            )
            assert moved is not None
            write_audit(
                conn,
                at=now,
                actor=actor,
                lead_id=lead_id,
                offer_id=lead.offer_id,
                from_state=lead.state,
                to_state=LeadState.NURTURE.value,
                reason=reason,
            )
            return lead_record(moved)

        return await self.db.transact(work)

    async def escalate(self, lead_id: int, *, by: str | None, reason: str, now: datetime) -> LeadRecord:
        """Hand the lead to the managers now: an open offer ends `withdrawn`, the chain's first manager
        is pinged and re-pinged (see `repings_due`).

        Starts from received, assigned or queued. Raises AlreadyClaimed, WrongState, LeadNotFound,
        UnknownPerson.
        """
        actor = self.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> LeadRecord:
            lead = _current(conn, lead_id, _ESCALATABLE, "escalate")
            ended = self._withdraw(conn, lead, EndReason.WITHDRAWN, actor, now)
            moved = self._escalate(
                conn,
                lead,
                now,
                actor=actor,
                to_state=LeadState.ESCALATED,
                team_id=lead.team_id or self._team_of(None, ended.rep_id if ended else None),
                sla=lead.sla,
                audit_from=lead.state,
                reason=reason,
                offer_id=lead.offer_id,
            )
            return lead_record(moved)

        return await self.db.transact(work)


def _receive(
    conn: Connection,
    lead: Lead,
    *,
    source: str,
    external_id: str | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> Received:
    values = {
        "source": source,
        "external_id": external_id,
        "payload": dict(payload),
        "contact": lead_to_json(lead),
        "state": LeadState.RECEIVED.value,
        "received_at": now,
    }
    lead_id = conn.execute(_insert_lead(conn.dialect.name), values).scalar_one_or_none()
    if lead_id is None:
        existing = select(leads.c.id).where(leads.c.source == source, leads.c.external_id == external_id)
        return Received(lead_id=conn.execute(existing).scalar_one(), created=False)
    write_audit(conn, at=now, actor=SYSTEM, lead_id=lead_id, to_state="received", reason=f"from {source}")
    return Received(lead_id=lead_id, created=True)


def _check_state(lead: AnyRow, allowed: frozenset[LeadState], action: str) -> None:
    if lead.state == LeadState.CLAIMED:
        raise AlreadyClaimed(lead.id, lead.claimed_by, lead.claimed_at)
    if lead.state not in allowed:
        raise WrongState(lead.id, lead.state, action)


def _current(conn: Connection, lead_id: int, allowed: frozenset[LeadState], action: str) -> AnyRow:
    """The lead's routing columns, read without a lock: offers are locked before leads (see the module
    docstring), and the conditional `move_lead` that follows catches any change in between."""
    row = read_lead(conn, lead_id, LEAD_UNLOCKED)
    _check_state(row, allowed, action)
    return row


def _refusal(conn: Connection, offer_id: int, allowed: frozenset[str], actor: str) -> Refused | OfferNotFound:
    """Why `actor` may not have offer `offer_id` (missing, someone else's, taken, closed), as the error
    to raise; read in the same transaction, after the conditional update that did not go their way."""
    row = (
        conn.execute(
            select(
                offers.c.rep_id,
                offers.c.state,
                offers.c.end_reason,
                offers.c.ended_at,
                offers.c.lead_id,
                leads.c.state.label("lead_state"),
                leads.c.claimed_by,
                leads.c.claimed_at,
            )
            .join(leads, leads.c.id == offers.c.lead_id)
            .where(offers.c.id == offer_id)
        )
    ).one_or_none()
    if row is None:
        return OfferNotFound(offer_id)
    if row.rep_id not in allowed:
        return NotYourOffer(offer_id, holder=row.rep_id, actor=actor)
    if row.lead_state == LeadState.CLAIMED:
        return AlreadyClaimed(row.lead_id, row.claimed_by, row.claimed_at)
    return OfferClosed(offer_id, reason=row.end_reason, at=row.ended_at)
