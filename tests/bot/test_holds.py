"""Holds are pure bookkeeping: when a held transport or address is probed again, and when it is lifted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.holds import PROBE_EVERY, RECHECK_EVERY, Holds
from connectors.delivery import AddressFault, WorkspaceFault

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
REVOKED = WorkspaceFault(error="token_revoked", fix="reinstall")
ARCHIVED = AddressFault(error="is_archived", fix="unarchive")


def test_a_hold_met_again_keeps_its_start_and_next_check_and_takes_the_newer_fault() -> None:
    holds = Holds("slack")
    first = holds.hold(REVOKED, T0)
    expired = WorkspaceFault(error="token_expired", fix="reinstall")
    again = holds.hold(expired, T0 + timedelta(seconds=5))
    assert (again.since, again.check_at, again.fault) == (T0, first.check_at, expired)
    assert first.check_at == T0 + PROBE_EVERY


def test_the_transport_is_probed_before_its_addresses_and_only_when_due() -> None:
    holds = Holds("slack")
    holds.hold(ARCHIVED, T0, address="C1")
    holds.hold(REVOKED, T0 + RECHECK_EVERY - PROBE_EVERY)
    assert holds.due(T0 + RECHECK_EVERY - timedelta(seconds=1)) == []
    assert [held.address for held in holds.due(T0 + RECHECK_EVERY)] == [None, "C1"]
    assert holds.next_check() == T0 + RECHECK_EVERY


def test_a_check_that_finds_the_fault_lifts_nothing_and_one_that_does_not_lifts_the_hold() -> None:
    holds = Holds("slack")
    held = holds.hold(ARCHIVED, T0, address="C1")
    later = T0 + RECHECK_EVERY
    holds.checked(held, later, still=ARCHIVED)
    rescheduled = holds.address("C1")
    assert rescheduled is not None and (rescheduled.since, rescheduled.check_at) == (T0, later + RECHECK_EVERY)
    assert "C1" in rescheduled.describe() and "is_archived: unarchive" in rescheduled.describe()
    holds.checked(rescheduled, later + RECHECK_EVERY, still=None)
    assert holds.all() == [] and holds.next_check() is None
