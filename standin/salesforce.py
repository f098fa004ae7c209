"""A Salesforce org on 127.0.0.1, for the tests and the demo: the REST API's resources the Salesforce
connector uses, with Salesforce's documented shapes and error bodies (``[{"message", "errorCode",
"fields"}]``).

    GET   /services/data/vNN.0/query?q=…            SOQL, the subset `standin.soql` parses
    GET   /services/data/vNN.0/limits
    GET   /services/data/vNN.0/sobjects/{Lead,User}/describe
    GET   /services/data/vNN.0/sobjects/Lead/{id}
    PATCH /services/data/vNN.0/sobjects/Lead/{id}    204; an assignment rule runs unless Sforce-Auto-Assign: FALSE
    POST  /services/data/vNN.0/sobjects/Lead         201 {"id", "success", "errors"}; LastName and Company required
    POST  /services/oauth2/token                     client_credentials grant (with `client_id` and
                                                     `client_secret` set): a new access token, which
                                                     replaces the one accepted; refusals as
                                                     {"error", "error_description"}

simple-salesforce is synchronous (`requests`), so the org listens on a real port, served from a thread::

    with SalesforceStandin(token="00D…!token", now=clock) as org:
        ada = org.add_user("ada@acme.test")
        lead = org.add_lead(Email="lead@example.test", LastName="Lovelace", Company="Acme")
        org.fail("REQUEST_LIMIT_EXCEEDED", times=1)   # the next call is refused
        org.lose_answers(1)                            # the next write lands, its answer is a 502
        org.expire_session()                           # the access token stops working
        [write.body for write in org.writes]          # every create and update, with its headers

`now` stamps every change (`SystemModstamp`, to the second, as Salesforce does). The people working in
Salesforce are played by `add_lead`, `edit_lead`, `convert_lead` and `close_opportunity`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from standin.soql import SoqlError, parse

Json = Any

LEAD_FIELDS = frozenset(
    [
        "Id",
        "FirstName",
        "LastName",
        "Name",
        "Company",
        "Email",
        "Phone",
        "Title",
        "Country",
        "NumberOfEmployees",
        "Industry",
        "LeadSource",
        "Website",
        "Status",
        "OwnerId",
        "IsConverted",
        "ConvertedOpportunityId",
        "CreatedDate",
        "SystemModstamp",
    ]
)
_READ_ONLY = frozenset(["Id", "Name", "IsConverted", "ConvertedOpportunityId", "CreatedDate", "SystemModstamp"])
_OPPORTUNITY_FIELDS = ("IsWon", "IsClosed", "Amount", "StageName", "SystemModstamp")
USER_FIELDS = frozenset({"Id", "Email", "IsActive", "Name"})

# Each fault as Salesforce sends it: status, errorCode, message.
FAULTS: dict[str, tuple[int, str, str]] = {
    "INVALID_SESSION_ID": (401, "INVALID_SESSION_ID", "Session expired or invalid"),
    "REQUEST_LIMIT_EXCEEDED": (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    "INSUFFICIENT_ACCESS": (403, "INSUFFICIENT_ACCESS", "insufficient access rights on object id"),
    "SERVER_UNAVAILABLE": (503, "SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}


class _AnswerLost(Exception):
    """The write was applied; the caller gets a proxy's 502 instead of Salesforce's answer."""


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: Json = [{"message": message, "errorCode": code, "fields": fields or []}]


class _OAuthRefusal(_Refusal):
    """The token endpoint's refusals, in OAuth's shape rather than the REST API's."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(400, error, description)
        self.body = {"error": error, "error_description": description}


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """One create or update the org accepted: `record_id` (the new Id for a create), the fields sent,
    and the request's headers (names in lower case)."""

    method: str
    record_id: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass(slots=True)
class _Script:
    fault: str
    times: int | None


@dataclass(slots=True)
class SalesforceStandin:
    """An org at `url` accepting the access token `token`. `owner_editable` and `users_readable` play
    the integration user's permissions; `assignment_rule_owner`, a User Id, plays a Lead assignment
    rule that takes every Lead written without `Sforce-Auto-Assign: FALSE`."""

    token: str = "00Dstandin!access-token"
    client_id: str | None = None  # with `client_secret`: the connected app's Client Credentials Flow
    client_secret: str | None = None
    tokens_issued: int = 0
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    owner_editable: bool = True
    users_readable: bool = True
    assignment_rule_owner: str | None = None
    custom_fields: frozenset[str] = frozenset()  # further Lead fields, such as Leadrelay_Rule__c
    api_max: int = 15000
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # "GET /services/data/v59.0/limits", in order
    deleted: set[str] = field(default_factory=set)
    integration_user: str = ""
    answers_to_lose: int = 0  # `lose_answers`
    _script: _Script | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.integration_user = self.add_user("integration@leadrelay.invalid")

    # -- the org as its people change it -----------------------------------------------------------

    @property
    def url(self) -> str:
        """The instance URL, as SALESFORCE_INSTANCE_URL takes it."""
        if self._server is None:
            raise RuntimeError("the Salesforce stand-in is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_user(self, email: str, *, active: bool = True, name: str = "") -> str:
        user_id = self._new_id("005")
        self.users[user_id] = {"Id": user_id, "Email": email, "IsActive": active, "Name": name or email}
        return user_id

    def add_lead(self, **fields: Any) -> str:
        """A Lead made in Salesforce (by a person or a form): owned by the integration user unless
        `OwnerId` says otherwise, status "Open - Not Contacted"."""
        with self._lock:
            lead_id = self._new_id("00Q")
            now = self._now()
            self.leads[lead_id] = {
                **dict.fromkeys(LEAD_FIELDS | self.custom_fields),
                "Status": "Open - Not Contacted",
                "OwnerId": self.integration_user,
                "IsConverted": False,
                **fields,
                "Id": lead_id,
                "CreatedDate": now,
                "SystemModstamp": now,
            }
            return lead_id

    def edit_lead(self, lead_id: str, **fields: Any) -> None:
        with self._lock:
            self.leads[lead_id].update(fields, SystemModstamp=self._now())

    def delete_lead(self, lead_id: str) -> None:
        with self._lock:
            self.deleted.add(lead_id)

    def convert_lead(self, lead_id: str, *, amount: float | None = None) -> str:
        """Convert the Lead with a new, open Opportunity; returns the Opportunity's Id."""
        with self._lock:
            opportunity_id = self._new_id("006")
            now = self._now()
            self.opportunities[opportunity_id] = {
                "Id": opportunity_id,
                "IsWon": False,
                "IsClosed": False,
                "Amount": amount,
                "StageName": "Prospecting",
                "SystemModstamp": now,
            }
            self.leads[lead_id].update(
                IsConverted=True, ConvertedOpportunityId=opportunity_id, Status="Closed - Converted", SystemModstamp=now
            )
            return opportunity_id

    def close_opportunity(self, opportunity_id: str, *, won: bool, amount: float | None = None) -> None:
        """Close it won or lost: the Opportunity changes, the Lead it came from does not."""
        with self._lock:
            opportunity = self.opportunities[opportunity_id]
            opportunity.update(
                IsWon=won, IsClosed=True, StageName="Closed Won" if won else "Closed Lost", SystemModstamp=self._now()
            )
            if amount is not None:
                opportunity["Amount"] = amount

    def fail(self, fault: str, *, times: int | None = None) -> None:
        """Answer the next `times` calls (all of them, if None, until `recover`) with `fault`, a key of
        FAULTS."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        self._script = _Script(fault, times)

    def lose_answers(self, times: int = 1) -> None:
        """Apply the next `times` writes (Lead creates and updates), then answer 502 as a proxy would:
        the write landed, the caller never heard. Reads go through untouched."""
        self.answers_to_lose = times

    def expire_session(self) -> None:
        """The access token in use stops being accepted, as a session that timed out: every call with it
        is answered INVALID_SESSION_ID until a new token is issued."""
        with self._lock:
            self.token = f"00Dstandin!expired-{self.tokens_issued}-{next(self._ids)}"

    def recover(self) -> None:
        self._script = None
        self.answers_to_lose = 0

    # -- serving -----------------------------------------------------------------------------------

    def start(self) -> None:
        org = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                org._handle(self, "GET")

            def do_PATCH(self) -> None:
                org._handle(self, "PATCH")

            def do_POST(self) -> None:
                org._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the tests read `requests`, not stderr

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll, so `stop` (which waits for the loop to look) takes milliseconds, not half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="salesforce-standin", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        headers = {name.lower(): value for name, value in request.headers.items()}
        length = int(headers.get("content-length") or 0)
        raw = request.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append(f"{method} {parts.path}")
            content_type = "application/json;charset=UTF-8"
            try:
                status, body = self._answer(method, parts.path, parse_qs(parts.query), raw, headers)
                if method in ("PATCH", "POST") and self.answers_to_lose > 0:
                    self.answers_to_lose -= 1
                    raise _AnswerLost
                payload = b"" if body is None else json.dumps(body).encode()
            except _Refusal as refusal:
                status, payload = refusal.status, json.dumps(refusal.body).encode()
            except _AnswerLost:
                status, payload, content_type = 502, b"Bad Gateway", "text/plain"
        request.send_response(status)
        if payload:
            request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _answer(
        self, method: str, path: str, query: Mapping[str, list[str]], raw: bytes, headers: Mapping[str, str]
    ) -> tuple[int, Json]:
        if method == "POST" and path == "/services/oauth2/token":
            return 200, self._issue_token(parse_qs(raw.decode()))
        if headers.get("authorization") != f"Bearer {self.token}":
            raise _Refusal(*FAULTS["INVALID_SESSION_ID"])
        if (script := self._script) is not None:
            if script.times is not None:
                script.times -= 1
                if script.times <= 0:
                    self._script = None
            raise _Refusal(*FAULTS[script.fault])
        match = re.fullmatch(r"/services/data/v(\d+\.0)/(.*?)/?", path)
        if match is None:
            raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")
        version, resource = match.groups()
        body = json.loads(raw) if raw else None
        match method, resource.split("/"):
            case "GET", ["query"]:
                return 200, self._query(version, (query.get("q") or [""])[0])
            case "GET", ["limits"]:
                return 200, {"DailyApiRequests": {"Max": self.api_max, "Remaining": self.api_max - len(self.requests)}}
            case "GET", ["sobjects", sobject, "describe"]:
                return 200, self._describe(sobject)
            case "GET", ["sobjects", "Lead", lead_id]:
                return 200, self._record(version, "Lead", self._lead(lead_id))
            case "PATCH", ["sobjects", "Lead", lead_id]:
                self._update(self._lead(lead_id), body, headers)
                return 204, None
            case "POST", ["sobjects", "Lead"]:
                return 201, {"id": self._create(body, headers), "success": True, "errors": []}
        raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")

    def _issue_token(self, form: Mapping[str, list[str]]) -> Json:
        def one(name: str) -> str | None:
            return next(iter(form.get(name, [])), None)

        if one("grant_type") != "client_credentials":
            raise _OAuthRefusal("unsupported_grant_type", "grant type not supported")
        if self.client_id is None or (one("client_id"), one("client_secret")) != (self.client_id, self.client_secret):
            raise _OAuthRefusal("invalid_client", "invalid client credentials")
        self.tokens_issued += 1
        self.token = f"00Dstandin!issued-{self.tokens_issued}"
        issued = self._now()
        return {
            "access_token": self.token,
            "signature": "c3RhbmQtaW4=",
            "scope": "api",
            "instance_url": self.url,
            "id": f"{self.url}/id/00Dstandin/{self.integration_user}",
            "token_type": "Bearer",
            "issued_at": str(int(issued.timestamp() * 1000)),
            "api_instance_url": self.url,
        }

    def _query(self, version: str, text: str) -> Json:
        fields_of = {"Lead": self._lead_fields() | {f"ConvertedOpportunity.{name}" for name in _OPPORTUNITY_FIELDS}}
        if self.users_readable:
            fields_of["User"] = USER_FIELDS
        try:
            query = parse(text, fields_of)
        except SoqlError as exc:
            raise _Refusal(400, exc.code, exc.message) from None
        table = self.leads if query.sobject == "Lead" else self.users
        live = [record for record_id, record in table.items() if record_id not in self.deleted]
        records = [
            self._record(version, query.sobject, record, query.fields) for record in query.run(live, self._resolve)
        ]
        return {"totalSize": len(records), "done": True, "records": records}

    def _resolve(self, record: Mapping[str, Any], name: str) -> Any:
        if name.startswith("ConvertedOpportunity."):
            opportunity = self.opportunities.get(record.get("ConvertedOpportunityId") or "")
            return None if opportunity is None else opportunity.get(name.split(".", 1)[1])
        return record.get(name)

    def _record(self, version: str, sobject: str, record: Mapping[str, Any], fields: Any = None) -> Json:
        """A record as the API shows it: `attributes`, then the fields asked for (all, for a GET), a
        parent's as a nested record (or null)."""
        shown: dict[str, Any] = {"attributes": _attributes(version, sobject, str(record["Id"]))}
        for name in fields or [name for name in record if name != "Name"]:
            if "." in name:
                parent_name, child = name.split(".", 1)
                parent_id = record.get(f"{parent_name}Id")
                if parent_id is None:
                    shown[parent_name] = None
                    continue
                parent = shown.setdefault(parent_name, {"attributes": _attributes(version, "Opportunity", parent_id)})
                parent[child] = _json_value(self._resolve(record, name))
            else:
                shown[name] = _json_value(record.get(name))
        return shown

    def _describe(self, sobject: str) -> Json:
        if sobject == "User":
            names, queryable, createable, updateable = USER_FIELDS, self.users_readable, False, False
        elif sobject == "Lead":
            names, queryable, createable, updateable = self._lead_fields(), True, True, True
        else:
            raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")
        fields = []
        for name in sorted(names):
            editable = sobject == "Lead" and name not in _READ_ONLY and (name != "OwnerId" or self.owner_editable)
            fields.append({"name": name, "updateable": editable, "createable": editable})
        return {
            "name": sobject,
            "queryable": queryable,
            "createable": createable,
            "updateable": updateable,
            "fields": fields,
        }

    def _lead(self, lead_id: str) -> dict[str, Any]:
        if lead_id in self.deleted:
            raise _Refusal(404, "ENTITY_IS_DELETED", "entity is deleted")
        if lead_id not in self.leads:
            raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")
        return self.leads[lead_id]

    def _create(self, body: Json, headers: Mapping[str, str]) -> str:
        fields = self._writable(body)
        missing = [name for name in ("LastName", "Company") if not fields.get(name)]
        if missing:
            raise _Refusal(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
        self._assign(fields, headers)
        lead_id = self.add_lead(**fields)
        self.writes.append(Write(method="POST", record_id=lead_id, body=dict(body), headers=dict(headers)))
        return lead_id

    def _update(self, lead: dict[str, Any], body: Json, headers: Mapping[str, str]) -> None:
        fields = self._writable(body)
        if lead["IsConverted"]:
            raise _Refusal(400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        self._assign(fields, headers)
        self.edit_lead(lead["Id"], **fields)
        self.writes.append(Write(method="PATCH", record_id=lead["Id"], body=dict(body), headers=dict(headers)))

    def _writable(self, body: Json) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _Refusal(400, "JSON_PARSER_ERROR", "Unexpected parameter encountered during deserialization")
        for name, value in body.items():
            if name not in self._lead_fields():
                raise _Refusal(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type Lead", [name])
            if name in _READ_ONLY or (name == "OwnerId" and not self.owner_editable):
                message = f"Unable to create/update fields: {name}. Please check the security settings of this field."
                raise _Refusal(400, "INVALID_FIELD_FOR_INSERT_UPDATE", message, [name])
            if name == "OwnerId" and not (value in self.users and self.users[value]["IsActive"]):
                raise _Refusal(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name])
        return dict(body)

    def _assign(self, fields: dict[str, Any], headers: Mapping[str, str]) -> None:
        # Salesforce runs the active assignment rule unless the caller says Sforce-Auto-Assign: FALSE.
        if self.assignment_rule_owner is not None and headers.get("sforce-auto-assign", "TRUE").upper() != "FALSE":
            fields["OwnerId"] = self.assignment_rule_owner

    def _lead_fields(self) -> frozenset[str]:
        return LEAD_FIELDS | self.custom_fields

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):012d}AAA"  # 18 characters, as the API returns them

    def _now(self) -> datetime:
        return self.now().astimezone(UTC).replace(microsecond=0)


def _attributes(version: str, sobject: str, record_id: str) -> Json:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def _json_value(value: Any) -> Any:
    """A field's value as the API writes it: a dateTime as ``2026-12-05T12:00:00.000+0000``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return value
