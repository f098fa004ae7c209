"""The lead repository: intake (`receive`, `intake`), routing on request (`assign`), and the moves
people make on a lead as a whole (`nurture`, `escalate`). One transaction per call, on the store's
one write path; see `storage.store` for the guarantees every transition keeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, insert, select
from sqlalchemy.dialects import postgresql

from routing import Lead, RoutingState
from storage import repeats
from storage.codec import lead_to_json
from storage.events import LeadNurtured, LeadReceived
from storage.handoff import escalate, withdraw_offer
from storage.model import (
    SYSTEM,
    Actor,
    AssignResult,
    EndReason,
    Handover,
    Intake,
    LeadMoved,
    LeadRecord,
    LeadState,
    Message,
    Received,
)
from storage.placing import route
from storage.rows import lead_record
from storage.scope import Scope
from storage.tables import audit, leads
from storage.writes import (
    ALL_LEAD_COLUMNS,
    AUDIT_ROW,
    NewLead,
    audit_row,
    check_state,
    current_lead,
    insert_new,
    move_lead,
    read_lead,
    write_audit,
)

_ASSIGNABLE = frozenset({LeadState.RECEIVED, LeadState.NURTURE, LeadState.QUEUED, LeadState.ESCALATED})
_NURTURABLE = frozenset({LeadState.RECEIVED, LeadState.ASSIGNED, LeadState.ESCALATED, LeadState.QUEUED})
_ESCALATABLE = frozenset({LeadState.RECEIVED, LeadState.ASSIGNED, LeadState.QUEUED})


class Leads:
    """Intake, routing on request, nurture and escalation by hand."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

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
        key = self.scope.email_key(lead.email)
        contact = lead_to_json(lead)
        return await self.scope.transact(
            lambda conn, _locks: _receive(
                conn, contact, source=source, external_id=external_id, payload=payload, now=now, email_key=key
            )
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
        actor = self.scope.actor(by)
        if prefer_rep is not None:
            self.scope.rep(prefer_rep)

        def work(conn: Connection, locks: frozenset[str]) -> AssignResult:
            return self._assign(
                conn, locks, lead_id, now, actor=actor, exclude=exclude, prefer_rep=prefer_rep, extra=outbox
            )

        return await self.scope.transact(work)

    async def intake(
        self,
        lead: Lead,
        *,
        source: str,
        external_id: str | None,
        payload: Mapping[str, Any],
        now: datetime,
        hand_over: timedelta | None = None,
        dedupe_window: timedelta | None = None,
    ) -> Intake:
        """`receive` and `assign` in one transaction: a new lead is never stored without its routing.

        With `dedupe_window`, a lead whose email matches the person's lead still open, or claimed within
        the window, is attached to it instead (`attached`; see `storage.repeats`): nothing is routed,
        and a retry of the same (source, external_id) attaches once.

        With `hand_over` (a lease), a new offer's DM is leased to the caller in the same transaction and
        returned with the lead as committed, so the caller can post it at once without another round
        trip; a caller that dies first leaves it to the outbox sender when the lease runs out.
        """

        key = self.scope.email_key(lead.email)
        contact = lead_to_json(lead)

        def work(conn: Connection, locks: frozenset[str]) -> Intake:
            if dedupe_window is not None and key is not None:
                attached = self._attach_repeat(conn, lead, key, source, external_id, payload, now, dedupe_window)
                if attached is not None:
                    return attached
            received = _receive(
                conn, contact, source=source, external_id=external_id, payload=payload, now=now, email_key=key
            )
            if not received.created:
                return Intake(received=received, assigned=None, handover=None)
            # Routed as written, not read back: no other writer can see the row before this commits.
            new = NewLead(id=received.lead_id, contact=contact)
            assigned = route(self.scope, conn, locks, new, now, actor=SYSTEM, audit_from=new.state, hand_over=hand_over)
            handover = None
            if assigned.leased is not None:
                assert assigned.offer is not None  # only a new offer's DM is leased
                record = self._routed_record(received.lead_id, lead, source, external_id, payload, assigned, now)
                handover = Handover(item=assigned.leased, lead=record, offer=assigned.offer)
            events = received.events + assigned.events
            return Intake(received=received, assigned=assigned, handover=handover, events=events)

        return await self.scope.transact(work)

    def _attach_repeat(
        self,
        conn: Connection,
        lead: Lead,
        key: str,
        source: str,
        external_id: str | None,
        payload: Mapping[str, Any],
        now: datetime,
        window: timedelta,
    ) -> Intake | None:
        """The intake of a person coming back, attached to their open lead; None to route it as new."""
        earlier = repeats.earlier(conn, source, external_id, key, now, window)
        if earlier.attached_to is not None:  # a retry of a delivery attached before
            received = Received(lead_id=earlier.attached_to, created=False)
            return Intake(received=received, assigned=None, handover=None, attached=True)
        if earlier.stored:
            return None  # a retry of a lead stored before: `_receive` answers it as ever
        match = earlier.open_lead
        if match is None:
            return None
        returned = repeats.attach(
            conn,
            match,
            lead,
            source=source,
            external_id=external_id,
            payload=payload,
            known_reps=frozenset(self.scope.config.reps),
            now=now,
        )
        events = (returned,) if returned is not None else ()
        received = Received(lead_id=match.id, created=False)
        return Intake(received=received, assigned=None, handover=None, events=events, attached=True)

    def _routed_record(
        self,
        lead_id: int,
        lead: Lead,
        source: str,
        external_id: str | None,
        payload: Mapping[str, Any],
        assigned: AssignResult,
        now: datetime,
    ) -> LeadRecord:
        """The lead as `intake` just stored and routed it (to an offer), from the values it wrote."""
        decision, offer = assigned.decision, assigned.offer
        assert offer is not None
        return LeadRecord(
            id=lead_id,
            source=source,
            external_id=external_id,
            lead=lead,
            payload=dict(payload),
            facts=dict(decision.facts),
            state=assigned.state,
            offer_id=offer.id,
            team_id=self.scope.team_of(decision.pool, decision.rep),
            sla=decision.sla,
            received_at=now,
            assigned_at=now,
            claimed_at=None,
            claimed_by=None,
            attempts=offer.attempt,
            escalation_level=0,
            pings=0,
            next_ping_at=None,
            thread_channel=None,
            thread_ts=None,
        )

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
        check_state(lead, _ASSIGNABLE, "assign")
        return route(
            self.scope,
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
        async with self.scope.db.read() as conn:
            return await conn.run_sync(lambda sync: self.scope.state.load(sync, now, exclude=tried))

    async def nurture(self, lead_id: int, *, by: str, reason: str, now: datetime) -> LeadMoved:
        """A person sends the lead to nurture; an open offer ends `withdrawn`.

        Starts from received, assigned, queued or escalated. Raises AlreadyClaimed, WrongState,
        LeadNotFound, UnknownPerson.
        """
        actor = self.scope.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> LeadMoved:
            lead = current_lead(conn, lead_id, _NURTURABLE, "nurture")
            withdrawn = withdraw_offer(conn, lead, EndReason.WITHDRAWN, actor, now)
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
            nurtured = LeadNurtured(at=now, queued=withdrawn is not None, lead_id=lead_id, by=by)
            return LeadMoved(lead=lead_record(moved), events=(nurtured,))

        return await self.scope.transact(work)

    async def escalate(self, lead_id: int, *, by: str | None, reason: str, now: datetime) -> LeadMoved:
        """Hand the lead to the managers now: an open offer ends `withdrawn`, the chain's first manager
        is pinged and re-pinged (see `repings_due`).

        Starts from received, assigned or queued. Raises AlreadyClaimed, WrongState, LeadNotFound,
        UnknownPerson.
        """
        actor = self.scope.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> LeadMoved:
            lead = current_lead(conn, lead_id, _ESCALATABLE, "escalate")
            ended = withdraw_offer(conn, lead, EndReason.WITHDRAWN, actor, now)
            moved, escalated = escalate(
                self.scope,
                conn,
                lead,
                now,
                actor=actor,
                to_state=LeadState.ESCALATED,
                team_id=lead.team_id or self.scope.team_of(None, ended.rep_id if ended else None),
                sla=lead.sla,
                audit_from=lead.state,
                reason=reason,
                offer_id=lead.offer_id,
            )
            escalated = replace(escalated, queued=escalated.queued or ended is not None)  # the DM's update
            return LeadMoved(lead=lead_record(moved), events=(escalated,))

        return await self.scope.transact(work)


def _receive(
    conn: Connection,
    contact: Mapping[str, Any],
    *,
    source: str,
    external_id: str | None,
    payload: Mapping[str, Any],
    now: datetime,
    email_key: str | None,
) -> Received:
    values = {
        "source": source,
        "external_id": external_id,
        "payload": dict(payload),
        "contact": contact,
        "email_key": email_key,
        "state": LeadState.RECEIVED.value,
        "received_at": now,
    }
    audited = audit_row(at=now, actor=SYSTEM, to_state=LeadState.RECEIVED.value, reason=f"from {source}")
    if conn.dialect.name == "postgresql":  # one round trip: the audit row is written only for a new lead
        params = {**values, **{f"audit_{name}": value for name, value in audited.items()}}
        lead_id = conn.execute(_RECEIVE_AUDITED, params).scalar_one_or_none()
    else:
        lead_id = insert_new(conn, leads, _DEDUPE_KEY, values)
        if lead_id is not None:
            conn.execute(AUDIT_ROW, {**audited, "lead_id": lead_id})
    if lead_id is None:
        existing = select(leads.c.id).where(leads.c.source == source, leads.c.external_id == external_id)
        return Received(lead_id=conn.execute(existing).scalar_one(), created=False)
    received = LeadReceived(at=now, queued=False, lead_id=lead_id, source=source)
    return Received(lead_id=lead_id, created=True, events=(received,))


_DEDUPE_KEY = ("source", "external_id")


def _receive_audited() -> Executable:
    """PostgreSQL: the new lead and its `received` audit row in one statement (the lead's INSERT as a
    CTE the audit row selects from, so a repeat of (source, external_id) writes neither); returns the
    new lead's id."""
    names = ("source", "external_id", "payload", "contact", "email_key", "state", "received_at")
    lead = postgresql.insert(leads).values({name: bindparam(name, type_=leads.c[name].type) for name in names})
    new = lead.on_conflict_do_nothing(index_elements=list(_DEDUPE_KEY)).returning(leads.c.id).cte("new_lead")
    columns = [column.name for column in audit.c if column.name not in ("id", "lead_id")]
    # Named apart from the lead's: an INSERT takes any parameter named like a column of its table.
    row = select(new.c.id, *(bindparam(f"audit_{name}", type_=audit.c[name].type) for name in columns))
    return insert(audit).from_select(["lead_id", *columns], row).returning(audit.c.lead_id).add_cte(new)


_RECEIVE_AUDITED = _receive_audited()
