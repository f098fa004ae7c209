"""The running service: the store, the engine, Slack and the clock, wired once and shared.

Every state change goes through `storage.Store` (one transaction, with the outbox rows it implies);
afterwards `committed()` wakes the outbox sender, so Slack hears about it at once, without polling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.lead_input import ParsedLead
from bot.metrics import Metrics
from bot.people import People
from bot.sender import OutboxSender
from bot.slack import Slack
from routing import Engine, RoutingConfig
from storage.db import Database
from storage.model import LeadView
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
    on_commit: list[Callable[[], None]] = field(default_factory=list)

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
        outbox = Outbox(db)
        people = people or People(config)
        sender = OutboxSender(
            outbox=outbox,
            views=views,
            slack=slack,
            config=config,
            people=people,
            clock=clock,
            metrics=metrics,
        )
        return cls(
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
        )

    def committed(self) -> None:
        """A transaction committed: deliver what it queued now, and let the timers look at the new deadlines."""
        self.sender.wake()
        for hook in self.on_commit:
            hook()

    async def accept_lead(self, parsed: ParsedLead, payload: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Store and route an inbound lead. Returns (created, the intake response document); a repeat of
        (source, external_id) returns the first result again and routes nothing."""
        now = self.clock.now()
        received = await self.store.receive(
            parsed.lead, source=parsed.source, external_id=parsed.external_id, payload=payload, now=now
        )
        if received.created:
            self.metrics.leads.labels(parsed.source).inc()
            await self.store.assign(received.lead_id, now=now)
            self.metrics.intake_to_assignment.observe(max(0.0, (self.clock.now() - now).total_seconds()))
            self.committed()
        view = await self.views.lead_view(received.lead_id)
        return received.created, intake_document(view)


def intake_document(view: LeadView) -> dict[str, Any]:
    """What `POST /leads` answers, built from the stored lead so that a retry gets the very same answer:
    where the lead stands now, and its first routing result (rep, rule, reasons, deadline)."""
    lead = view.lead
    first = view.offers[0] if view.offers else None
    assignee: str | None = None
    rule: str | None = None
    summary: str | None = None
    due_at: str | None = None
    if first is not None:
        assignee, rule, summary = first.rep_id, first.rule, first.summary
        reasons, due_at = [r.text for r in first.reasons], first.due_at.isoformat()
    else:  # nurture or the manager queue: the decision lives in the audit trail
        routed = next((e for e in view.history if e.detail and "reasons" in e.detail), None)
        summary = routed.reason if routed else None
        reasons = [str(r["text"]) for r in routed.detail["reasons"]] if routed and routed.detail else []
    return {
        "lead_id": lead.id,
        "state": lead.state.value,
        "assignee": assignee,
        "rule": rule,
        "summary": summary,
        "reasons": reasons,
        "due_at": due_at,
    }
