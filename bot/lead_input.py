"""Turn an inbound lead (webhook JSON, a CSV row) into a `routing.Lead`, or say exactly what is wrong.

Form tools and CRMs spell fields in many ways (``First Name``, ``firstname``, ``company_size``), so
keys are folded to snake_case and matched against common aliases. Anything unrecognised is kept as an
extra field, shown to the rep and available to rules. Every problem is reported at once, by field name.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, WithJsonSchema, field_validator

from bot.request_body import FieldProblem, InputInvalid
from connectors.hubspot import inbound as hubspot_inbound
from connectors.salesforce import leads as salesforce_leads
from routing import Lead

MAX_TEXT = 1000
MAX_EXTRA_FIELDS = 50
MAX_SOURCE = 64  # the `leads.source` column

ALIASES: dict[str, str] = {
    **dict.fromkeys(["email", "e_mail", "email_address", "work_email"], "email"),
    **dict.fromkeys(["first_name", "firstname", "given_name"], "first_name"),
    **dict.fromkeys(["last_name", "lastname", "surname", "family_name"], "last_name"),
    **dict.fromkeys(["name", "full_name", "fullname", "contact_name"], "full_name"),
    **dict.fromkeys(["company", "company_name", "organization", "organisation", "account"], "company"),
    **dict.fromkeys(["domain", "website", "company_domain", "company_website", "url"], "domain"),
    **dict.fromkeys(["title", "job_title", "jobtitle", "role", "position"], "title"),
    **dict.fromkeys(["phone", "phone_number", "mobile"], "phone"),
    **dict.fromkeys(["country", "country_code", "nation"], "country"),
    **dict.fromkeys(["employees", "employee_count", "company_size", "num_employees", "headcount"], "employees"),
    **dict.fromkeys(["industry", "vertical", "sector"], "industry"),
    **dict.fromkeys(["source", "lead_source", "utm_source", "channel"], "source"),
    **dict.fromkeys(["intent", "request_type", "form_type"], "intent"),
    **dict.fromkeys(["score", "lead_score", "rating"], "score"),
    **dict.fromkeys(["external_id", "id", "lead_id", "submission_id"], "external_id"),
    **dict.fromkeys(["created_at", "created", "submitted_at", "timestamp"], "created_at"),
}

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_SIZE = re.compile(r"^\s*(\d[\d,_ ]*)\s*(?:\+|-\s*\d[\d,_ ]*|–\s*\d[\d,_ ]*)?\s*$")


class LeadInvalid(InputInvalid):
    """The lead cannot be accepted; `problems` names every offending field."""

    noun = "lead"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedLead:
    lead: Lead
    source: str
    external_id: str | None


class _LeadFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Text | None = Field(default=None, json_schema_extra={"pattern": _EMAIL.pattern, "format": "email"})
    first_name: Text | None = None
    last_name: Text | None = None
    full_name: Text | None = None
    company: Text | None = None
    domain: Text | None = None
    title: Text | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    country: Annotated[str, StringConstraints(max_length=64)] | None = None
    employees: Annotated[
        int | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": 10_000_000},
                    {"type": "string", "pattern": _SIZE.pattern, "description": "the lower bound is taken"},
                    {"type": "null"},
                ]
            }
        ),
    ] = Field(default=None, ge=0, le=10_000_000)
    industry: Text | None = None
    source: str | None = Field(default=None, json_schema_extra={"maxLength": MAX_SOURCE})
    intent: Annotated[str, StringConstraints(max_length=64)] | None = None
    score: float | None = Field(default=None, ge=0, le=1000)
    external_id: Annotated[
        Annotated[str, StringConstraints(max_length=200)] | None,
        WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 200}, {"type": "integer"}, {"type": "null"}]}),
    ] = None
    created_at: datetime | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError("not an email address")
        return value.lower() if value else value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        return None if value is None else source_name(value)

    @field_validator("employees", mode="before")
    @classmethod
    def _employees(cls, value: Any) -> Any:
        # Forms send sizes as "1,200", "50-199" or "1000+": take the lower bound.
        if isinstance(value, str):
            match = _SIZE.match(value)
            if not match:
                raise ValueError("expected a number of employees like 250, '1,200' or '50-199'")
            return int(re.sub(r"[,_ ]", "", match.group(1)))
        return value

    @field_validator("external_id", mode="before")
    @classmethod
    def _external_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            value.astimezone(UTC)  # storage keeps UTC: 9999-12-31T23:00-05:00 has no UTC form
        except OverflowError:
            raise ValueError("out of range") from None
        return value


def source_name(value: str) -> str:
    """A lead source as stored and matched by rules: stripped, lower-case, printable, at most 64
    characters. Raises ValueError saying what is wrong."""
    name = value.strip().lower()
    if not name:
        raise ValueError("must not be empty")
    if len(name) > MAX_SOURCE:
        raise ValueError(f"longer than {MAX_SOURCE} characters")
    if not name.isprintable():
        raise ValueError("must be printable text (no control or invisible characters)")
    return name


def field_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each field the parser understands, by its canonical name, with `x-aliases`:
    the other names it is read from (keys are folded first, so `First Name` reads as `first_name`)."""
    properties: dict[str, dict[str, Any]] = _LeadFields.model_json_schema()["properties"]
    for name, schema in properties.items():
        schema.pop("default", None)
        schema["x-aliases"] = [alias for alias, target in ALIASES.items() if target == name and alias != name]
    return properties


@functools.lru_cache(maxsize=1024)
def fold_key(key: str) -> str:
    """A sender's key as the alias table spells it ("First Name" → "first_name"). Cached: a file
    import or a replay folds the same few column names on every row."""
    return re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")


def parse_lead(raw: Any, *, default_source: str = "api") -> ParsedLead:
    """Validate one inbound lead. Raises LeadInvalid naming every bad field (by the sender's key; a bad
    `default_source`, the `?source=` of a request, as `source`). A HubSpot workflow's body
    (`connectors.hubspot.inbound`) is read as the contact it carries: source `hubspot`, its id the
    external id, whatever the request's `?source=`. A Salesforce Flow callout's body
    (`connectors.salesforce.leads`), recognised by its shape or by `?source=salesforce`, is read as the
    Lead it carries: source `salesforce`, the Lead Id the external id."""
    if isinstance(raw, Mapping) and hubspot_inbound.is_hubspot_body(raw):
        return _from_crm(hubspot_inbound.workflow_lead(raw), hubspot_inbound.SOURCE)
    if default_source.strip().lower() == salesforce_leads.SOURCE or salesforce_leads.is_flow_body(raw):
        try:
            document = salesforce_leads.lead_from_flow(raw)
        except salesforce_leads.FlowBodyInvalid as exc:
            raise LeadInvalid([FieldProblem(exc.field, str(exc).removeprefix(f"{exc.field}: "))]) from None
        return _from_crm(document, salesforce_leads.SOURCE)
    return _parse_lead(raw, default_source=default_source)


def _from_crm(document: Mapping[str, Any], source: str) -> ParsedLead:
    """A lead read from a CRM's own body: its source is the CRM, whatever the document says."""
    parsed = _parse_lead(document, default_source=source)
    lead = dataclasses.replace(parsed.lead, source=source)
    return ParsedLead(lead=lead, source=source, external_id=parsed.external_id)


def _parse_lead(raw: Any, *, default_source: str) -> ParsedLead:
    if not isinstance(raw, Mapping):
        raise LeadInvalid([FieldProblem("(body)", "expected a JSON object of lead fields")])
    known: dict[str, Any] = {}
    sender_key: dict[str, str] = {}
    extra: dict[str, str | int | float | bool] = {}
    problems: list[FieldProblem] = []
    try:
        default_source = source_name(default_source)
    except ValueError as exc:
        problems.append(FieldProblem("source", str(exc)))
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        key = key or "(unnamed field)"  # a rejection must always name what it rejects
        folded = fold_key(key)
        target = ALIASES.get(folded)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if target is not None and target not in known:
            known[target] = value
            sender_key[target] = key
        elif isinstance(value, str | int | float | bool):
            if len(extra) >= MAX_EXTRA_FIELDS:
                problems.append(FieldProblem(key, f"too many extra fields (at most {MAX_EXTRA_FIELDS})"))
            elif isinstance(value, str) and len(value) > MAX_TEXT:
                problems.append(FieldProblem(key, f"longer than {MAX_TEXT} characters"))
            else:
                extra[folded or key] = value
        else:
            problems.append(FieldProblem(key, "extra fields must be plain text, numbers or booleans"))
    try:
        fields = _LeadFields.model_validate(known)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "(body)"
            problems.append(FieldProblem(sender_key.get(name, name), _message(error)))
        fields = None
    if fields is not None and not (
        fields.email or fields.phone or fields.company or fields.full_name or fields.first_name or fields.last_name
    ):
        problems.append(FieldProblem("email", "a lead needs at least an email, a phone, a name or a company"))
    if problems or fields is None:
        raise LeadInvalid(problems)
    lead = Lead(
        email=fields.email,
        first_name=fields.first_name,
        last_name=fields.last_name,
        full_name=fields.full_name,
        company=fields.company,
        domain=fields.domain,
        title=fields.title,
        phone=fields.phone,
        country=fields.country,
        employees=fields.employees,
        industry=fields.industry,
        source=fields.source or default_source,
        intent=fields.intent.lower() if fields.intent else None,
        score=fields.score,
        created_at=fields.created_at,
        extra=extra,
    )
    return ParsedLead(lead=lead, source=lead.source or default_source, external_id=fields.external_id)


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
