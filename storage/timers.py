"""Transitions the clock causes: expiry of unclaimed offers, reminders, re-pings of managers, and the
release of leads held for the first shift.

Each first picks up to `limit` due rows and locks them (`storage.batches.pick`: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), so replicas split the work, then changes those rows only if they are still due,
so a late or repeated call finds nothing left to do.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from routing import RoutingState
from storage import batches, holds, load, messages, results
from storage.errors import StorageError
from storage.events import LeadEscalated, OfferExpired, OfferReminded
from storage.handoff import IN_MANAGERS_HANDS, escalate
from storage.model import (
    SYSTEM,
    AssignResult,
    EndReason,
    Expired,
    LeadState,
    Reminder,
    Reping,
)
from storage.placing import route
from storage.rows import AnyRow
from storage.scope import Scope
from storage.tables import leads, offers
from storage.writes import LEAD_FOR_EXPIRY, move_lead, queue, read_lead, write_audit


class Timers:
    """Work that falls due: call from the scheduler's sweep and its wake-up at `next_due_at`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def expire_due(self, now: datetime, *, limit: int = 100) -> list[Expired]:
        """End up to `limit` open offers due at or before `now`, and move each lead on, in one transaction.

        The lead goes to the next eligible rep (everyone who had it excluded), with a note in the team
        thread; after the team's `escalation.after_expiries` expiries, or when nobody can take it, it is
        escalated. Due offers are picked and locked (``SKIP LOCKED`` on PostgreSQL), then ended if still
        open, so concurrent or repeated calls never expire an offer twice: a late call returns []. Each call
        first settles the claimed leads the load window has let go (`storage.load.settle`).
        """

        def work(conn: Connection, locks: frozenset[str]) -> list[Expired]:
            if self.scope.claims_close_by_window:
                load.settle(conn, now - self.scope.load_window)  # claimed leads the load window let go
            results.settle(conn, now - self.scope.config.outcomes.performance_window)  # outcomes it passed
            due = batches.pick(
                conn, offers.c.id, offers.c.due_at, offers.c.state == "open", offers.c.due_at <= now, limit=limit
            )
            if not due:
                return []
            stmt = (
                update(offers)
                .where(offers.c.id.in_(due), offers.c.state == "open")
                .values(state="ended", end_reason=EndReason.EXPIRED.value, ended_at=now)
                .returning(offers.c.id, offers.c.lead_id, offers.c.rep_id, offers.c.due_at)
            )
            ended = sorted(conn.execute(stmt).all(), key=lambda r: (r.due_at, r.id))
            if not ended:
                return []
            # One state read for the batch (every offer in it has ended by now), carried forward in
            # memory: a restart's backlog of expiries would otherwise re-read the state once per offer.
            self.scope.lock_pools(conn, locks)
            leaving = Counter(row.rep_id for row in ended)  # their counters are written last, below
            state = load.less_load(self.scope.state.load(conn, now), leaving)
            tried: dict[int, set[str]] = defaultdict(set)
            had_it = select(offers.c.lead_id, offers.c.rep_id).where(offers.c.lead_id.in_({r.lead_id for r in ended}))
            for lead_id, rep_id in conn.execute(had_it):
                tried[lead_id].add(rep_id)
            expired = []
            for row in ended:
                result = self._after_expiry(conn, row, now, replace(state, tried=frozenset(tried[row.lead_id])))
                if result.next is not None:
                    state = state.after(result.next.decision, now)
                expired.append(result)
            load.closed(conn, leaving.elements())  # counters last: after the pool rows routing locked
            return expired

        return await self.scope.transact(work)

    def _after_expiry(self, conn: Connection, gone: AnyRow, now: datetime, state: RoutingState) -> Expired:
        """Move the lead of expired offer `gone` on: escalate it, or route it on `state`."""
        lead = read_lead(conn, gone.lead_id, LEAD_FOR_EXPIRY)
        if lead.offer_id != gone.id:
            raise StorageError(f"lead {lead.id} does not hold its open offer {gone.id}")
        audit_id = write_audit(
            conn,
            at=now,
            actor=SYSTEM,
            lead_id=lead.id,
            offer_id=gone.id,
            from_state=lead.state,
            to_state="expired",
            reason=f"not accepted by @{gone.rep_id} by {gone.due_at.isoformat()}",
        )
        update_dm = messages.offer_update(
            lead_id=lead.id, offer_id=gone.id, rep_id=gone.rep_id, status="expired", by=SYSTEM.id, at=now
        )
        queue(conn, [update_dm], now)
        expired = OfferExpired(
            at=now,
            queued=True,
            lead_id=lead.id,
            offer_id=gone.id,
            rep_id=gone.rep_id,
            due_at=gone.due_at,
            team_id=lead.team_id,
        )
        team = self.scope.config.teams.get(lead.team_id or "")
        if team is not None and lead.expiries >= team.escalation.after_expiries:
            _moved, escalated = escalate(
                self.scope,
                conn,
                lead,
                now,
                actor=SYSTEM,
                to_state=LeadState.ESCALATED,
                team_id=team.id,
                sla=lead.sla,
                audit_from="expired",
                reason=f"{lead.expiries} offers expired unclaimed",
                offer_id=gone.id,
            )
            return Expired(
                offer_id=gone.id,
                lead_id=lead.id,
                rep_id=gone.rep_id,
                due_at=gone.due_at,
                escalated=True,
                next=None,
                events=(expired, escalated),
            )
        result = route(
            self.scope,
            conn,
            frozenset(),
            lead,
            now,
            actor=SYSTEM,
            audit_from="expired",
            queued_state=LeadState.ESCALATED,
            state=state,
        )
        note = messages.thread_note(
            self.scope.config,
            team_id=lead.team_id,
            lead_id=lead.id,
            audit_id=audit_id,
            event="expired",
            offer_id=gone.id,
            rep=gone.rep_id,
            next_rep=result.decision.rep,
        )
        queue(conn, note, now)
        return Expired(
            offer_id=gone.id,
            lead_id=lead.id,
            rep_id=gone.rep_id,
            due_at=gone.due_at,
            escalated=result.state is LeadState.ESCALATED,
            next=result,
            events=(expired, *result.events),
        )

    async def release_held_due(self, now: datetime, *, limit: int = 100) -> list[AssignResult]:
        """Route up to `limit` leads whose hold ended at or before `now`, in one transaction.

        Leads are routed in the order they were held, each on the routing state the previous one left,
        with the hold window open (`RoutingState.released`), so a night's backlog is spread by weight
        over the reps who start within the window. A lead someone acted on meanwhile (no longer
        `received`) is only let go. A late or repeated call finds nothing: returns []."""

        def work(conn: Connection, locks: frozenset[str]) -> list[AssignResult]:
            due = holds.take_due(conn, now, limit)
            if not due:
                return []
            self.scope.lock_pools(conn, locks)
            state = replace(self.scope.state.load(conn, now), released=True)
            released = []
            for lead_id in due:
                lead = read_lead(conn, lead_id)
                if lead.state != LeadState.RECEIVED:
                    continue
                result = route(
                    self.scope, conn, frozenset(), lead, now, actor=SYSTEM, audit_from=holds.HELD, state=state
                )
                state = state.after(result.decision, now)
                released.append(result)
            return released

        return await self.scope.transact(work)

    async def remind_due(self, now: datetime, *, limit: int = 100) -> list[Reminder]:
        """Queue one reminder DM for each open offer whose `remind_at` has passed (at most once each)."""

        def work(conn: Connection, _locks: frozenset[str]) -> list[Reminder]:
            due = batches.pick(
                conn,
                offers.c.id,
                offers.c.remind_at,
                offers.c.state == "open",
                offers.c.remind_at <= now,
                offers.c.reminded_at.is_(None),
                limit=limit,
            )
            if not due:
                return []
            stmt = (
                update(offers)
                .where(offers.c.id.in_(due), offers.c.reminded_at.is_(None))
                .values(reminded_at=now)
                .returning(offers.c.id, offers.c.lead_id, offers.c.rep_id, offers.c.due_at)
            )
            rows = sorted(conn.execute(stmt).all(), key=lambda r: r.id)
            queue(
                conn,
                [messages.reminder(lead_id=r.lead_id, offer_id=r.id, rep_id=r.rep_id, due_at=r.due_at) for r in rows],
                now,
            )
            return [
                Reminder(
                    offer_id=r.id,
                    lead_id=r.lead_id,
                    rep_id=r.rep_id,
                    due_at=r.due_at,
                    events=(
                        OfferReminded(
                            at=now, queued=True, lead_id=r.lead_id, offer_id=r.id, rep_id=r.rep_id, due_at=r.due_at
                        ),
                    ),
                )
                for r in rows
            ]

        return await self.scope.transact(work)

    async def repings_due(self, now: datetime, *, limit: int = 100) -> list[Reping]:
        """Ping the managers again about escalated or queued leads whose `next_ping_at` has passed.

        Each ping goes to the same manager `pings_per_level` times, then one step up
        `config.escalation_chain(team)` (staying at the top), every re-ping period: the team's
        `escalation.repeat_every`, else the lead's SLA window.
        """

        def work(conn: Connection, _locks: frozenset[str]) -> list[Reping]:
            stmt = (
                select(
                    leads.c.id,
                    leads.c.state,
                    leads.c.offer_id,
                    leads.c.team_id,
                    leads.c.sla,
                    leads.c.escalation_level,
                    leads.c.pings,
                )
                .where(leads.c.state.in_(IN_MANAGERS_HANDS), leads.c.next_ping_at <= now)
                .order_by(leads.c.next_ping_at, leads.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            return [self._reping(conn, lead, now) for lead in conn.execute(stmt).all()]

        return await self.scope.transact(work)

    def _reping(self, conn: Connection, lead: AnyRow, now: datetime) -> Reping:
        team = self.scope.config.teams.get(lead.team_id or "")
        chain = self.scope.config.escalation_chain(team.id) if team else ()
        level, ping = lead.escalation_level, lead.pings + 1
        if team is not None and lead.pings >= team.escalation.pings_per_level and level + 1 < len(chain):
            level, ping = level + 1, 1
        next_ping_at = now + self.scope.ping_every(lead.team_id, lead.sla)
        move_lead(
            conn,
            lead.id,
            state=lead.state,
            offer_id=lead.offer_id,
            values={"escalation_level": level, "pings": ping, "next_ping_at": next_ping_at},
        )
        manager = messages.escalation_manager(self.scope.config, lead.team_id, level)
        reason = f"still unclaimed: ping {ping} to @{manager}" if manager else f"still unclaimed: ping {ping}"
        audit_id = write_audit(
            conn,
            at=now,
            actor=SYSTEM,
            lead_id=lead.id,
            from_state=lead.state,
            to_state=lead.state,
            reason=reason,
        )
        rows = messages.escalation(
            self.scope.config,
            team_id=lead.team_id,
            lead_id=lead.id,
            audit_id=audit_id,
            level=level,
            ping=ping,
            reason=reason,
        )
        pinged = LeadEscalated(
            at=now,
            queued=queue(conn, rows, now),
            lead_id=lead.id,
            state=lead.state,
            team_id=lead.team_id,
            manager=manager,
            level=level,
            ping=ping,
            next_ping_at=next_ping_at,
            by=SYSTEM.id,
        )
        return Reping(
            lead_id=lead.id,
            team_id=lead.team_id,
            manager=manager,
            level=level,
            ping=ping,
            next_ping_at=next_ping_at,
            events=(pinged,),
        )

    async def next_due_at(self) -> datetime | None:
        """The earliest moment timer work is due: an offer's SLA, an unsent reminder, an escalated or
        queued lead's next ping, or the end of a hold. None when nothing is pending. For the scheduler's
        one-off wake-up."""
        soonest = select(
            select(func.min(offers.c.due_at)).where(offers.c.state == "open").scalar_subquery(),
            select(func.min(offers.c.remind_at))
            .where(offers.c.state == "open", offers.c.reminded_at.is_(None))
            .scalar_subquery(),
            select(func.min(leads.c.next_ping_at)).where(leads.c.state.in_(IN_MANAGERS_HANDS)).scalar_subquery(),
            holds.next_release().scalar_subquery(),
        )
        async with self.scope.db.read() as conn:
            row = (await conn.execute(soonest)).one()
        return min((moment for moment in row if moment is not None), default=None)
