"""Leads in from Salesforce: the body a Flow's HTTP callout sends (a Lead's fields, named as Salesforce
names them) turned into the lead document `POST /leads` takes. Pure.

A Flow can send the record as it is, ``{"Id": "00Q…", "LastName": …}``, wrapped in one object
(``{"lead": {…}}``, as an Apex-defined or External Services body usually is), or as a one-record list.
The Lead's Id becomes the lead's `external_id`, which the owner write-back finds the Lead by, and the
source is "salesforce". Custom fields (``Product__c``) travel as extra fields, under their API names;
other standard fields (Status, Rating, …) are left out, since intake would read some of them as its own
(`Rating` as the lead score).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.salesforce.records import LEAD_ID_PREFIX, is_salesforce_id

SOURCE = "salesforce"

# A Lead field → the lead document's field.
_TEXT_FIELDS = {
    "FirstName": "first_name",
    "LastName": "last_name",
    "Name": "full_name",
    "Email": "email",
    "Company": "company",
    "Website": "domain",
    "Title": "title",
    "Phone": "phone",
    "Country": "country",
    "Industry": "industry",
    # Intake's own `source` is the system the lead came from; the Lead's LeadSource (Web, Partner
    # Referral, …) is kept beside it, for rules.
    "LeadSource": "salesforce_lead_source",
    "CreatedDate": "created_at",
}
_WRAPPERS = ("lead", "Lead", "record", "inputs")


class FlowBodyInvalid(ValueError):
    """The callout's body is not a Lead Leadrelay can take; `field` names what is wrong (as Salesforce
    names it, or "(body)")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def is_flow_body(body: Any) -> bool:
    """Whether `body` has a Flow callout's shape (so `POST /leads` reads it with `lead_from_flow` without
    being told `?source=salesforce`): a record whose `attributes.type` is Lead, or whose `Id` is a Lead's,
    as itself, under one wrapper key, or as a one-record list. A form tool's flat lead is none of these."""
    try:
        record = _unwrapped(body)
    except FlowBodyInvalid:
        return False
    attributes = record.get("attributes")
    if isinstance(attributes, Mapping) and attributes.get("type") == "Lead":
        return True
    return _is_lead_id(record.get("Id"))


def lead_from_flow(body: Any) -> dict[str, Any]:
    """The lead document for a Flow callout's `body`. Raises FlowBodyInvalid naming the bad field."""
    record = _unwrapped(body)
    attributes = record.get("attributes")
    if isinstance(attributes, Mapping) and attributes.get("type") not in (None, "Lead"):
        raise FlowBodyInvalid("attributes", f"a {attributes.get('type')} record, not a Lead")
    lead_id = record.get("Id")
    if not _is_lead_id(lead_id):
        raise FlowBodyInvalid("Id", f"expected a Lead's record Id (00Q…, 15 or 18 characters), got {lead_id!r}")
    document: dict[str, Any] = {"external_id": lead_id, "source": SOURCE}
    for theirs, ours in _TEXT_FIELDS.items():
        value = record.get(theirs)
        if value is None:
            continue
        if not isinstance(value, str):
            raise FlowBodyInvalid(theirs, f"expected text, got {type(value).__name__}")
        if value.strip():
            document[ours] = value.strip()
    if "phone" not in document and isinstance(record.get("MobilePhone"), str) and record["MobilePhone"].strip():
        document["phone"] = record["MobilePhone"].strip()
    if (employees := record.get("NumberOfEmployees")) is not None:
        document["employees"] = _employees(employees)
    for name, value in record.items():
        if not name.endswith("__c") or value is None:
            continue
        if not isinstance(value, str | int | float | bool):
            raise FlowBodyInvalid(name, "a custom field must be text, a number or a checkbox")
        document[name] = value
    return document


def _is_lead_id(value: Any) -> bool:
    return isinstance(value, str) and is_salesforce_id(value) and value.startswith(LEAD_ID_PREFIX)


def _unwrapped(body: Any) -> Mapping[str, Any]:
    """The Lead record in `body`: itself, the object under a wrapper key, or a list's one record."""
    if isinstance(body, list):
        if len(body) != 1:
            raise FlowBodyInvalid("(body)", f"expected one Lead per callout, got a list of {len(body)}")
        body = body[0]
    if not isinstance(body, Mapping):
        raise FlowBodyInvalid("(body)", "expected a JSON object with the Lead's fields")
    if "Id" not in body:
        for key in _WRAPPERS:
            if isinstance(body.get(key), Mapping | list):
                return _unwrapped(body[key])
    return body


def _employees(value: Any) -> int:
    # NumberOfEmployees is an integer field; a Flow formula may hand it over as 250.0 or "250".
    if isinstance(value, bool):
        raise FlowBodyInvalid("NumberOfEmployees", "expected a whole number, got a checkbox")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise FlowBodyInvalid("NumberOfEmployees", f"expected a whole number of employees, got {value!r}")
    return value
