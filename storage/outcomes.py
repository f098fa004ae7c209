"""Outcomes in: what became of a lead after the claim (working, won, lost, disqualified, reopened), as
a CRM, an import or a person reports it. One transition, `record_outcome`, in one transaction.

Outcomes are append-only and idempotent: a repeat of (lead, state, occurred_at) records nothing and
says so. They may arrive in any order: each is kept, and the lead's *current* outcome is the one that
occurred last (a `won` reported before its `working` stays current; a later `reopened` reopens it).
When the current outcome changes, what routing reads changes with it, in the same transaction:

* open load (`storage.load`): a closing outcome (won, lost, disqualified) takes a claimed lead out of
  its owner's load, a `reopened` puts it back;
* win rates (`storage.results`): the lead counts in its owner's won / closed by its current outcome.

The owner hears of it in the thread of their offer DM (an outbox row), the audit keeps it, and the
event `OutcomeRecorded` tells the rest (the webhook relay writes `lead.outcome` from it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from storage import load, messages, results
from storage.errors import LeadRefNotFound
from storage.events import OutcomeRecorded
from storage.model import CLOSING_OUTCOMES, Actor, ActorKind, LeadRef, LeadState, OutcomeResult, OutcomeState
from storage.rows import AnyRow
from storage.scope import Scope
from storage.tables import leads, offers, outcomes
from storage.writes import insert_new, queue, write_audit

_LEAD_COLUMNS = (
    leads.c.id,
    leads.c.state,
    leads.c.offer_id,
    leads.c.claimed_by,
    leads.c.outcome,
    leads.c.outcome_at,
    leads.c.team_id,
)


class Outcomes:
    """`record_outcome`: one reported outcome, and what it changes."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def record_outcome(
        self,
        ref: LeadRef,
        *,
        state: OutcomeState,
        occurred_at: datetime,
        amount: float | None = None,
        source: str,
        by: str,
        now: datetime,
        changes_only: bool = False,
    ) -> OutcomeResult:
        """Record that `ref`'s lead reached `state` at `occurred_at` (worth `amount`), as `source`
        (api, import, a CRM) reported it on behalf of `by`.

        Idempotent: the same (lead, state, occurred_at) again records nothing (`recorded` False).
        `changes_only`: nor does a `state` the lead's current outcome already is, whenever it occurred.
        The CRM poll asks for it because a CRM that stamps a record on every edit (Salesforce has no
        "status changed at") re-reports an unchanged status with a new time after any edit.
        Raises LeadRefNotFound when no lead answers to `ref`.
        """
        actor = Actor(kind=ActorKind.SYSTEM, id=by)

        def work(conn: Connection, _locks: frozenset[str]) -> OutcomeResult:
            lead = _find(conn, ref, self.scope.email_key(ref.email))
            owner: str | None = lead.claimed_by
            current = OutcomeState(lead.outcome) if lead.outcome else None
            if changes_only and current == state:
                return OutcomeResult(
                    lead_id=lead.id, recorded=False, state=state, current=current, occurred_at=occurred_at, rep_id=owner
                )
            values = {
                "lead_id": lead.id,
                "state": state.value,
                "occurred_at": occurred_at,
                "amount": amount,
                "rep_id": owner,
                "source": source,
                "recorded_at": now,
                "recorded_by": by,
            }
            if insert_new(conn, outcomes, ("lead_id", "state", "occurred_at"), values) is None:
                return OutcomeResult(
                    lead_id=lead.id, recorded=False, state=state, current=current, occurred_at=occurred_at, rep_id=owner
                )
            latest = lead.outcome_at is None or occurred_at >= lead.outcome_at
            if latest:
                conn.execute(
                    update(leads).where(leads.c.id == lead.id).values(outcome=state.value, outcome_at=occurred_at)
                )
                self._feed_routing(conn, lead, owner, was=current, now_state=state, occurred_at=occurred_at, now=now)
            new_current = state if latest else current
            assert new_current is not None
            audit_id = write_audit(
                conn,
                at=now,
                actor=actor,
                lead_id=lead.id,
                from_state=current.value if current else None,
                to_state=f"outcome:{new_current.value}",
                reason=_reason(state, amount, source, latest),
                detail={
                    "state": state.value,
                    "occurred_at": occurred_at.isoformat(),
                    "amount": amount,
                    "source": source,
                    "current": new_current.value,
                },
            )
            queued = queue(conn, self._notes(lead, owner, state, amount, occurred_at, audit_id), now)
            event = OutcomeRecorded(
                at=now,
                queued=queued,
                lead_id=lead.id,
                state=state.value,
                current=new_current.value,
                occurred_at=occurred_at,
                amount=amount,
                rep_id=owner,
                source=source,
                by=by,
            )
            return OutcomeResult(
                lead_id=lead.id,
                recorded=True,
                state=state,
                current=new_current,
                occurred_at=occurred_at,
                rep_id=owner,
                events=(event,),
            )

        return await self.scope.transact(work)

    def _feed_routing(
        self,
        conn: Connection,
        lead: AnyRow,
        owner: str | None,
        *,
        was: OutcomeState | None,
        now_state: OutcomeState,
        occurred_at: datetime,
        now: datetime,
    ) -> None:
        """The lead's current outcome became `now_state`: its owner's results and open load follow."""
        if owner is None:
            return
        since = now - self.scope.config.outcomes.performance_window
        results.count(conn, lead_id=lead.id, rep_id=owner, state=now_state, occurred_at=occurred_at, since=since)
        if lead.state != LeadState.CLAIMED.value or lead.offer_id is None:
            return
        closes, closed = now_state in CLOSING_OUTCOMES, was in CLOSING_OUTCOMES
        if closes and not closed:
            load.released(conn, lead.offer_id)
        elif closed and not closes:
            claimed = conn.execute(
                select(offers.c.rep_id, offers.c.assigned_at).where(
                    offers.c.id == lead.offer_id, offers.c.state == "claimed"
                )
            ).one_or_none()
            if claimed is not None and self._still_counts(claimed.assigned_at, now):
                load.held_again(conn, lead.offer_id, claimed.rep_id, claimed.assigned_at)

    def _still_counts(self, assigned_at: datetime, now: datetime) -> bool:
        """Whether a claim assigned at `assigned_at` would count in its rep's load now, if open."""
        outcomes_config = self.scope.config.outcomes
        return not outcomes_config.close_load_by_window or assigned_at >= now - self.scope.load_window

    def _notes(
        self,
        lead: AnyRow,
        owner: str | None,
        state: OutcomeState,
        amount: float | None,
        occurred_at: datetime,
        audit_id: int,
    ) -> list[messages.Row]:
        """A reply in the owner's offer DM thread, when the owner is a rep who had one."""
        if owner is None or owner not in self.scope.config.reps or lead.offer_id is None:
            return []
        return [
            messages.outcome_note(
                lead_id=lead.id,
                offer_id=lead.offer_id,
                rep_id=owner,
                state=state.value,
                amount=amount,
                occurred_at=occurred_at,
                audit_id=audit_id,
            )
        ]


def _find(conn: Connection, ref: LeadRef, email_key: str | None) -> AnyRow:
    """The lead `ref` names, locked until commit on PostgreSQL. Raises LeadRefNotFound."""
    query = select(*_LEAD_COLUMNS)
    if ref.lead_id is not None:
        query = query.where(leads.c.id == ref.lead_id)
    elif email_key:
        query = query.where(leads.c.email_key == email_key).order_by(leads.c.received_at.desc()).limit(1)
    else:
        query = query.where(leads.c.source == ref.source, leads.c.external_id == ref.external_id)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        raise LeadRefNotFound(ref)
    return row


def _reason(state: OutcomeState, amount: float | None, source: str, latest: bool) -> str:
    worth = f" ({amount:,.2f})" if amount is not None else ""
    late = "" if latest else "; an earlier outcome than the current one, kept for the record"
    return f"outcome {state.value}{worth} from {source}{late}"
