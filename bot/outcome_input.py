"""Turn a reported outcome (a `POST /outcomes` body, a row of an `import-outcomes` file) into what
`Store.record_outcome` takes, or say exactly which field is wrong.

The lead is named one of three ways: ``"lead": 42`` (its id), ``"lead": {"source": "hubspot",
"external_id": "c-42"}``, or ``"lead": "jo@example.com"`` (the latest lead with that email). A flat
file may spell the same as columns instead: ``lead_id``, ``source`` with ``external_id``, or ``email``.
``state`` is one of working, won, lost, disqualified, reopened; ``occurred_at`` is ISO 8601 (UTC when
it names no zone); ``amount`` is optional, a number of at least 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.lead_input import source_name
from bot.request_body import FieldProblem, InputInvalid
from storage.model import LeadRef, OutcomeState

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_DIGITS = re.compile(r"^[0-9]{1,18}$")
_FLAT_REF = ("lead_id", "email", "source", "external_id")
MAX_AMOUNT = 1e15
MAX_LEAD_ID = 2**63 - 1  # the `leads.id` column (BIGINT on PostgreSQL)
MAX_EMAIL = 255  # the `leads.email_key` column
MAX_EXTERNAL_ID = 255  # the `leads.external_id` column


class OutcomeInvalid(InputInvalid):
    """The outcome cannot be accepted; `problems` names every offending field."""

    noun = "outcome"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedOutcome:
    ref: LeadRef
    state: OutcomeState
    occurred_at: datetime
    amount: float | None


class _OutcomeFields(BaseModel):
    """The fields but `lead`, which `_lead_ref` reads by hand: pydantic's errors for a union would name
    every branch of it ("lead.int", "lead.str") instead of saying what a lead reference is."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    state: OutcomeState
    occurred_at: datetime
    amount: float | None = Field(default=None, ge=0, le=MAX_AMOUNT)

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("out of range") from None


_KNOWN = frozenset({"lead", "state", "occurred_at", "amount", *_FLAT_REF})


def parse_outcome(raw: Any, *, other_columns: bool = False) -> ParsedOutcome:
    """Validate one reported outcome. Raises OutcomeInvalid naming every bad field.

    An API body with a field this does not know is refused (a typo should not pass silently);
    `other_columns` lets a file's rows carry more columns (a CRM export), which are ignored."""
    if not isinstance(raw, Mapping):
        raise OutcomeInvalid([FieldProblem("(body)", "expected a JSON object with lead, state and occurred_at")])
    fields = {
        key: value
        for key, value in raw.items()
        if value is not None and value != "" and (not other_columns or key in _KNOWN)
    }
    problems: list[FieldProblem] = []
    if "lead" not in fields and any(key in fields for key in _FLAT_REF):
        lead = _flat_ref(fields)  # the lead named by columns: they are consumed
        for key in _FLAT_REF:
            fields.pop(key, None)
    else:
        lead = fields.pop("lead", None)
    ref = _lead_ref(lead, problems)
    parsed = None
    try:
        parsed = _OutcomeFields.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            # A rejection always names what it rejects, even a key that is the empty string.
            name = ".".join(str(part) for part in loc) or "(unnamed field)" if loc else "(body)"
            problems.append(FieldProblem(name, _message(error)))
    if problems or parsed is None or ref is None:
        raise OutcomeInvalid(problems)
    return ParsedOutcome(ref=ref, state=parsed.state, occurred_at=parsed.occurred_at, amount=parsed.amount)


def _flat_ref(fields: Mapping[str, Any]) -> Any:
    """A lead named by columns (`lead_id`, `email`, or `source` with `external_id`), as `lead` spells it."""
    if "lead_id" in fields:
        return fields["lead_id"]
    if "email" in fields:
        return fields["email"]
    return {key: fields[key] for key in ("source", "external_id") if key in fields}


def _lead_ref(value: Any, problems: list[FieldProblem]) -> LeadRef | None:
    """The lead `value` names (an id, {source, external_id}, an email); None, with the problem added,
    when it names none."""
    if value is None:
        problems.append(FieldProblem("lead", "required: a lead id, {source, external_id} or an email"))
        return None
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value <= MAX_LEAD_ID:
            return LeadRef(lead_id=value)
        problems.append(FieldProblem("lead", "a lead id is a positive number of at most 19 digits"))
        return None
    if isinstance(value, str):
        email = value.strip()
        if len(email) <= MAX_EMAIL and _EMAIL.match(email):
            return LeadRef(email=email)
        problems.append(FieldProblem("lead", "expected a lead id, {source, external_id} or an email address"))
        return None
    if isinstance(value, Mapping):
        return _crm_ref(value, problems)
    problems.append(FieldProblem("lead", "expected a lead id, {source, external_id} or an email address"))
    return None


def _crm_ref(value: Mapping[str, Any], problems: list[FieldProblem]) -> LeadRef | None:
    before = len(problems)
    for key in value:
        if key not in ("source", "external_id"):
            problems.append(FieldProblem(f"lead.{key}", "unknown: name a lead by source and external_id"))
    source, external_id = value.get("source"), value.get("external_id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > MAX_EXTERNAL_ID:
        problems.append(FieldProblem("lead.external_id", f"required: text of at most {MAX_EXTERNAL_ID} characters"))
    name = None
    if not isinstance(source, str):
        problems.append(FieldProblem("lead.source", "required: the source the lead came from"))
    else:
        try:
            name = source_name(source)
        except ValueError as exc:
            problems.append(FieldProblem("lead.source", str(exc)))
    if len(problems) > before or name is None or not isinstance(external_id, str):
        return None
    return LeadRef(source=name, external_id=external_id.strip())


def _message(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")
