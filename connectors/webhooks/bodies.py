"""What each event says to a webhook receiver: its type, the key that names it once, and its JSON body.

Every body has the Standard Webhooks shape, ``{"type", "timestamp", "data"}``; `data` always carries
`lead`, `rep`, `offer`, `rule`, `reasons` and `sla` (null or empty where the event has none), plus what
is particular to the event (`by`, `end_reason`, `escalation`, `outcome`). docs/webhooks.md shows one
body of each type. The facts are read in the transition's own transaction, as it left them: a body
says what was true when the change committed, not when the receiver got it.

The event key names one event (not one delivery): it is the same for every endpoint and every retry,
so `webhook-id` lets a receiver drop a repeat, and the outbox's dedup key (event key + endpoint)
queues each event once per endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from routing import RoutingConfig
from storage.events import (
    Event,
    LeadAssigned,
    LeadEscalated,
    LeadReassigned,
    LeadReceived,
    OfferClaimed,
    OfferExpired,
    OutcomeRecorded,
)
from storage.rows import offer as offer_from_row
from storage.tables import leads, offers

Json = dict[str, Any]

# Built once: they run in every transition that queues a webhook, and building a statement costs about
# as much as SQLite running it (see `storage.writes`).
_LEAD = select(leads).where(leads.c.id == bindparam("lead_id"))
_OFFER = select(offers).where(offers.c.id == bindparam("offer_id"))
_LATEST_OFFER = (
    select(offers.c.id).where(offers.c.lead_id == bindparam("lead_id")).order_by(offers.c.id.desc()).limit(1)
)
_CURRENT_OFFER = select(leads.c.offer_id).where(leads.c.id == bindparam("lead_id"))

# Which event each webhook type reports (the names are `routing.config.WEBHOOK_EVENTS`).
EVENT_TYPES: dict[type[Event], str] = {
    LeadReceived: "lead.received",
    LeadAssigned: "lead.assigned",
    OfferClaimed: "lead.claimed",
    LeadReassigned: "lead.reassigned",
    OfferExpired: "lead.expired",
    LeadEscalated: "lead.escalated",
    OutcomeRecorded: "lead.outcome",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One event as every endpoint subscribed to `type` receives it."""

    type: str  # a `routing.config.WEBHOOK_EVENTS` name
    key: str  # names the event once: `lead.claimed:offer:7`
    lead_id: int
    offer_id: int | None
    body: Json


def message(conn: Connection, config: RoutingConfig, event: Event) -> Message | None:
    """The webhook message `event` implies, read from what its transaction wrote; None for an event no
    webhook carries (a reminder, a rep's settings, …)."""
    which: str  # with the type, names the event once
    offer_id: int | None = None  # the offer the event is about: its rule, reasons and SLA
    rep_id: str | None = None
    particular: Json = {}
    match event:
        case LeadReceived():
            which = f"lead:{event.lead_id}"
        case LeadAssigned():
            which, offer_id, rep_id = f"offer:{event.offer_id}", event.offer_id, event.rep_id
            particular = {"by": event.by, "fallback": event.fallback}
        case OfferClaimed():
            which = f"offer:{event.offer_id}" if event.offer_id is not None else f"lead:{event.lead_id}:{_at(event.at)}"
            offer_id, rep_id, particular = event.offer_id, event.owner, {"by": event.by}
        case LeadReassigned():
            which, offer_id, rep_id = f"offer:{event.offer_id}", event.offer_id, event.rep_id
            particular = {"by": event.by, "end_reason": event.end_reason}
        case OfferExpired():
            which, offer_id, rep_id = f"offer:{event.offer_id}", event.offer_id, event.rep_id
            particular = {"by": "leadrelay"}
        case LeadEscalated():
            which = f"lead:{event.lead_id}:{_at(event.at)}:{event.level}:{event.ping}"
            offer_id = _latest_offer(conn, event.lead_id)
            escalation = {
                "state": event.state,
                "team": event.team_id,
                "level": event.level,
                "ping": event.ping,
                "manager": _person(config, event.manager),
                "next_ping_at": _iso(event.next_ping_at),
            }
            particular = {"by": event.by, "escalation": escalation}
        case OutcomeRecorded():
            which = f"lead:{event.lead_id}:{event.state}:{_at(event.occurred_at)}:{_at(event.at)}"
            offer_id, rep_id = _owned_offer(conn, event.lead_id), event.rep_id
            outcome = {
                "state": event.state,
                "current": event.current,
                "occurred_at": _iso(event.occurred_at),
                "amount": event.amount,
                "source": event.source,
            }
            particular = {"by": event.by, "outcome": outcome}
        case _:
            return None
    type_ = EVENT_TYPES[type(event)]
    return _message(conn, config, event, type_, which, offer_id=offer_id, rep_id=rep_id, **particular)


def _message(
    conn: Connection,
    config: RoutingConfig,
    event: Event,
    type_: str,
    which: str,
    *,
    offer_id: int | None,
    rep_id: str | None = None,
    **particular: Any,
) -> Message:
    lead_id: int = getattr(event, "lead_id")  # noqa: B009 - every event a webhook carries is about a lead
    offer_row = conn.execute(_OFFER, {"offer_id": offer_id}).one() if offer_id is not None else None
    offer = offer_from_row(offer_row) if offer_row is not None else None
    data: Json = {
        "lead": _lead(conn, lead_id),
        "rep": _person(config, rep_id),
        "offer": None,
        "rule": None,
        "reasons": [],
        "sla": None,
    }
    if offer is not None:
        data["offer"] = {
            "id": offer.id,
            "attempt": offer.attempt,
            "rep": offer.rep_id,
            "state": offer.state.value,
            "end_reason": offer.end_reason.value if offer.end_reason else None,
            "pool": offer.pool,
            "strategy": offer.strategy,
            "fallback": offer.fallback,
            "summary": offer.summary,
            "offered_by": offer.offered_by,
            "assigned_at": _iso(offer.assigned_at),
            "claimed_at": _iso(offer.claimed_at),
            "claimed_by": offer.claimed_by,
        }
        data["rule"] = offer.rule
        data["reasons"] = [{"code": reason.code, "text": reason.text} for reason in offer.reasons]
        data["sla"] = {"policy": offer.sla, "due_at": _iso(offer.due_at), "remind_at": _iso(offer.remind_at)}
    data.update(particular)
    body = {"type": type_, "timestamp": _iso(event.at), "data": data}
    return Message(type=type_, key=f"{type_}:{which}", lead_id=lead_id, offer_id=offer_id, body=body)


def _lead(conn: Connection, lead_id: int) -> Json:
    """The lead as the transaction left it: where it stands, and the contact as intake validated it."""
    row = conn.execute(_LEAD, {"lead_id": lead_id}).one()
    return {
        "id": row.id,
        "source": row.source,
        "external_id": row.external_id,
        "state": row.state,
        "team": row.team_id,
        "owner": row.claimed_by,
        "attempts": row.attempts,
        "received_at": _iso(row.received_at),
        "assigned_at": _iso(row.assigned_at),
        "claimed_at": _iso(row.claimed_at),
        "contact": dict(row.contact),
    }


def _person(config: RoutingConfig, person_id: str | None) -> Json | None:
    """A rep or manager as the config names them; a person no longer in the config keeps their id."""
    if person_id is None:
        return None
    person = config.reps.get(person_id) or config.managers.get(person_id)
    return {
        "id": person_id,
        "name": person.name if person else None,
        "email": person.email if person else None,
        "slack_id": person.slack_id if person else None,
    }


def _latest_offer(conn: Connection, lead_id: int) -> int | None:
    """The lead's most recent offer: the decision an escalation follows."""
    return conn.execute(_LATEST_OFFER, {"lead_id": lead_id}).scalar_one_or_none()


def _owned_offer(conn: Connection, lead_id: int) -> int | None:
    """The offer the lead's owner holds, if any (a manager who took it holds none), else its latest."""
    current = conn.execute(_CURRENT_OFFER, {"lead_id": lead_id}).scalar_one_or_none()
    return current if current is not None else _latest_offer(conn, lead_id)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _at(moment: datetime) -> str:
    """A compact, exact moment for a key, where an event has no id of its own: a lead is not taken or
    escalated twice at the same level in one instant."""
    return moment.strftime("%Y%m%dT%H%M%S.%f")
