"""The message-kind registry: every kind of outbox row the Slack transport delivers, one module each.

To add a kind: its row builder in `storage.messages` (and its `OutboxKind` value), a module here with
`deliver` and `KIND`, and one line in `KINDS` below. `bot.delivery.slack` and `bot.home_refresher` read only this.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.kinds import (
    digest,
    escalation,
    escalation_resolved,
    lead_returned,
    offer_dm,
    offer_update,
    outcome_note,
    reminder,
    rep_settings,
    rep_unreachable,
    thread_note,
    threshold_alert,
)
from bot.kinds.base import Landed, MessageKind, NotDeliverable, Outlet

__all__ = ["DIGESTIBLE", "KINDS", "Landed", "MessageKind", "NotDeliverable", "Outlet"]

KINDS: Mapping[str, MessageKind] = {
    module.KIND.kind.value: module.KIND
    for module in (
        offer_dm,
        offer_update,
        reminder,
        thread_note,
        escalation,
        escalation_resolved,
        rep_unreachable,
        rep_settings,
        digest,
        threshold_alert,
        outcome_note,
        lead_returned,
    )
}

DIGESTIBLE = tuple(name for name, kind in KINDS.items() if kind.digestible)  # folded into one post when many wait
