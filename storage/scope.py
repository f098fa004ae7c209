"""What every repository of `storage.Store` shares: one database (and its one write path,
`Database.transact`), the engine and its config, the routing state reader, and the config look-ups
transitions make: who an id is, whom they may act for, which team hears about a lead.

A config reload means a new `Scope` and so a new store (both are cheap).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import Connection, bindparam, select

from routing import Engine
from routing.config import Rep
from storage.db import Database, Work
from storage.errors import UnknownPerson
from storage.model import SYSTEM, Actor, ActorKind
from storage.relays import Relay, relay
from storage.state import StateReader
from storage.tables import pools

DEFAULT_LOAD_WINDOW = timedelta(days=7)
_DEFAULT_PING = timedelta(hours=1)  # re-ping period when neither the team nor the SLA names one
# How long a pool that lost a race stays contended (`Scope.contended`) after its last lost race.
_CONTENDED_FOR = 60.0  # seconds
_T = TypeVar("_T")


class Scope:
    """`Scope(db, engine, load_window=..., relays=...)`: `load_window` is how long a claimed lead counts
    toward its rep's open load (see `storage.state`); `relays` add the outbox rows for webhooks and CRMs
    that each transition's events imply (see `storage.relays`)."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        *,
        load_window: timedelta = DEFAULT_LOAD_WINDOW,
        relays: Sequence[Relay] = (),
    ) -> None:
        self.db = db
        self.relays = tuple(relays)
        self.engine = engine
        self.config = engine.config
        self.load_window = load_window
        # Without an outcome source a claimed lead leaves the load after the window; with one, when a
        # closing outcome arrives (see `routing.config.Outcomes`).
        self.claims_close_by_window = self.config.outcomes.close_load_by_window
        self.state = StateReader(
            self.config,
            load_window,
            claims_close_by_window=self.claims_close_by_window,
            performance_window=self.config.outcomes.performance_window,
        )
        self._sla_within = {policy.name: policy.within for policy in self.config.sla}
        self._lost_races: dict[str, float] = {}  # pool id → monotonic time it last lost a race

    async def transact(self, work: Work[_T]) -> _T:
        """Run a transition's `work` in one transaction (`Database.transact`), with the rows the relays
        derive from the events it returns written in that same transaction."""
        if not self.relays:
            return await self.db.transact(work)
        return await self.db.transact(lambda conn, locks: relay(conn, self.relays, work(conn, locks)))

    def email_key(self, email: str | None) -> str | None:
        """A lead's email as people are matched (`leads.email_key`; see `routing.config.Dedupe`)."""
        return self.config.dedupe.email_key(email) if email else None

    def actor(self, person_id: str | None) -> Actor:
        """The audit actor for a config person id (None: the system). Raises UnknownPerson."""
        if person_id is None:
            return SYSTEM
        if person_id in self.config.managers:
            return Actor(kind=ActorKind.MANAGER, id=person_id)
        if person_id in self.config.reps:
            return Actor(kind=ActorKind.REP, id=person_id)
        raise UnknownPerson(person_id)

    def rep(self, rep_id: str) -> Rep:
        """The rep in the config. Raises UnknownPerson (not KeyError)."""
        rep = self.config.reps.get(rep_id)
        if rep is None:
            raise UnknownPerson(rep_id)
        return rep

    def acts_for(self, person_id: str) -> frozenset[str]:
        """The reps whose offers `person_id` may act on: themselves and the reps they manage."""
        return frozenset({person_id}) | self.config.manages(person_id)

    def team_of(self, pool: str | None, rep: str | None) -> str:
        """The team that hears about a lead: the decision's pool, else the rep's first team, else the
        fallback team, else the first team in the config (there is always one)."""
        teams = self.config.teams
        if pool is not None and pool in teams:
            return pool
        if rep and self.config.teams_of.get(rep):
            return self.config.teams_of[rep][0]
        return self.config.fallback_team or next(iter(teams))

    def ping_every(self, team_id: str | None, sla: str | None) -> timedelta:
        """How often managers are pinged about an unclaimed lead: the team's `escalation.repeat_every`,
        else the lead's SLA window, else an hour."""
        team = self.config.teams.get(team_id) if team_id else None
        if team is not None and team.escalation.repeat_every is not None:
            return team.escalation.repeat_every
        return self._sla_within.get(sla or "", _DEFAULT_PING)

    def lock_pools(self, conn: Connection, locks: frozenset[str]) -> frozenset[str]:
        """After losing a pool race (PostgreSQL), lock the pools before reading them: this attempt wins.
        Returns the pools locked (a pool that has never taken a turn has no row to lock yet)."""
        if not locks or self.db.is_sqlite:
            return frozenset()
        return frozenset(conn.execute(_LOCK_POOLS, {"pools": sorted(locks)}).scalars())

    def lost_race(self, pool: str) -> None:
        """`pool`'s turn was taken by another writer (PostgreSQL): it is contended for a while."""
        self._lost_races[pool] = time.monotonic()

    def contended(self, pool: str) -> bool:
        """Whether `pool` lost a race in the last minute, so routing should lock it before it reads.

        With many concurrent writers on one pool, nearly every optimistic attempt loses the race to the
        pool's turn and runs again (BENCHMARKS.md, storage). Locking a contended pool first makes every
        writer wait its turn instead: one extra lock and read, where a lost race costs a whole rollback.
        The memory fades, so a pool contended once does not pay for the lock forever.
        """
        at = self._lost_races.get(pool)
        return at is not None and not self.db.is_sqlite and time.monotonic() - at < _CONTENDED_FOR

    def any_contended(self) -> bool:
        """Whether any pool is `contended` now."""
        return any(self.contended(pool) for pool in self._lost_races)


# Built once (it runs on every contended intake): an expanding IN takes any number of pools.
_LOCK_POOLS = select(pools.c.pool_id).where(pools.c.pool_id.in_(bindparam("pools", expanding=True))).with_for_update()
