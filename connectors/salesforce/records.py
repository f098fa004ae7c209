"""A Leadrelay lead as a new Salesforce Lead: the fields `write_owner` creates it with when Salesforce
has no Lead for it yet. Pure.

Salesforce refuses a Lead without `LastName` or `Company` (REQUIRED_FIELD_MISSING), and a text longer
than its field (STRING_TOO_LONG): both are filled or cut here, so a lead a form sent with no surname,
or a long title, still lands with its owner rather than being dead-lettered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# A record Id: 15 case-sensitive characters, or 18 with the case-insensitive checksum the API returns.
_SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
LEAD_ID_PREFIX = "00Q"  # every Lead's Id starts so (the key prefix of the Lead object)

UNKNOWN = "Unknown"  # Salesforce's own placeholder for a Lead's missing LastName and Company

# The standard Lead fields' lengths (Salesforce's Lead object reference).
_LENGTHS = {
    "FirstName": 40,
    "LastName": 80,
    "Company": 255,
    "Email": 80,
    "Phone": 40,
    "Title": 128,
    "Country": 80,
    "Industry": 255,
    "LeadSource": 255,
    "Website": 255,
}

# Leadrelay's name for a contact field (as intake stored it) → the standard Lead field.
_TEXT_FIELDS = {
    "first_name": "FirstName",
    "email": "Email",
    "phone": "Phone",
    "title": "Title",
    "country": "Country",
    "industry": "Industry",
    "source": "LeadSource",
    "domain": "Website",
}


def is_salesforce_id(text: str) -> bool:
    """Whether `text` has the shape of a Salesforce record Id (so it is safe in a URL path)."""
    return _SALESFORCE_ID.fullmatch(text) is not None


def new_lead_fields(lead: Mapping[str, Any], email: str | None) -> dict[str, Any]:
    """The fields of a new Lead for `lead` (the contact as intake stored it: email, first_name,
    last_name, full_name, company, domain, …); `email` wins over the lead's own when given."""
    fields: dict[str, Any] = {}
    for ours, theirs in _TEXT_FIELDS.items():
        if text := _text(lead.get(ours)):
            fields[theirs] = text
    if email:
        fields["Email"] = email
    first, last = _names(lead)
    if first and "FirstName" not in fields:
        fields["FirstName"] = first
    fields["LastName"] = last or _email_name(fields.get("Email")) or UNKNOWN
    fields["Company"] = _text(lead.get("company")) or _text(lead.get("domain")) or UNKNOWN
    employees = lead.get("employees")
    if isinstance(employees, int) and not isinstance(employees, bool) and employees >= 0:
        fields["NumberOfEmployees"] = employees
    return {name: _cut(name, value) for name, value in fields.items()}


def _names(lead: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(first, last): the lead's own, else split from its full name ("Ada King Lovelace" → "Ada King",
    "Lovelace"): Salesforce keeps the two apart and needs the last."""
    first, last = _text(lead.get("first_name")), _text(lead.get("last_name"))
    full = _text(lead.get("full_name"))
    if last or not full:
        return first, last
    *given, family = full.split()
    return first or (" ".join(given) or None), family


def _email_name(email: str | None) -> str | None:
    """The mailbox part of an email address, the best surname there is when the form sent no name."""
    return email.split("@", 1)[0] or None if email else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _cut(name: str, value: Any) -> Any:
    limit = _LENGTHS.get(name)
    return value[:limit] if limit is not None and isinstance(value, str) else value
