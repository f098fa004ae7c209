"""What HubSpot says became of a lead, read from a cursor: deals by their stage (the default), or
contacts by a property such as `lifecyclestage` or `hs_lead_status` (`crm.outcomes.object` and
`property`). Mapped values only (`crm.outcomes.stages`); everything else is not an outcome.

    deals     POST /crm/v3/objects/deals/search            deals in a mapped stage modified since the
                                                           cursor, oldest first; each outcome is of the
              POST /crm/v4/associations/deals/contacts/batch/read   deal's contacts, whose emails
              POST /crm/v3/objects/contacts/batch/read              are read too. When: the deal
                                                           entered the stage (`hs_date_entered_<stage>`)
    contacts  POST /crm/v3/objects/contacts/search         contacts with a mapped value modified since
              POST /crm/v3/objects/contacts/batch/read     the cursor; when: the property took that value
                                                           (its history), so a contact touched later for
                                                           anything else records nothing new

The cursor is the last record's modification time in Unix milliseconds. The search is `GTE`, not `GT`: a
record modified in the same millisecond as the last one read is not skipped, and reading the last one
again records nothing (outcomes are idempotent on lead, state and when).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from hubspot.crm import contacts as contact_models
from hubspot.crm import deals as deal_models
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId, SimplePublicObjectId

from connectors.crm.api import CrmOutcome, OutcomePage
from storage.model import OutcomeState

_T = TypeVar("_T")

PAGE = 100  # HubSpot's largest search page
CONTACTS_READ, DEALS_READ = "crm.objects.contacts.read", "crm.objects.deals.read"


class Guard(Protocol):
    """Runs one client call needing `scope`, reading its failure into a CrmError."""

    def __call__(self, fn: Callable[[], _T], scope: str) -> _T: ...


class OutcomeReader:
    """`read(cursor)` for `HubSpotApi.read_outcomes`. `values`: the mapped stages or property values."""

    def __init__(
        self,
        client: Any,
        guard: Guard,
        *,
        values: Mapping[str, OutcomeState],
        object_type: str = "deals",
        prop: str | None = None,
        timeout: float,
        now: Callable[[], datetime],
    ) -> None:
        self.client, self.guard, self.values, self.timeout, self.now = client, guard, values, timeout, now
        self.object_type = object_type
        self.prop = prop or ("dealstage" if object_type == "deals" else "lifecyclestage")

    def read(self, cursor: str) -> OutcomePage:
        if not self.values:  # nothing is mapped to an outcome: there is nothing to read
            return OutcomePage(outcomes=(), cursor=cursor)
        if self.object_type == "contacts":
            return self._contacts(cursor)
        return self._deals(cursor)

    def _deals(self, cursor: str) -> OutcomePage:
        entered = [f"hs_date_entered_{stage}" for stage in self.values]
        search = self._changed_since(deal_models, cursor, "hs_lastmodifieddate", ["amount", *entered])
        found = self.guard(
            lambda: self.client.crm.deals.search_api.do_search(search, _request_timeout=self.timeout), DEALS_READ
        )
        deals = list(found.results)
        if not deals:
            return OutcomePage(outcomes=(), cursor=cursor)
        contacts = self._deal_contacts([str(deal.id) for deal in deals])
        emails = {
            contact_id: str(properties["email"])
            for contact_id, (properties, _) in self._contacts_by_id(
                sorted({c for ids in contacts.values() for c in ids})
            ).items()
            if properties.get("email")
        }
        outcomes = []
        for deal in deals:
            properties = deal.properties or {}
            stage = str(properties.get(self.prop))
            if stage not in self.values:
                continue
            occurred = _when(properties.get(f"hs_date_entered_{stage}")) or _when(properties.get("hs_lastmodifieddate"))
            for contact in contacts.get(str(deal.id), ()):
                outcomes.append(
                    CrmOutcome(
                        record_id=contact,
                        email=emails.get(contact),
                        state=self.values[stage],
                        occurred_at=occurred or self.now(),
                        amount=_amount(properties.get("amount")),
                    )
                )
        return _page(outcomes, deals, "hs_lastmodifieddate", cursor, found)

    def _contacts(self, cursor: str) -> OutcomePage:
        search = self._changed_since(contact_models, cursor, "lastmodifieddate", ["email"])
        found = self.guard(
            lambda: self.client.crm.contacts.search_api.do_search(search, _request_timeout=self.timeout),
            CONTACTS_READ,
        )
        contacts = list(found.results)
        if not contacts:
            return OutcomePage(outcomes=(), cursor=cursor)
        read = self._contacts_by_id([str(contact.id) for contact in contacts], history=self.prop)
        outcomes = []
        for contact_id, (properties, history) in read.items():
            value = str(properties.get(self.prop))
            if value not in self.values:
                continue
            since = max((at for said, at in history if said == value), default=None)
            outcomes.append(
                CrmOutcome(
                    record_id=contact_id,
                    email=properties.get("email") or None,
                    state=self.values[value],
                    occurred_at=since or _when(properties.get("lastmodifieddate")) or self.now(),
                )
            )
        return _page(outcomes, contacts, "lastmodifieddate", cursor, found)

    def _changed_since(self, models: Any, cursor: str, modified: str, more: list[str]) -> Any:
        """The search (in the object's own client models) for records with a mapped value modified
        since `cursor`, oldest first."""
        filters = [
            models.Filter(property_name=modified, operator="GTE", value=cursor),
            models.Filter(property_name=self.prop, operator="IN", values=sorted(self.values)),
        ]
        return models.PublicObjectSearchRequest(
            filter_groups=[models.FilterGroup(filters=filters)],
            sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
            properties=[self.prop, modified, *more],
            limit=PAGE,
        )

    def _deal_contacts(self, deal_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each deal's associated contacts."""
        batch = BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=deal_id) for deal_id in deal_ids]
        )
        found = self.guard(
            lambda: self.client.crm.associations.v4.batch_api.get_page(
                "deals", "contacts", batch, _request_timeout=self.timeout
            ),
            DEALS_READ,
        )
        return {str(result._from.id): [str(to.to_object_id) for to in result.to] for result in found.results}

    def _contacts_by_id(
        self, contact_ids: Sequence[str], *, history: str | None = None
    ) -> dict[str, tuple[dict[str, Any], list[tuple[str, datetime]]]]:
        """Each contact's properties (email, and `history`'s) and `history`'s past values with when."""
        if not contact_ids:
            return {}
        batch = BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=contact_id) for contact_id in contact_ids],
            properties=["email", "lastmodifieddate", *([history] if history else [])],
            properties_with_history=[history] if history else [],
        )
        found = self.guard(
            lambda: self.client.crm.contacts.batch_api.read(batch, _request_timeout=self.timeout), CONTACTS_READ
        )
        read = {}
        for contact in found.results:
            versions = (contact.properties_with_history or {}).get(history or "", []) if history else []
            past = [(str(v.value), _aware(v.timestamp)) for v in versions if v.timestamp is not None]
            read[str(contact.id)] = (dict(contact.properties or {}), past)
        return read


def _page(outcomes: list[CrmOutcome], records: list[Any], modified: str, cursor: str, found: Any) -> OutcomePage:
    last = _when((records[-1].properties or {}).get(modified))
    next_cursor = str(millis(last)) if last is not None else cursor
    more = found.paging is not None and found.paging.next is not None and next_cursor != cursor
    return OutcomePage(outcomes=outcomes, cursor=next_cursor, more=more)


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _when(value: Any) -> datetime | None:
    """A HubSpot datetime property: ISO 8601 (`2026-12-05T12:00:00.000Z`) or Unix milliseconds."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _amount(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
