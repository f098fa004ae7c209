"""The offer repository: claims and hand-offs. `claim` (Accept), `take` (a manager takes the lead),
`reassign` (the rep passes it on) and `withdraw_unreachable` (Slack cannot reach the rep). One
transaction per call, on the store's one write path; see `storage.store` for the guarantees."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, select, update

from storage import load, messages
from storage.db import Conflict
from storage.errors import AlreadyClaimed, NotYourOffer, OfferClosed, OfferNotFound, Refused
from storage.events import LeadReassigned, OfferClaimed
from storage.handoff import withdraw_offer
from storage.model import SYSTEM, Actor, AssignResult, Claimed, EndReason, LeadState, OutboxKind
from storage.placing import route
from storage.rows import AnyRow
from storage.scope import Scope
from storage.tables import leads, offers, outbox
from storage.writes import current_lead, move_lead, queue, read_lead, resolve_escalation_posts, write_audit

_TAKEABLE = frozenset({LeadState.ASSIGNED, LeadState.ESCALATED, LeadState.QUEUED})


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
    .returning(offers.c.lead_id, offers.c.rep_id, offers.c.due_at, offers.c.attempt, offers.c.assigned_at)
)


class Offers:
    """Accept, take, reassign, and withdrawal when Slack cannot reach the rep."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def claim(self, offer_id: int, *, by: str, now: datetime, on_behalf: bool = False) -> Claimed:
        """`by` accepts the open offer; the lead is claimed by the offer's rep.

        Only the offered rep may claim, or (with `on_behalf`) that rep's manager for them. Raises
        NotYourOffer, AlreadyClaimed (by whom, when), OfferClosed (why, when), OfferNotFound,
        UnknownPerson.
        """
        actor = self.scope.actor(by)
        allowed = self.scope.acts_for(by) if on_behalf else frozenset({by})

        def work(conn: Connection, _locks: frozenset[str]) -> Claimed:
            won = conn.execute(_CLAIM, {"offer": offer_id, "by": by, "at": now}).one_or_none()
            if won is None or won.rep_id not in allowed:  # raising rolls the claim back
                raise _refusal(conn, offer_id, allowed, by)
            load.claimed(conn, offer_id, won.rep_id, won.assigned_at)
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
            )
            assert lead is not None  # asked for columns, so move_lead returned the row
            if lead.pings:
                resolve_escalation_posts(conn, won.lead_id, audit_id, now)
            rows = [
                messages.offer_update(
                    lead_id=won.lead_id, offer_id=offer_id, rep_id=won.rep_id, status="claimed", by=by, at=now
                )
            ]
            if won.attempt > 1 or lead.pings:  # after an earlier offer, or an escalation, the team heard of it
                rows += messages.thread_note(
                    self.scope.config,
                    team_id=lead.team_id,
                    lead_id=won.lead_id,
                    audit_id=audit_id,
                    event="claimed",
                    offer_id=offer_id,
                    rep=won.rep_id,
                    by=by,
                )
            queue(conn, rows, now)
            claimed = OfferClaimed(
                at=now,
                queued=True,
                lead_id=won.lead_id,
                offer_id=offer_id,
                owner=won.rep_id,
                by=by,
                team_id=lead.team_id,
                due_at=won.due_at,
                first_dm_at=_first_dm_at(conn, won.lead_id),
            )
            return Claimed(
                lead_id=won.lead_id,
                offer_id=offer_id,
                owner=won.rep_id,
                by=by,
                at=now,
                due_at=won.due_at,
                events=(claimed,),
            )

        return await self.scope.transact(work)

    async def take(self, lead_id: int, *, by: str, now: datetime) -> Claimed:
        """`by` (a manager or channel member in the config) takes the lead for themselves.

        Starts from escalated, queued or assigned; an open offer ends `taken`. Raises AlreadyClaimed,
        WrongState, LeadNotFound, UnknownPerson.
        """
        actor = self.scope.actor(by)

        def work(conn: Connection, _locks: frozenset[str]) -> Claimed:
            lead = current_lead(conn, lead_id, _TAKEABLE, "take")
            ended = withdraw_offer(conn, lead, EndReason.TAKEN, actor, now)
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
            )
            resolved = False
            if lead.state != LeadState.ASSIGNED.value:  # escalated or queued: the managers were pinged
                resolved = resolve_escalation_posts(conn, lead_id, audit_id, now)
            note = messages.thread_note(
                self.scope.config,
                team_id=lead.team_id,
                lead_id=lead_id,
                audit_id=audit_id,
                event="taken",
                by=by,
                rep=ended.rep_id if ended else None,
            )
            noted = queue(conn, note, now)
            due_at = ended.due_at if ended else None
            taken = OfferClaimed(
                at=now,
                queued=ended is not None or resolved or noted,
                lead_id=lead_id,
                offer_id=None,
                owner=by,
                by=by,
                team_id=lead.team_id,
                due_at=due_at,
                first_dm_at=_first_dm_at(conn, lead_id),
            )
            return Claimed(lead_id=lead_id, offer_id=None, owner=by, by=by, at=now, due_at=due_at, events=(taken,))

        return await self.scope.transact(work)

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
        actor = self.scope.actor(by)
        if suggested_rep is not None:
            self.scope.rep(suggested_rep)
        allowed = self.scope.acts_for(by)

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
                .returning(offers.c.lead_id, offers.c.rep_id, offers.c.end_reason, offers.c.assigned_at)
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
            released = ended.end_reason == EndReason.RELEASED.value
            # A released lead leaves its rep's load if it still counted: the window or an outcome
            # may have taken it out already.
            counted = not released or (
                load.is_held(conn, offer_id)
                and (not self.scope.claims_close_by_window or ended.assigned_at >= now - self.scope.load_window)
            )
            result, reassigned = _route_again(
                self.scope, conn, locks, lead, now, actor=actor, ended=ended, prefer_rep=suggested_rep, leaving=counted
            )
            if released:  # counters last: after the pool rows routing locked (`storage.load`)
                load.released(conn, offer_id)
            else:
                load.closed(conn, [ended.rep_id])
            thread = messages.thread_note(
                self.scope.config,
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
            return replace(result, events=(reassigned, *result.events))

        return await self.scope.transact(work)

    async def withdraw_unreachable(self, offer_id: int, *, code: str, now: datetime) -> AssignResult | None:
        """Slack cannot deliver the offer's DM (`code`: user_not_found, user_disabled, cannot_dm_bot…).

        In one transaction the offer ends `withdrawn` and the lead is routed again without that rep; the
        rep's managers hear about it in the team channel once a day, not once per lead. Returns the new
        routing result, or None if the offer had closed meanwhile (nothing to move).
        """

        def work(conn: Connection, locks: frozenset[str]) -> AssignResult | None:
            stmt = (
                update(offers)
                .where(offers.c.id == offer_id, offers.c.state == "open")
                .values(state="ended", end_reason=EndReason.WITHDRAWN.value, ended_at=now)
                .returning(offers.c.lead_id, offers.c.rep_id, offers.c.end_reason)
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
            result, withdrawn = _route_again(
                self.scope, conn, locks, lead, now, actor=SYSTEM, ended=ended, prefer_rep=None, leaving=True
            )
            load.closed(conn, [ended.rep_id])  # counters last: after the pool rows routing locked
            team_id = self.scope.team_of(lead.team_id, ended.rep_id)
            note = messages.rep_unreachable(self.scope.config, team_id=team_id, rep_id=ended.rep_id, code=code, now=now)
            noted = False
            if note and not conn.execute(select(outbox.c.id).where(outbox.c.dedup_key == note[0]["dedup_key"])).first():
                noted = queue(conn, note, now)
            return replace(result, events=(replace(withdrawn, queued=noted), *result.events))

        return await self.scope.transact(work)


def _route_again(
    scope: Scope,
    conn: Connection,
    locks: frozenset[str],
    lead: AnyRow,
    now: datetime,
    *,
    actor: Actor,
    ended: AnyRow,
    prefer_rep: str | None,
    leaving: bool,
) -> tuple[AssignResult, LeadReassigned]:
    """Route `lead` again after its offer `ended` (rep_id, end_reason), without that rep; the result, and
    the event of the hand-off (which queued the old DM's update). `leaving`: the ended offer still
    counts in its rep's stored load, which the caller lowers after routing."""
    result = route(
        scope,
        conn,
        locks,
        lead,
        now,
        actor=actor,
        exclude=frozenset({ended.rep_id}),
        prefer_rep=prefer_rep,
        audit_from=ended.end_reason,
        leaving={ended.rep_id: 1} if leaving else {},
    )
    reassigned = LeadReassigned(
        at=now,
        queued=True,
        lead_id=lead.id,
        offer_id=lead.offer_id,
        rep_id=ended.rep_id,
        end_reason=ended.end_reason,
        by=actor.id,
        team_id=lead.team_id,
    )
    return result, reassigned


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


def _first_dm_at(conn: Connection, lead_id: int) -> datetime | None:
    """When Slack accepted the lead's first offer DM, the start of the human part of speed to lead (as
    `reports.numbers` counts it); None while it has not gone out."""
    first = (
        select(outbox.c.sent_at)
        .where(outbox.c.lead_id == lead_id, outbox.c.kind == OutboxKind.OFFER_DM.value)
        .order_by(outbox.c.id)
        .limit(1)
    )
    return conn.execute(first).scalar_one_or_none()
