"""The lead's life as atomic, conditional transitions: `Store`, a facade over small repositories.

Every transition is one database transaction that either happens completely (state change, audit row
and the outbox rows it implies) or not at all. Each takes `now` (aware) and never reads the clock. Each
is guarded by a conditional statement on the row's current state, so of two racing callers exactly
one wins; the other gets a `Refused` error saying who won and when, never a driver exception.

Concurrency, briefly. SQLite runs one writer at a time (see `storage.db`). On PostgreSQL rows are
locked in one order, offer → lead → pool, so transitions cannot deadlock one another; due offers,
reminders and pings are claimed with ``FOR UPDATE SKIP LOCKED`` so replicas split the work; the pool
cursor is advanced with ``UPDATE … WHERE turn = :expected`` and a transaction that loses that race is
rolled back and routed again with the pool row locked first, so no turn is ever handed out twice.
The writes that follow a decision (offer, load counters, the lead's move, audit row, DM) reach
PostgreSQL as one statement (`storage.batch`): a contended pool is held for four round trips (lock,
state read, writes, COMMIT), which bounds how many leads one pool takes a second.

The repositories share one `storage.scope.Scope` (the database and its one write path,
`Database.transact`; the engine; the config look-ups) and the in-transaction steps of
`storage.placing` (routing a lead) and `storage.handoff` (withdrawing an offer, escalating):

| repository | module | transitions |
|---|---|---|
| `Leads` | `storage.leads` | receive, intake, assign, nurture, escalate; load_routing_state |
| `Offers` | `storage.offers` | claim, take, reassign, withdraw_unreachable |
| `Timers` | `storage.timers` | expire_due, remind_due, repings_due, release_held_due; next_due_at |
| `Reps` | `storage.reps` | set_pto, clear_pto, set_capacity, set_paused |
| `Outcomes` | `storage.outcomes` | record_outcome |
| `Outbox` | `storage.outbox` | the sender's side: lease_due, lease_backlog, mark_sent, mark_retry, … |
| `LoadChecks` | `storage.load_check` | check_load: the load counters against the offers (`db check`) |
| `Retention` | `storage.retention` | prune: delivered outbox rows and ended PTO past their age |

`Store` offers each repository's transitions under its own name (`store.claim` is
`store.offers.claim`), so callers need not know which repository holds one. A store built with
`publish` hands every transition's events to it right after the transaction commits (the bot's event
hub), so no caller has to remember to announce a change; the result still carries them.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from routing import Engine
from storage.db import Database
from storage.events import Events
from storage.leads import Leads
from storage.load_check import LoadChecks
from storage.offers import Offers
from storage.outbox import Outbox
from storage.outcomes import Outcomes
from storage.relays import Relay
from storage.reps import Reps
from storage.retention import Retention
from storage.scope import DEFAULT_LOAD_WINDOW, Scope
from storage.timers import Timers

_P = ParamSpec("_P")
_T = TypeVar("_T")
_Repo = TypeVar("_Repo")


Publish = Callable[[Events], None]


def _via(
    repository: str, method: Callable[Concatenate[_Repo, _P], Awaitable[_T]]
) -> Callable[Concatenate[Any, _P], Awaitable[_T]]:
    """A `Store` method that runs `method` on the store's `repository` attribute, then publishes the
    events it committed: same signature, same docstring (a subclass may still override it, as the SLA
    bench does)."""

    @functools.wraps(method)
    async def call(store: Store, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        result = await method(getattr(store, repository), *args, **kwargs)
        if store.publish is not None:
            events = committed(result)
            if events:
                store.publish(events)
        return result

    return call


def committed(result: object) -> Events:
    """The events a transition's result carries: its `events`, those of each item of a list (the timer
    transitions), none for a read or None (nothing moved)."""
    if isinstance(result, list):
        return tuple(event for item in result for event in committed(item))
    events: Events = getattr(result, "events", ())
    return events


class Store:
    """Every write to the lead's life: `Store(db, engine, load_window=..., publish=..., relays=...)`.

    `load_window` is how long a claimed lead counts toward its rep's open load (see `storage.state`);
    `publish` receives each committed transition's events (in order, right after its commit); `relays`
    write, inside each transition, the webhook and CRM rows its events imply (see `storage.relays`).
    """

    def __init__(
        self,
        db: Database,
        engine: Engine,
        *,
        load_window: timedelta = DEFAULT_LOAD_WINDOW,
        publish: Publish | None = None,
        relays: Sequence[Relay] = (),
    ) -> None:
        self.publish = publish
        self.scope = scope = Scope(db, engine, load_window=load_window, relays=relays)
        self.db, self.engine, self.config = db, engine, engine.config
        self.leads = Leads(scope)
        self.offers = Offers(scope)
        self.timers = Timers(scope)
        self.reps = Reps(scope)
        self.outcomes = Outcomes(scope)
        self.outbox = Outbox(db)
        self.load = LoadChecks(scope)
        self.retention = Retention(db)

    receive = _via("leads", Leads.receive)
    intake = _via("leads", Leads.intake)
    assign = _via("leads", Leads.assign)
    nurture = _via("leads", Leads.nurture)
    escalate = _via("leads", Leads.escalate)
    load_routing_state = _via("leads", Leads.load_routing_state)
    claim = _via("offers", Offers.claim)
    take = _via("offers", Offers.take)
    reassign = _via("offers", Offers.reassign)
    withdraw_unreachable = _via("offers", Offers.withdraw_unreachable)
    expire_due = _via("timers", Timers.expire_due)
    remind_due = _via("timers", Timers.remind_due)
    repings_due = _via("timers", Timers.repings_due)
    release_held_due = _via("timers", Timers.release_held_due)
    next_due_at = _via("timers", Timers.next_due_at)
    set_pto = _via("reps", Reps.set_pto)
    clear_pto = _via("reps", Reps.clear_pto)
    set_capacity = _via("reps", Reps.set_capacity)
    set_paused = _via("reps", Reps.set_paused)
    record_outcome = _via("outcomes", Outcomes.record_outcome)
    check_load = _via("load", LoadChecks.check_load)
    prune = _via("retention", Retention.prune)
