"""The message-kind registry is complete and says truthfully whose Home each delivery changes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.home_refresher import touched
from bot.kinds import DIGESTIBLE, KINDS
from routing import parse_config
from storage.model import OutboxItem, OutboxKind

CONFIG = parse_config(
    """
timezone: UTC
managers:
  - {id: maria, name: Maria, slack_id: UMARIA1}
reps:
  - {id: alice, name: Alice, slack_id: UALICE1, manager: maria}
  - {id: bob, name: Bob, slack_id: UBOB001, manager: maria}
teams:
  - {id: inbound, name: Inbound, members: [alice, bob], manager: maria, channel: CSALES1}
sla:
  - {name: general, within: 1h}
fallback: {team: inbound}
"""
)


def row(kind: OutboxKind, address: str) -> OutboxItem:
    return OutboxItem(
        id=1,
        kind=kind.value,
        lead_id=None,
        offer_id=None,
        transport="slack",
        address=address,
        payload={"team_id": "inbound"},
        dedup_key="k",
        attempts=1,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        dm_channel=None,
        dm_ts=None,
        thread_channel=None,
        thread_ts=None,
    )


def test_every_outbox_kind_has_exactly_one_registered_deliverer() -> None:
    assert set(KINDS) == {kind.value for kind in OutboxKind}
    assert all(KINDS[name].kind.value == name for name in KINDS)


def test_only_channel_posts_about_leads_fold_into_a_digest() -> None:
    assert set(DIGESTIBLE) == {OutboxKind.LEAD_THREAD_NOTE.value, OutboxKind.ESCALATION.value}


def test_an_offer_changes_the_reps_home_and_their_managers() -> None:
    assert touched(CONFIG, row(OutboxKind.OFFER_DM, "alice"), None) == {"alice", "maria"}
    assert touched(CONFIG, row(OutboxKind.OFFER_UPDATE, "bob"), None) == {"bob", "maria"}


def test_a_channel_post_changes_only_the_managers_home() -> None:
    assert touched(CONFIG, row(OutboxKind.ESCALATION, "CSALES1"), None) == {"maria"}
    assert touched(CONFIG, row(OutboxKind.REP_UNREACHABLE, "CSALES1"), None) == {"maria"}


def test_a_reminder_changes_no_home() -> None:
    assert touched(CONFIG, row(OutboxKind.REMINDER, "alice"), None) == set()
