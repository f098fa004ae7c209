"""HubSpot through its official client (`hubspot-api-client`): the `CrmApi` Leadrelay writes owners to
and reads deal outcomes from. Synchronous, as the client is; `connectors.crm.transport` runs each call
in a worker thread. Every failure is read into a `CrmError` by `connectors.hubspot.errors`.

    find_user       GET  /crm/v3/owners?email=…             the owner whose email it is (active only)
    write_owner     PATCH /crm/v3/objects/contacts/{id}     by the lead's HubSpot id; else
                    POST /crm/v3/objects/contacts/search    by email (EQ); else
                    POST /crm/v3/objects/contacts           created (a 409 names the contact that
                                                            exists already: that one is updated)
    read_outcomes   deals by stage, or contacts by a property, modified since the cursor
                    (`connectors.hubspot.outcomes`)
    check           POST /oauth/v2/private-apps/get/access-token-info     the token's scopes

The base URL is `host` (`HUBSPOT_API_URL`, default https://api.hubapi.com), so tests and the demo
point the real client at `standin.hubspot`. The client's own retries are off: the outbox dispatcher
and the poll own every retry, so each attempt is counted and honours HubSpot's waits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import requests
from hubspot import HubSpot
from hubspot.crm.contacts import Filter as ContactFilter
from hubspot.crm.contacts import FilterGroup as ContactFilterGroup
from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearch
from hubspot.crm.contacts import (
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from urllib3.util.retry import Retry

from connectors.crm.api import CrmUnavailable, OutcomePage, OwnerWrite
from connectors.delivery import CALL_TIMEOUT
from connectors.hubspot.errors import RecordExists, RecordGone, guarded, read_error
from connectors.hubspot.outcomes import OutcomeReader, millis
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
    """Satisfies `connectors.crm.api.CrmApi`. `stages`: deal stage id (or `outcome_property` value of
    `outcome_object` records) → outcome, the config's `crm.outcomes`; `account_tz`: the account's zone,
    for when a daily limit resets (the API does not say; HubSpot accounts default to US Eastern); `now`:
    the clock for the first cursor."""

    name = "hubspot"

    def __init__(
        self,
        token: str,
        *,
        host: str | None = None,
        stages: Mapping[str, str] | None = None,
        outcome_object: str = "deals",
        outcome_property: str | None = None,
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
        self.outcomes = OutcomeReader(
            self.client,
            self._guard,
            values=self.stages,
            object_type=outcome_object,
            prop=outcome_property,
            timeout=timeout,
            now=now,
        )
        self.reads = DEALS_READ if outcome_object == "deals" else CONTACTS_READ

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
            return OutcomePage(outcomes=(), cursor=str(millis(self.now())))
        return self.outcomes.read(cursor)

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
        needed = [CONTACTS_READ, CONTACTS_WRITE, OWNERS_READ] + ([self.reads] if self.stages else [])
        needed = list(dict.fromkeys(needed))
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
