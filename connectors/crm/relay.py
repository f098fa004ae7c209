"""The owner relay: one owner write-back row for the CRM per claim (and per assignment, if configured).

It runs inside each transition's transaction (`storage.relays`), so the write is queued with the claim
it reports or not at all: a crash never loses it, and the dedup key (the offer and the transition)
queues it once however often the transition is retried. The row's payload is everything the transport
needs, frozen at commit: who the owner is (a config person id; their CRM user is resolved at delivery,
so a rep added to the CRM later still gets their leads written), how to find the lead's CRM record,
and the rule and reason for the configured properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from routing import RoutingConfig
from routing.config import Crm
from storage.events import Event, LeadAssigned, OfferClaimed
from storage.messages import Row, row
from storage.model import Transport
from storage.tables import leads, offers

OWNER_WRITE = "crm.owner"  # the outbox row's kind

_LEAD = select(leads.c.source, leads.c.external_id, leads.c.contact).where(leads.c.id == bindparam("lead_id"))
_OFFER = select(offers.c.rule, offers.c.summary).where(offers.c.id == bindparam("offer_id"))


class OwnerRelay:
    """Satisfies `storage.relays.Relay` for the configured CRM."""

    def __init__(self, config: RoutingConfig, crm: Crm) -> None:
        self.config, self.crm = config, crm

    def rows(self, conn: Connection, event: Event) -> Sequence[Row]:
        """The owner write `event` implies: one for a claim (or a configured assignment), none otherwise.
        Reads what the transition wrote and writes nothing."""
        match event:
            case OfferClaimed() if "claimed" in self.crm.write_owner_on:
                owner, offer_id, on, by = event.owner, event.offer_id, "claimed", event.by
            case LeadAssigned() if "assigned" in self.crm.write_owner_on:
                owner, offer_id, on, by = event.rep_id, event.offer_id, "assigned", event.by
            case _:
                return []
        lead = conn.execute(_LEAD, {"lead_id": event.lead_id}).one()
        if offer_id is not None:
            which = f"offer:{offer_id}"
            rule, reason = conn.execute(_OFFER, {"offer_id": offer_id}).one()
        else:  # a manager took it: no offer, no rule
            which, rule, reason = f"lead:{event.lead_id}:{_at(event)}", None, f"taken by {self.config.person_name(by)}"
        contact: dict[str, Any] = dict(lead.contact)
        payload = {
            "lead_id": event.lead_id,
            "owner": owner,
            "on": on,
            # The lead's own record when it came from this CRM; else it is found by email, or created.
            "record_id": lead.external_id if lead.source == self.crm.kind else None,
            "email": contact.get("email"),
            "lead": contact,
            "fields": self._fields(rule, reason),
        }
        key = f"crm:{self.crm.kind}:{which}:{on}"
        return [row(OWNER_WRITE, owner, payload, key, event.lead_id, offer_id, transport=Transport.CRM)]

    def _fields(self, rule: str | None, reason: str | None) -> dict[str, str]:
        """The configured properties, named as the CRM names them, with what this write says."""
        fields = {}
        if self.crm.rule_property:
            fields[self.crm.rule_property] = rule or ""  # a take has no rule: clear the last owner's
        if self.crm.reason_property and reason:
            fields[self.crm.reason_property] = reason
        return fields


def _at(event: Event) -> str:
    """A manager's take has no offer of its own: the moment names it (nobody takes a lead twice at once)."""
    return event.at.strftime("%Y%m%dT%H%M%S.%f")
