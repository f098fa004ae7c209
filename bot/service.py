"""The running service and its composition root: the store, the engine, Slack, the clock, the outbox
dispatcher with its transports, the SLA timers and the report schedules (digests, alerts), wired once in
`Service.build` and shared.

Every state change goes through `storage.Store` (one transaction, with the outbox rows it implies),
which publishes the events it committed to the event hub (`bot.events`) right after the commit. Who
reacts to what is declared in one place, `build`: the dispatcher wakes for rows to deliver, the SLA
timers re-arm, metrics count, and the Home refresher republishes the Homes a delivery changed. The
outbox transports are registered there too, one line each, and the relays that turn committed events
into rows for the world outside Slack (signed webhooks, `connectors.webhooks`; the owner written to the
CRM, `connectors.crm`), and the CRM's outcome poll. A new lead is stored and routed in one
transaction, and its DM is handed to the dispatcher ready to post.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.crm_polling import CrmPolling
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.slack import CHANNEL_GAP, SlackTransport
from bot.events import EventHub, MessageDelivered, SweepFinished, SweepStarted
from bot.home_refresher import HomeRefresher
from bot.identity_watch import IdentityWatch
from bot.lead_input import ParsedLead
from bot.metrics import Metrics, source_labels
from bot.people import People
from bot.reporting import Reporting
from bot.slack import Slack
from bot.timers import SlaTimers
from connectors.crm.api import CrmApi
from connectors.crm.factory import open_crm
from connectors.crm.poll import OutcomePoll
from connectors.crm.relay import OwnerRelay
from connectors.crm.transport import CrmTransport
from connectors.delivery import Transport as DeliveryTransport
from connectors.webhooks import WebhookRelay, WebhookTransport, endpoints
from routing import Engine, Reason, RoutingConfig
from storage.cursors import PollCursors
from storage.db import Database
from storage.events import Event, LeadReassigned
from storage.identities import IdentityChecks
from storage.model import LeadState, LeadView, Offer, Transport
from storage.outbox import Outbox
from storage.relays import Relay
from storage.store import Store
from storage.views import Views


@dataclass(slots=True)
class Service:
    config: RoutingConfig
    db: Database
    store: Store
    views: Views
    outbox: Outbox
    sender: Dispatcher  # the outbox dispatcher: delivers every transport's rows
    timers: SlaTimers
    slack: Slack
    people: People
    clock: Clock
    metrics: Metrics
    homes: HomeRefresher
    hub: EventHub
    identities: IdentityWatch
    reporting: Reporting
    crm: CrmApi | None = None  # the configured CRM (`crm:` in the config), if any
    crm_polling: CrmPolling | None = None  # its outcome poll, if the config reads outcomes from it

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
        channel_gap: timedelta = CHANNEL_GAP,
        environ: Mapping[str, str] | None = None,
        connect_crm: bool = True,
    ) -> Service:
        """Wire the service. `channel_gap`: Slack's pacing between posts to one channel (real time, so
        tests not about pacing pass zero). `environ` (default the process's) holds the webhooks'
        secrets and the CRM's credentials: raises routing.ConfigError naming each `secret_env` that is
        unset or not a secret, and a CRM credential that is missing. `connect_crm` False (offline
        commands): the CRM's rows are still queued, which needs only the config, but no client is
        built, so no credential is needed; `serve` delivers them."""
        hub = EventHub()
        environ = os.environ if environ is None else environ
        hooks = endpoints(config.webhooks, environ)
        relays: list[Relay] = [WebhookRelay(config, hooks)] if hooks else []
        crm = open_crm(config.crm, environ, clock.now) if config.crm is not None and connect_crm else None
        if config.crm is not None:
            relays.append(OwnerRelay(config, config.crm))
        store = Store(db, Engine(config), load_window=config.outcomes.load_window, publish=hub.publish, relays=relays)
        views = Views(db, config)
        people = people or People(config)
        homes = HomeRefresher(config)
        # The outbox transports, one line each: rows name theirs in their `transport` column.
        transports: dict[str, DeliveryTransport] = {
            Transport.SLACK: SlackTransport(
                slack=slack,
                views=views,
                outbox=store.outbox,
                config=config,
                people=people,
                clock=clock,
                channel_gap=channel_gap,
            ),
            Transport.WEBHOOK: WebhookTransport(hooks),
        }
        if crm is not None:
            transports[Transport.CRM] = CrmTransport(crm, config, now=clock.now, holder=views.holder)
        sender = Dispatcher(store=store, transports=transports, clock=clock, publish=hub.publish)
        timers = SlaTimers(store=store, clock=clock, metrics=metrics, publish=hub.publish)
        identities = IdentityWatch(config=config, slack=slack, checks=IdentityChecks(db), clock=clock)
        reporting = Reporting(db=db, config=config, outbox=store.outbox, clock=clock, metrics=metrics, wake=sender.wake)
        crm_polling = None
        if crm is not None and config.crm is not None and config.crm.poll is not None:
            poll = OutcomePoll(crm, store, PollCursors(db), now=clock.now)
            crm_polling = CrmPolling(poll, config.crm.poll)

        # The subscribers, all of them. Events are published in process, right after each commit.
        hub.subscribe(lambda event: sender.wake() if event.queued else None, Event)
        hub.subscribe(lambda _: sender.hold(), SweepStarted)
        hub.subscribe(lambda _: sender.release(), SweepFinished)
        hub.subscribe(timers.committed, Event)
        sources = source_labels(config)
        hub.subscribe(lambda event: metrics.committed(event, clock.now(), named_sources=sources), Event)
        hub.subscribe(metrics.delivered, MessageDelivered)
        hub.subscribe(lambda delivered: homes.delivered(delivered.item, delivered.view), MessageDelivered)
        hub.subscribe(identities.committed, LeadReassigned)

        return cls(
            config=config,
            db=db,
            store=store,
            views=views,
            outbox=store.outbox,
            sender=sender,
            timers=timers,
            slack=slack,
            people=people,
            clock=clock,
            metrics=metrics,
            homes=homes,
            hub=hub,
            identities=identities,
            reporting=reporting,
            crm=crm,
            crm_polling=crm_polling,
        )

    async def accept_lead(self, parsed: ParsedLead, payload: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Store and route an inbound lead, and post its DM straight after the commit. Returns (created,
        the intake response document); a repeat of (source, external_id) returns the first result again
        and routes nothing, and so does a person whose lead is still open or claimed (`dedupe`): the
        answer names that lead in `attached_to`."""
        intake = await self.store.intake(
            parsed.lead,
            source=parsed.source,
            external_id=parsed.external_id,
            payload=payload,
            now=self.clock.now(),
            hand_over=self.sender.handover_lease,
            dedupe_window=self.config.dedupe.window,
        )
        result = intake.assigned
        if result is None:
            document = intake_document(await self.views.lead_view(intake.received.lead_id))
            if intake.attached:  # one lead per person: the answer says where this one went
                document["attached_to"] = intake.received.lead_id
                document["note"] = "came back: attached to the person's open lead, not routed again"
            return False, document
        if intake.handover is not None:
            self.sender.hand_over(intake.handover)
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
