"""The lead's life as atomic, conditional transitions: `Store`.

Every method is one database transaction that either happens completely (state change, audit row and
the outbox rows it implies) or not at all. Each takes `now` (aware) and never reads the clock. Each
transition is guarded by a conditional statement on the row's current state, so of two racing callers
exactly one wins; the other gets a `Refused` error saying who won and when, never a driver exception.

Concurrency, briefly. SQLite runs one writer at a time (see `storage.db`). On PostgreSQL rows are
locked in one order, offer → lead → pool, so transitions cannot deadlock one another; due offers,
reminders and pings are claimed with ``FOR UPDATE SKIP LOCKED`` so replicas split the work; the pool
cursor is advanced with ``UPDATE … WHERE turn = :expected`` and a transaction that loses that race is
rolled back and routed again with the pool row locked first, so no turn is ever handed out twice.

The transitions live in three groups: `storage.lifecycle` (intake, assignment, claims, hand-offs),
`storage.timers` (expiry, reminders, re-pings) and `storage.reps` (PTO, capacity, pause).
"""

from __future__ import annotations

from storage.lifecycle import LeadTransitions
from storage.reps import RepTransitions
from storage.timers import TimerTransitions


class Store(LeadTransitions, TimerTransitions, RepTransitions):
    """Every write to the lead's life: `Store(db, engine, load_window=...)`."""
