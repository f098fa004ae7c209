"""What every group of transitions shares: the engine and config, who may act for whom, and the
in-transaction steps that end an offer or put a lead in the managers' hands.

Lock order on PostgreSQL, which every transition follows so that none can deadlock another: offer
rows, then lead rows, then pool rows. A transition that starts from a lead reads it without a lock,
locks its offer, then moves the lead with a conditional update (`storage.writes.move_lead`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from routing import Engine
from routing.config import Rep
from storage import messages
from storage.db import Conflict, Database
from storage.errors import UnknownPerson
from storage.model import (
    SYSTEM,
    Actor,
    ActorKind,
    EndReason,
    LeadState,
)
from storage.rows import AnyRow
from storage.state import StateReader
from storage.writes import ALL_LEAD_COLUMNS, end_offer, move_lead, queue, write_audit

DEFAULT_LOAD_WINDOW = timedelta(days=7)
_DEFAULT_PING = timedelta(hours=1)  # re-ping period when neither the team nor the SLA names one
IN_MANAGERS_HANDS = (LeadState.ESCALATED.value, LeadState.QUEUED.value)


class StoreBase:
    """State shared by the transition groups that make up `storage.Store`.

    The engine's config also decides who may act for whom (a rep's manager: `rep.manager` or the
    manager of a team the rep is in), escalation chains and rep time zones; a config reload means a
    new store (it is cheap). `load_window` is how long a claimed lead counts toward its rep's open
    load (see `storage.state`).
    """

    def __init__(self, db: Database, engine: Engine, *, load_window: timedelta = DEFAULT_LOAD_WINDOW) -> None:
        self.db = db
        self.engine = engine
        self.config = engine.config
        self.load_window = load_window
        self._state = StateReader(self.config, load_window)
        managed: dict[str, set[str]] = {}
        for rep in self.config.reps.values():
            if rep.manager:
                managed.setdefault(rep.manager, set()).add(rep.id)
        for team in self.config.teams.values():
            if team.manager:
                managed.setdefault(team.manager, set()).update(team.members)
        self._managed = {manager: frozenset(reps) for manager, reps in managed.items()}
        self._sla_within = {policy.name: policy.within for policy in self.config.sla}

    def actor(self, person_id: str | None) -> Actor:
        """The audit actor for a config person id (None: the system). Raises UnknownPerson."""
        if person_id is None:
            return SYSTEM
        if person_id in self.config.managers:
            return Actor(kind=ActorKind.MANAGER, id=person_id)
        if person_id in self.config.reps:
            return Actor(kind=ActorKind.REP, id=person_id)
        raise UnknownPerson(person_id)

    def _rep(self, rep_id: str) -> Rep:
        rep = self.config.reps.get(rep_id)
        if rep is None:
            raise UnknownPerson(rep_id)
        return rep

    def _acts_for(self, person_id: str) -> frozenset[str]:
        """The reps whose offers `person_id` may act on: themselves and the reps they manage."""
        return frozenset({person_id}) | self._managed.get(person_id, frozenset())

    def _team_of(self, pool: str | None, rep: str | None) -> str:
        """The team that hears about a lead: the decision's pool, else the rep's first team, else the
        fallback team, else the first team in the config (there is always one)."""
        teams = self.config.teams
        if pool is not None and pool in teams:
            return pool
        if rep and self.config.teams_of.get(rep):
            return self.config.teams_of[rep][0]
        return self.config.fallback_team or next(iter(teams))

    def _ping_every(self, team_id: str | None, sla: str | None) -> timedelta:
        team = self.config.teams.get(team_id) if team_id else None
        if team is not None and team.escalation.repeat_every is not None:
            return team.escalation.repeat_every
        return self._sla_within.get(sla or "", _DEFAULT_PING)

    def _escalate(
        self,
        conn: Connection,
        lead: AnyRow,
        now: datetime,
        *,
        actor: Actor,
        to_state: LeadState,
        team_id: str | None,
        sla: str | None,
        audit_from: str,
        reason: str,
        values: Mapping[str, Any] | None = None,
        detail: Mapping[str, Any] | None = None,
        offer_id: int | None = None,
    ) -> AnyRow:
        """Put the lead in the managers' hands (`escalated` or `queued`) and ping the first manager.

        `lead` needs id, state and offer_id as read; `values` are more lead columns to set; `offer_id` is
        the offer the audit row is about. Returns the lead's row after the move.
        """
        pingable = bool(messages.escalation_target(self.config, team_id, 0))
        moved = move_lead(
            conn,
            lead.id,
            state=lead.state,
            offer_id=lead.offer_id,
            values={
                **(values or {}),
                "state": to_state.value,
                "offer_id": None,
                "team_id": team_id,
                "sla": sla,
                "escalation_level": 0,
                "pings": 1,
                "next_ping_at": now + self._ping_every(team_id, sla) if pingable else None,
            },
            returning=ALL_LEAD_COLUMNS,
        )
        audit_id = write_audit(
            conn,
            at=now,
            actor=actor,
            lead_id=lead.id,
            offer_id=offer_id,
            from_state=audit_from,
            to_state=to_state.value,
            reason=reason,
            detail=detail,
            returning_id=True,
        )
        rows = messages.escalation(
            self.config, team_id=team_id, lead_id=lead.id, audit_id=audit_id, level=0, ping=1, reason=reason
        )
        queue(conn, rows, now)
        assert moved is not None  # asked for columns, so move_lead returned the row
        return moved

    def _withdraw(self, conn: Connection, lead: AnyRow, end: EndReason, actor: Actor, now: datetime) -> AnyRow | None:
        """End the lead's open offer, if it has one, and queue the update of its DM.

        Returns the ended offer's (lead_id, rep_id, due_at), None if there was none. Raises Conflict when
        the offer closed since the lead was read.
        """
        if lead.offer_id is None:
            return None
        ended = end_offer(conn, lead.offer_id, reason=end.value, now=now)
        if ended is None:
            raise Conflict(f"offer {lead.offer_id} closed meanwhile")
        dm = messages.offer_update(
            lead_id=lead.id,
            offer_id=lead.offer_id,
            rep_id=ended.rep_id,
            status=end.value,
            by=actor.id,
            at=now,
        )
        queue(conn, [dm], now)
        return ended
