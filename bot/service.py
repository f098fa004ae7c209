"""The running service: the store, the engine, Slack and the clock, wired once and shared.

Every state change goes through `storage.Store` (one transaction, with the outbox rows it implies);
afterwards `committed()` wakes the outbox sender, so Slack hears about it at once, without polling. A new
lead is stored and routed in one transaction, and its DM is handed to the sender ready to post.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.homes import HomeRefresher
from bot.lead_input import ParsedLead
from bot.metrics import Metrics
from bot.people import People
from bot.sender import OutboxSender
from bot.slack import Slack
from routing import Engine, Reason, RoutingConfig
from storage.db import Database
from storage.model import LeadState, LeadView, Offer, OutboxItem, OutboxKind
from storage.outbox import Outbox
from storage.store import Store
from storage.views import Views


@dataclass(slots=True)
class Leadrelay:
    config: RoutingConfig
    db: Database
    store: Store
    views: Views
    outbox: Outbox
    sender: OutboxSender
    slack: Slack
    people: People
    clock: Clock
    metrics: Metrics
    homes: HomeRefresher
    on_commit: list[Callable[[datetime | None], None]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        config: RoutingConfig,
        db: Database,
        slack: Slack,
        clock: Clock,
        metrics: Metrics,
        people: People | None = None,
    ) -> Leadrelay:
        engine = Engine(config)
        store = Store(db, engine)
        views = Views(db, config)
        outbox = store.outbox
        people = people or People(config)
        homes = HomeRefresher(config)
        sender = OutboxSender(
            outbox=outbox,
            views=views,
            slack=slack,
            config=config,
            people=people,
            clock=clock,
            metrics=metrics,
            on_delivered=homes.delivered,
        )
        service = cls(
            config=config,
            db=db,
            store=store,
            views=views,
            outbox=outbox,
            sender=sender,
            slack=slack,
            people=people,
            clock=clock,
            metrics=metrics,
            homes=homes,
        )
        sender.on_recipient_gone = service.recipient_gone
        return service

    def committed(self, due: datetime | None = None, *, queued: bool = True) -> None:
        """A transaction committed: deliver what it queued now (`queued=False`: it queued nothing the
        sender has to send), and tell the timers. `due` is a deadline the commit added (a new offer's),
        which lets them re-arm without reading the database."""
        if queued:
            self.sender.wake()
        for hook in self.on_commit:
            hook(due)

    async def recipient_gone(self, item: OutboxItem, code: str) -> None:
        """Slack says a DM's recipient is gone: withdraw the offer and route the lead to someone else."""
        if item.kind != OutboxKind.OFFER_DM or item.offer_id is None:
            return  # updates and reminders to a gone rep have nobody left to inform
        result = await self.store.withdraw_unreachable(item.offer_id, code=code, now=self.clock.now())
        if result is not None:
            self.committed(result.offer.due_at if result.offer else None)

    async def accept_lead(self, parsed: ParsedLead, payload: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Store and route an inbound lead, and post its DM straight after the commit. Returns (created,
        the intake response document); a repeat of (source, external_id) returns the first result again
        and routes nothing."""
        now = self.clock.now()
        intake = await self.store.intake(
            parsed.lead,
            source=parsed.source,
            external_id=parsed.external_id,
            payload=payload,
            now=now,
            hand_over=self.sender.handover_lease,
        )
        result = intake.assigned
        if result is None:
            return False, intake_document(await self.views.lead_view(intake.received.lead_id))
        if intake.handover is not None:
            self.sender.hand_over(intake.handover)
        self.metrics.leads.labels(parsed.source).inc()
        self.metrics.intake_to_assignment.observe(max(0.0, (self.clock.now() - now).total_seconds()))
        self.committed(result.offer.due_at if result.offer else None, queued=intake.handover is None)
        decision = result.decision
        return True, _document(result.lead_id, result.state, result.offer, decision.reasons, decision.summary)


def intake_document(view: LeadView) -> dict[str, Any]:
    """What `POST /leads` answers for a lead already stored: where it stands now, and its first routing
    result, exactly as the first answer gave it."""
    first = view.offers[0] if view.offers else None
    if first is not None:
        return _document(view.lead.id, view.lead.state, first, first.reasons, first.summary)
    routed = next((entry for entry in view.history if entry.detail and "reasons" in entry.detail), None)
    reasons = tuple(Reason(str(r["code"]), str(r["text"])) for r in (routed.detail or {})["reasons"]) if routed else ()
    return _document(view.lead.id, view.lead.state, None, reasons, routed.reason if routed else None)


def _document(
    lead_id: int, state: LeadState, offer: Offer | None, reasons: Sequence[Reason], summary: str | None
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "state": state.value,
        "assignee": offer.rep_id if offer else None,
        "rule": offer.rule if offer else None,
        "summary": summary,
        "reasons": [reason.text for reason in reasons],
        "due_at": offer.due_at.isoformat() if offer else None,
    }
