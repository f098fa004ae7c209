"""A HubSpot stand-in on 127.0.0.1, for the tests and ``leadrelay demo``: the part of HubSpot's v3 API
that Leadrelay's HubSpot connector calls, with HubSpot's documented shapes and errors, so the official
``hubspot-api-client`` runs against it unchanged (point ``HUBSPOT_API_URL`` at ``url``).

    GET   /crm/v3/owners                          paged; ``email`` filters
    POST  /crm/v3/objects/contacts/search         ``EQ`` filters, ``limit``
    POST  /crm/v3/objects/contacts                create; 409 when the email exists ("Existing ID: …")
    PATCH /crm/v3/objects/contacts/{id}           update; 404 when there is no such contact
    POST  /crm/v3/objects/contacts/batch/read     by ids
    POST  /crm/v3/objects/deals/search            ``GT``/``GTE``/``EQ``/``IN`` filters, sorts, paging
    POST  /crm/v4/associations/deals/contacts/batch/read
    POST  /oauth/v2/private-apps/get/access-token-info

Every call needs ``Authorization: Bearer <token>`` (401 otherwise) and its scope (403
``MISSING_SCOPES`` naming it). Errors have HubSpot's body: ``{"status": "error", "message",
"correlationId", "category", …}``. Faults to inject: ``fail(status, retry_after=…, times=…)`` answers
the next calls with that status (a 429 says ``policyName``), ``lose_answers(times)`` applies the next
writes and answers 502 (as when the answer is lost on the way back), ``revoke_token()`` makes every
call 401, ``revoke_scope(name)`` takes a scope away; ``recover()`` ends them all. Every contact
owner change is kept in ``owner_changes``, so a test can say an owner was written exactly once.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from standin.loopback import Loopback

Json = dict[str, Any]

ALL_SCOPES = frozenset(
    {"crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.owners.read", "crm.objects.deals.read"}
)
_CONTACT_TO_DEAL = 3  # HubSpot's association type id for deal → contact


@dataclass(slots=True)
class _Fault:
    status: int
    retry_after: str | None
    times: int | None  # None: until `recover`
    policy: str = "TEN_SECONDLY_ROLLING"
    after_applying: bool = False


@dataclass(slots=True)
class HubSpotStandin(Loopback):
    """HubSpot for one account, accepting `token`. `now`: the account's clock (records' timestamps)."""

    token: str = "pat-na1-standin"
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    scopes: set[str] = field(default_factory=lambda: set(ALL_SCOPES))
    owners: dict[str, Json] = field(default_factory=dict)
    contacts: dict[str, Json] = field(default_factory=dict)
    deals: dict[str, Json] = field(default_factory=dict)
    deal_contacts: dict[str, list[str]] = field(default_factory=dict)
    owner_changes: list[tuple[str, str]] = field(default_factory=list)  # (contact id, owner id), in order
    history: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)  # id: property: (value, at)
    calls: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    _fault: _Fault | None = None
    _revoked: bool = False
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(501))
    _runner: web.AppRunner | None = None
    _url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the HubSpot stand-in is not started")
        return self._url

    # -- the account's data ------------------------------------------------------------------------

    def add_owner(self, email: str, *, first_name: str = "", last_name: str = "") -> str:
        owner_id = str(next(self._ids))
        stamp = _iso(self.now())
        self.owners[owner_id] = {
            "id": owner_id,
            "email": email,
            "type": "PERSON",
            "firstName": first_name,
            "lastName": last_name,
            "userId": int(owner_id) * 10,
            "userIdIncludingInactive": int(owner_id) * 10,
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
            "teams": [],
        }
        return owner_id

    def add_contact(self, **properties: str) -> str:
        return self._create_contact({key: str(value) for key, value in properties.items()})

    def update_contact(self, contact_id: str, **properties: str) -> None:
        """Someone edits the contact in HubSpot now (a lifecycle stage, a lead status)."""
        self._set(self.contacts[contact_id], properties)

    def owner_of(self, contact_id: str) -> str | None:
        owner = self.contacts[contact_id]["properties"].get("hubspot_owner_id")
        return str(owner) if owner is not None else None

    def close_deal(self, contact_id: str, stage: str = "closedwon", *, amount: str | None = None) -> str:
        """A deal for `contact_id` moved to `stage` now (created if the contact has none)."""
        deal_id = next((d for d, ids in self.deal_contacts.items() if contact_id in ids), None)
        stamp = _iso(self.now())
        if deal_id is None:
            deal_id = str(next(self._ids))
            self.deals[deal_id] = _object(deal_id, {"dealname": f"Deal {deal_id}", "createdate": stamp}, stamp)
            self.deal_contacts[deal_id] = [contact_id]
        deal = self.deals[deal_id]
        deal["properties"].update({"dealstage": stage, f"hs_date_entered_{stage}": stamp})
        if amount is not None:
            deal["properties"]["amount"] = amount
        _touch(deal, stamp)
        return deal_id

    # -- faults ------------------------------------------------------------------------------------

    def fail(self, status: int, *, retry_after: str | None = None, times: int | None = None, policy: str = "") -> None:
        """Answer the next `times` calls (every call until `recover`, if None) with `status`."""
        self._fault = _Fault(status, retry_after, times, policy or "TEN_SECONDLY_ROLLING")

    def lose_answers(self, times: int = 1) -> None:
        """Apply the next `times` writes (contact updates and creates), then answer 502: the write landed,
        the caller never heard. Reads go through untouched."""
        self._fault = _Fault(502, None, times, after_applying=True)

    def revoke_token(self) -> None:
        self._revoked = True

    def revoke_scope(self, scope: str) -> None:
        self.scopes.discard(scope)

    def recover(self) -> None:
        self._fault, self._revoked = None, False
        self.scopes |= ALL_SCOPES

    # -- serving -----------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._gate])
        routes = [
            web.get("/crm/v3/owners", self._owners),
            web.get("/crm/v3/owners/", self._owners),
            web.post("/crm/v3/objects/contacts/search", self._search_contacts),
            web.post("/crm/v3/objects/contacts/batch/read", self._read_contacts),
            web.post("/crm/v3/objects/contacts", self._create),
            web.patch("/crm/v3/objects/contacts/{id}", self._update),
            web.post("/crm/v3/objects/deals/search", self._search_deals),
            web.post("/crm/v4/associations/deals/contacts/batch/read", self._deal_associations),
            web.post("/oauth/v2/private-apps/get/access-token-info", self._token_info),
        ]
        app.add_routes(routes)
        self._url = f"http://127.0.0.1:{await self.serve(app)}"

    @web.middleware
    async def _gate(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """Authentication, scopes and injected faults, before any handler; every call is logged."""
        response = await self._answer(request, handler)
        self.calls.append((request.method, request.path, response.status))
        return response

    async def _answer(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path.startswith("/oauth/"):
            body = await request.json()
            if self._revoked or body.get("tokenKey") != self.token:
                return _error(401, "The access token is invalid or expired.", "INVALID_AUTHENTICATION")
            return await handler(request)  # type: ignore[no-any-return]
        if self._revoked or request.headers.get("Authorization") != f"Bearer {self.token}":
            message = "Authentication credentials not found. This API supports OAuth 2.0 authentication."
            return _error(401, message, "INVALID_AUTHENTICATION")
        needed = _scope(request)
        if needed not in self.scopes:
            return _missing_scope(needed)
        fault = self._fault
        if fault is None or (fault.after_applying and not _is_write(request)):
            return await handler(request)  # type: ignore[no-any-return]
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._fault = None
        if fault.after_applying:
            await handler(request)
            return _error(502, "Bad gateway", "BAD_GATEWAY")
        if fault.status == 429:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            limit = "daily" if fault.policy == "DAILY" else "secondly"
            return _error(
                429,
                f"You have reached your {limit} limit.",
                "RATE_LIMITS",
                headers=headers,
                errorType="RATE_LIMIT",
                policyName=fault.policy,
            )
        if fault.status == 401:
            return _error(401, "The OAuth token used to make this call expired.", "EXPIRED_AUTHENTICATION")
        if fault.status == 403:
            return _missing_scope(needed)
        return _error(fault.status, "An internal error occurred.", "INTERNAL_ERROR")

    async def _owners(self, request: web.Request) -> web.Response:
        email = request.query.get("email")
        found = [o for o in self.owners.values() if email is None or o["email"].lower() == email.lower()]
        limit = int(request.query.get("limit", "100"))
        after = int(request.query.get("after", "0"))
        page: Json = {"results": found[after : after + limit]}
        if after + limit < len(found):
            page["paging"] = {"next": {"after": str(after + limit), "link": f"{self.url}/crm/v3/owners?after={after}"}}
        return web.json_response(page)

    async def _search_contacts(self, request: web.Request) -> web.Response:
        return web.json_response(_search(self.contacts, await request.json(), ["email", "firstname", "lastname"]))

    async def _read_contacts(self, request: web.Request) -> web.Response:
        """By id, with `properties` and `propertiesWithHistory` (newest first), as HubSpot answers."""
        body = await request.json()
        wanted = set(body.get("properties") or ["email", "firstname", "lastname"]) | {"hs_object_id"}
        found = []
        for contact_id in [i.get("id") for i in body.get("inputs") or [] if i.get("id") in self.contacts]:
            contact = self.contacts[contact_id]
            read = {**contact, "properties": {k: v for k, v in contact["properties"].items() if k in wanted}}
            if body.get("propertiesWithHistory"):
                past = self.history.get(contact_id, {})
                read["propertiesWithHistory"] = {
                    name: [
                        {"value": value, "timestamp": stamp, "sourceType": "CRM_UI", "sourceId": None}
                        for value, stamp in reversed(past.get(name, []))
                    ]
                    for name in body["propertiesWithHistory"]
                }
            found.append(read)
        return web.json_response(_batch(found, self.now()))

    async def _create(self, request: web.Request) -> web.Response:
        properties = {key: str(value) for key, value in ((await request.json()).get("properties") or {}).items()}
        email = properties.get("email", "").lower()
        existing = next(
            (c["id"] for c in self.contacts.values() if email and c["properties"].get("email") == email), None
        )
        if existing is not None:
            return _error(409, f"Contact already exists. Existing ID: {existing}", "CONFLICT")
        contact_id = self._create_contact(properties)
        return web.json_response(self.contacts[contact_id], status=201)

    async def _update(self, request: web.Request) -> web.Response:
        contact = self.contacts.get(request.match_info["id"])
        if contact is None:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        properties = {key: str(value) for key, value in ((await request.json()).get("properties") or {}).items()}
        self._set(contact, properties)
        return web.json_response(contact)

    async def _search_deals(self, request: web.Request) -> web.Response:
        return web.json_response(_search(self.deals, await request.json(), ["dealname", "amount", "dealstage"]))

    async def _deal_associations(self, request: web.Request) -> web.Response:
        body = await request.json()
        results = [
            {
                "from": {"id": item["id"]},
                "to": [
                    {
                        "toObjectId": contact,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": _CONTACT_TO_DEAL, "label": None}
                        ],
                    }
                    for contact in self.deal_contacts.get(item["id"], [])
                ],
            }
            for item in body.get("inputs") or []
            if item.get("id") in self.deals
        ]
        return web.json_response(_batch(results, self.now()))

    async def _token_info(self, _request: web.Request) -> web.Response:
        return web.json_response({"userId": 1, "hubId": 62515, "appId": 7, "scopes": sorted(self.scopes)})

    def _create_contact(self, properties: dict[str, str]) -> str:
        contact_id = str(next(self._ids))
        stamp = _iso(self.now())
        if "email" in properties:
            properties["email"] = properties["email"].lower()
        self.contacts[contact_id] = _object(contact_id, {"createdate": stamp}, stamp)
        self._set(self.contacts[contact_id], properties)
        return contact_id

    def _set(self, record: Json, properties: dict[str, str]) -> None:
        owner = properties.get("hubspot_owner_id")
        if owner is not None and owner != record["properties"].get("hubspot_owner_id"):
            self.owner_changes.append((record["id"], owner))
        stamp = _iso(self.now())
        past = self.history.setdefault(record["id"], {})
        for name, value in properties.items():
            if record["properties"].get(name) != value:
                past.setdefault(name, []).append((value, stamp))
        record["properties"].update(properties)
        _touch(record, stamp)


def _search(records: dict[str, Json], body: Json, default_properties: list[str]) -> Json:
    """HubSpot's search: filter groups, sorts, `limit` and `after` paging, the `properties` asked for."""
    found = [r for r in records.values() if _matches(r["properties"], body.get("filterGroups") or [])]
    for sort in reversed(body.get("sorts") or []):
        found.sort(key=_by(sort["propertyName"]), reverse=sort.get("direction") == "DESCENDING")
    after, limit = int(body.get("after") or 0), int(body.get("limit") or 10)
    wanted = set(body.get("properties") or default_properties) | {"hs_object_id"}
    page: Json = {
        "total": len(found),
        "results": [
            {**r, "properties": {k: v for k, v in r["properties"].items() if k in wanted}}
            for r in found[after : after + limit]
        ],
    }
    if after + limit < len(found):
        page["paging"] = {"next": {"after": str(after + limit), "link": ""}}
    return page


def _object(record_id: str, properties: Json, stamp: str) -> Json:
    return {
        "id": record_id,
        "properties": {**properties, "hs_object_id": record_id, "hs_lastmodifieddate": stamp},
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }


def _touch(record: Json, stamp: str) -> None:
    record["updatedAt"] = stamp
    record["properties"]["hs_lastmodifieddate"] = stamp
    record["properties"]["lastmodifieddate"] = stamp


def _batch(results: list[Json], now: datetime) -> Json:
    return {"status": "COMPLETE", "results": results, "startedAt": _iso(now), "completedAt": _iso(now)}


def _is_write(request: web.Request) -> bool:
    return request.method == "PATCH" or request.path == "/crm/v3/objects/contacts"


def _scope(request: web.Request) -> str:
    path = request.path
    if path.startswith("/crm/v3/owners"):
        return "crm.objects.owners.read"
    if "/deals" in path:
        return "crm.objects.deals.read"
    if _is_write(request):
        return "crm.objects.contacts.write"
    return "crm.objects.contacts.read"


def _matches(properties: Json, groups: list[Json]) -> bool:
    """HubSpot's filter groups: any group matches when all its filters do."""
    if not groups:
        return True
    return any(all(_holds(properties, f) for f in group.get("filters") or []) for group in groups)


def _holds(properties: Json, spec: Json) -> bool:
    value = properties.get(spec["propertyName"])
    operator = spec["operator"]
    if operator == "IN":
        return value in (spec.get("values") or [])
    if value is None:
        return False
    wanted = spec.get("value")
    if operator == "EQ":
        return str(value).lower() == str(wanted).lower()
    mine, theirs = _comparable(value), _comparable(wanted)
    return {"GT": mine > theirs, "GTE": mine >= theirs, "LT": mine < theirs, "LTE": mine <= theirs}[operator]


def _by(name: str) -> Callable[[Json], float]:
    return lambda record: _comparable(record["properties"].get(name))


def _comparable(value: Any) -> float:
    """A datetime property (ISO 8601 or Unix ms) or a number, as a number to compare and sort by."""
    text = str(value or "0")
    if text.replace(".", "", 1).isdigit():
        return float(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(
    status: int, message: str, category: str, *, headers: dict[str, str] | None = None, **more: Any
) -> web.Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **more}
    return web.json_response(body, status=status, headers=headers)


def _missing_scope(scope: str) -> web.Response:
    return _error(
        403,
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: "
        "https://developers.hubspot.com/scopes.",
        "MISSING_SCOPES",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
    )
