"""Whose Home a delivered message touches, and how a burst of them becomes one publish per person."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.home_refresher import HomeRefresher, touched
from routing import parse_config
from storage.model import OutboxItem, OutboxKind
from tests.bot.harness import CONFIG_YAML

CONFIG = parse_config(CONFIG_YAML.replace("SALES_CHANNEL", "CSALES"))
MANAGERS = {"maria", "hana"}  # the sales team's escalation chain


def item(kind: OutboxKind, address: str, **payload: Any) -> OutboxItem:
    return OutboxItem(
        id=1,
        kind=kind.value,
        lead_id=None,
        offer_id=None,
        transport="slack",
        address=address,
        payload=payload,
        dedup_key="k",
        attempts=1,
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
        dm_channel=None,
        dm_ts=None,
        thread_channel=None,
        thread_ts=None,
    )


def test_offers_touch_their_rep_and_every_lead_change_the_teams_managers() -> None:
    assert touched(CONFIG, item(OutboxKind.OFFER_DM, "alice", team_id="sales"), None) == {"alice"} | MANAGERS
    assert touched(CONFIG, item(OutboxKind.OFFER_UPDATE, "bob", team_id="sales"), None) == {"bob"} | MANAGERS
    assert touched(CONFIG, item(OutboxKind.ESCALATION, "CSALES", team_id="sales"), None) == MANAGERS
    assert touched(CONFIG, item(OutboxKind.OFFER_DM, "alice"), None) == {"alice"}  # no team known
    assert touched(CONFIG, item(OutboxKind.REMINDER, "alice", team_id="sales"), None) == set()


async def test_a_burst_of_deliveries_publishes_each_open_home_once() -> None:
    published: list[str] = []

    async def publish(person: str) -> None:
        published.append(person)

    homes = HomeRefresher(CONFIG, gap=0)
    homes.publish = publish
    for person in ("alice", "bob", "maria"):
        homes.opened(person)
    for rep in ("alice", "bob", "alice", "carol"):
        homes.delivered(item(OutboxKind.OFFER_DM, rep, team_id="sales"), None)
    await asyncio.sleep(0.01)  # the gap (zero here) passes on the loop
    assert sorted(published) == ["alice", "bob", "maria"]  # carol and hana have not opened their Homes
    await homes.close()
