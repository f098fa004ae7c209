"""The identity checks on record: each check replaces the last, failures read first (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import Database
from storage.identities import IdentityChecks
from storage.model import IdentityCheck
from tests.storage.conftest import T0


def found(subject: str, ok: bool, minutes: int = 0) -> IdentityCheck:
    return IdentityCheck(
        subject=subject,
        ok=ok,
        detail="ok" if ok else "user_not_found",
        fix=None if ok else "check the id",
        checked_at=T0 + timedelta(minutes=minutes),
    )


async def test_each_check_replaces_the_last_and_failures_come_first(db: Database) -> None:
    checks = IdentityChecks(db)
    assert await checks.latest() == []
    await checks.record([found("person alice", True), found("person bob", False), found("person zed", True)])
    assert [(c.subject, c.ok) for c in await checks.latest()] == [
        ("person bob", False),
        ("person alice", True),
        ("person zed", True),
    ]
    await checks.record([found("person alice", False, minutes=60)])  # bob and zed left the config
    assert await checks.latest() == [found("person alice", False, minutes=60)]


async def test_replicas_recording_at_once_leave_one_whole_check(db: Database) -> None:
    """Two replicas start together and each records its check: neither fails, and the table holds one
    of the two checks whole, never a mix (on PostgreSQL both used to insert over each other)."""
    checks = IdentityChecks(db)
    first = [found("person alice", True), found("person bob", True)]
    second = [found("person alice", False, minutes=1), found("person bob", False, minutes=1)]
    await asyncio.gather(*(checks.record(check) for _ in range(4) for check in (first, second)))
    assert sorted(await checks.latest(), key=lambda c: c.subject) in (first, second)
