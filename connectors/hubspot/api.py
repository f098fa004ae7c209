"""HubSpot through its official client (`hubspot-api-client`): the `CrmApi` Leadrelay writes owners to
and reads deal outcomes from. Synchronous, as the client is; `connectors.crm.transport` runs each call
in a worker thread. Every failure is read into a `CrmError` by `connectors.hubspot.errors`.

    find_user       GET  /crm/v3/owners?email=…             the owner whose email it is (active only)
    write_owner     PATCH /crm/v3/objects/contacts/{id}     by the lead's HubSpot id; else
                    POST /crm/v3/objects/contacts/search    by email (EQ); else
                    POST /crm/v3/objects/contacts           created (a 409 names the contact that
                                                            exists already: that one is updated)
    read_outcomes   POST /crm/v3/objects/deals/search       deals in a mapped stage modified since
                                                            the cursor, oldest first, then their
                    POST /crm/v4/associations/deals/contacts/batch/read   contacts and
                    POST /crm/v3/objects/contacts/batch/read             those contacts' emails
    check           POST /oauth/v2/private-apps/get/access-token-info     the token's scopes

The base URL is `host` (`HUBSPOT_API_URL`, default https://api.hubapi.com), so tests and the demo
point the real client at `standin.hubspot`. The client's own retries are off: the outbox dispatcher
and the poll own every retry, so each attempt is counted and honours HubSpot's waits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.contacts import (
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts import Filter as ContactFilter
from hubspot.crm.contacts import FilterGroup as ContactFilterGroup
from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearch
from hubspot.crm.deals import Filter as DealFilter
from hubspot.crm.deals import FilterGroup as DealFilterGroup
from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch
from urllib3.util.retry import Retry

from connectors.crm.api import CrmOutcome, CrmUnavailable, OutcomePage, OwnerWrite
from connectors.delivery import CALL_TIMEOUT
from connectors.hubspot.errors import RecordExists, RecordGone, guarded, read_error
from storage.model import OutcomeState

_T = TypeVar("_T")

DEFAULT_URL = "https://api.hubapi.com"
PAGE = 100  # HubSpot's largest search page
OWNER = "hubspot_owner_id"
CONTACTS_WRITE, CONTACTS_READ = "crm.objects.contacts.write", "crm.objects.contacts.read"
OWNERS_READ, DEALS_READ = "crm.objects.owners.read", "crm.objects.deals.read"
# A lead's fields (as intake stores them) and the contact properties they become when one is created.
CONTACT_PROPERTIES = {
    "email": "email",
    "first_name": "firstname",
    "last_name": "lastname",
    "company": "company",
    "phone": "phone",
    "title": "jobtitle",
    "domain": "website",
    "country": "country",
    "industry": "industry",
}


class HubSpotApi:
    """Satisfies `connectors.crm.api.CrmApi`. `stages`: deal stage id → outcome (the config's
    `crm.outcomes.stages`); `account_tz`: the account's zone, for when a daily limit resets (the API does
    not say; HubSpot accounts default to US Eastern); `now`: the clock for the first cursor."""

    name = "hubspot"

    def __init__(
        self,
        token: str,
        *,
        host: str | None = None,
        stages: Mapping[str, str] | None = None,
        account_tz: str = "America/New_York",
        timeout: float = CALL_TIMEOUT,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.host = (host or DEFAULT_URL).rstrip("/")
        self.token, self.timeout, self.now = token, timeout, now
        self.stages = {
            stage: OutcomeState(state)
            for stage, state in (stages or {"closedwon": "won", "closedlost": "lost"}).items()
        }
        self.account_tz = ZoneInfo(account_tz)
        self.client = HubSpot(
            access_token=token, host=self.host, retry=Retry(total=0, redirect=0, raise_on_status=False)
        )

    def find_user(self, email: str) -> str | None:
        page = self._guard(
            lambda: self.client.crm.owners.owners_api.get_page(
                email=email, archived=False, limit=1, _request_timeout=self.timeout
            ),
            OWNERS_READ,
        )
        found = [owner for owner in page.results if (owner.email or "").lower() == email.lower()]
        return str(found[0].id) if found else None

    def write_owner(self, write: OwnerWrite) -> str:
        properties = {**write.fields, OWNER: write.owner_id}
        if write.record_id and self._update(write.record_id, properties):
            return write.record_id
        existing = self._contact_by_email(write.email) if write.email else None
        if existing is not None and self._update(existing, properties):
            return existing
        return self._create(write, properties)

    def read_outcomes(self, cursor: str | None) -> OutcomePage:
        if cursor is None:  # the first poll: from now on, not the account's whole history
            return OutcomePage(outcomes=(), cursor=str(_millis(self.now())))
        if not self.stages:  # no stage is mapped to an outcome: there is nothing to read
            return OutcomePage(outcomes=(), cursor=cursor)
        entered = [f"hs_date_entered_{stage}" for stage in self.stages]
        search = DealSearch(
            filter_groups=[
                DealFilterGroup(
                    filters=[
                        # GTE, not GT: a deal modified in the same millisecond as the last one read is not
                        # skipped; reading the last one again records nothing (outcomes are idempotent).
                        DealFilter(property_name="hs_lastmodifieddate", operator="GTE", value=cursor),
                        DealFilter(property_name="dealstage", operator="IN", values=sorted(self.stages)),
                    ]
                )
            ],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=["dealstage", "amount", "hs_lastmodifieddate", *entered],
            limit=PAGE,
        )
        found = self._guard(
            lambda: self.client.crm.deals.search_api.do_search(search, _request_timeout=self.timeout), DEALS_READ
        )
        deals = list(found.results)
        if not deals:
            return OutcomePage(outcomes=(), cursor=cursor)
        contacts = self._deal_contacts([str(deal.id) for deal in deals])
        emails = self._emails(sorted({contact for ids in contacts.values() for contact in ids}))
        outcomes = []
        for deal in deals:
            properties = deal.properties or {}
            stage = properties.get("dealstage")
            if stage not in self.stages:
                continue
            occurred = _when(properties.get(f"hs_date_entered_{stage}")) or _when(properties.get("hs_lastmodifieddate"))
            amount = _amount(properties.get("amount"))
            for contact in contacts.get(str(deal.id), ()):
                outcomes.append(
                    CrmOutcome(
                        record_id=contact,
                        email=emails.get(contact),
                        state=self.stages[stage],
                        occurred_at=occurred or self.now(),
                        amount=amount,
                    )
                )
        last = _when(deals[-1].properties.get("hs_lastmodifieddate"))
        next_cursor = str(_millis(last)) if last is not None else cursor
        more = found.paging is not None and found.paging.next is not None and next_cursor != cursor
        return OutcomePage(outcomes=outcomes, cursor=next_cursor, more=more)

    def check(self) -> Sequence[str]:
        """The token's scopes, from HubSpot's private-app token info, against what Leadrelay needs."""
        try:
            response = requests.post(
                f"{self.host}/oauth/v2/private-apps/get/access-token-info",
                json={"tokenKey": self.token},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise CrmUnavailable(f"HubSpot cannot be reached: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise read_error(
                response.status_code,
                response.headers,
                response.text,
                scope=OWNERS_READ,
                now=self.now(),
                account_tz=self.account_tz,
            )
        granted = set(response.json().get("scopes") or [])
        needed = [CONTACTS_READ, CONTACTS_WRITE, OWNERS_READ] + ([DEALS_READ] if self.stages else [])
        return [f"the token lacks the scope {scope}" for scope in needed if scope not in granted]

    def _guard(self, fn: Callable[[], _T], scope: str) -> _T:
        return guarded(fn, scope=scope, now=self.now(), account_tz=self.account_tz)

    def _update(self, contact_id: str, properties: Mapping[str, str]) -> bool:
        """PATCH the contact; False if it is gone (deleted or merged away), so it is found another way."""
        try:
            self._guard(
                lambda: self.client.crm.contacts.basic_api.update(
                    contact_id, SimplePublicObjectInput(properties=dict(properties)), _request_timeout=self.timeout
                ),
                CONTACTS_WRITE,
            )
        except RecordGone:
            return False
        return True

    def _contact_by_email(self, email: str) -> str | None:
        search = ContactSearch(
            filter_groups=[
                ContactFilterGroup(filters=[ContactFilter(property_name="email", operator="EQ", value=email)])
            ],
            properties=["email"],
            limit=1,
        )
        found = self._guard(
            lambda: self.client.crm.contacts.search_api.do_search(search, _request_timeout=self.timeout), CONTACTS_READ
        )
        return str(found.results[0].id) if found.results else None

    def _create(self, write: OwnerWrite, properties: Mapping[str, str]) -> str:
        lead = {
            CONTACT_PROPERTIES[key]: str(value)
            for key, value in write.lead.items()
            if key in CONTACT_PROPERTIES and value
        }
        body = SimplePublicObjectInputForCreate(properties={**lead, **properties}, associations=[])
        try:
            created = self._guard(
                lambda: self.client.crm.contacts.basic_api.create(body, _request_timeout=self.timeout), CONTACTS_WRITE
            )
        except RecordExists as exc:
            # Search is indexed a few seconds behind writes: a contact created by an earlier attempt (or by
            # someone else) may not be found yet, and HubSpot's 409 names it. Update that one.
            if exc.existing_id is None or not self._update(exc.existing_id, properties):
                raise
            return exc.existing_id
        return str(created.id)

    def _deal_contacts(self, deal_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each deal's associated contacts."""
        batch = BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=deal_id) for deal_id in deal_ids]
        )
        found = self._guard(
            lambda: self.client.crm.associations.v4.batch_api.get_page(
                "deals", "contacts", batch, _request_timeout=self.timeout
            ),
            DEALS_READ,
        )
        return {str(result._from.id): [str(to.to_object_id) for to in result.to] for result in found.results}

    def _emails(self, contact_ids: Sequence[str]) -> dict[str, str]:
        if not contact_ids:
            return {}
        batch = BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=contact_id) for contact_id in contact_ids],
            properties=["email"],
            properties_with_history=[],
        )
        found = self._guard(
            lambda: self.client.crm.contacts.batch_api.read(batch, _request_timeout=self.timeout), CONTACTS_READ
        )
        return {
            str(contact.id): contact.properties["email"]
            for contact in found.results
            if (contact.properties or {}).get("email")
        }


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


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
