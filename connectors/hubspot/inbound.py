"""Leads in from HubSpot: the body a workflow's "Send a webhook" action POSTs to `/leads`, read as a
lead's fields, so a HubSpot workflow feeds Leadrelay with no glue in between.

A contact-based workflow sends the contact as HubSpot's object APIs give it. Three shapes are read:

    {"vid": 123, "portal-id": 62515, "properties": {"email": {"value": "…"}, …}}     the classic one
    {"id": "123", "properties": {"email": "…", "firstname": "…"}, "createdAt": …}     the v3 object
    {"hs_object_id": "123", "email": "…", "firstname": "…"}                           a customised body

The contact's id becomes the lead's `external_id` and its source `hubspot`, so a repeat of the same
contact is the same lead, and the owner write-back and the outcome poll find its record by that id.
Only the properties a lead has (email, names, company, …) and a few plain others are kept as fields;
HubSpot's own bookkeeping (`hs_…`, dates, counters) would crowd out the lead's extra fields, and the
whole body is stored as received anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SOURCE = "hubspot"
_ID_KEYS = ("vid", "canonical-vid", "objectId", "id")
_ENVELOPE = ("portal-id", "portalId", "canonical-vid", "vid", "objectId", "createdAt", "updatedAt", "archived")
# Contact properties that are HubSpot's bookkeeping rather than the lead's, besides every `hs_…` one.
_BOOKKEEPING = frozenset(
    {"createdate", "lastmodifieddate", "associatedcompanyid", "num_notes", "num_contacted_notes", "lifecyclestage"}
)
MAX_KEPT = 40  # plain properties kept as extra fields (the parser allows 50 extra fields)


class NotHubSpot(Exception):
    """The body is not a HubSpot workflow's."""


def is_hubspot_body(raw: Mapping[str, Any]) -> bool:
    """Whether `raw` is a HubSpot contact as a workflow sends it (and not a form tool's flat lead)."""
    if "hs_object_id" in raw:
        return True
    properties = raw.get("properties")
    return isinstance(properties, Mapping) and any(key in raw for key in (*_ID_KEYS, "portal-id", "portalId"))


def workflow_lead(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The lead fields of a HubSpot workflow body, flat, as `bot.lead_input.parse_lead` reads them, with
    `external_id` (the contact's id); the caller makes the source `SOURCE`. A property that is not plain
    (a list, an object) is passed on as it is, for the parser to name it."""
    properties = raw.get("properties")
    if properties is None:  # a customised body: the properties are the body
        properties = {key: value for key, value in raw.items() if key not in _ENVELOPE}
    if not isinstance(properties, Mapping):
        return {"properties": properties}  # the parser names it: not plain
    flat: dict[str, Any] = {}
    kept = 0
    for key, value in properties.items():
        value = _value(value)
        if key == "hs_object_id" or not isinstance(key, str):
            continue
        if key.startswith("hs_") or key in _BOOKKEEPING:
            continue
        if kept >= MAX_KEPT:
            break
        flat[key] = value
        kept += 1
    record_id = _record_id(raw, properties)
    if record_id is not None:
        flat["external_id"] = record_id
    return flat


def _value(value: Any) -> Any:
    """A classic body wraps each property as {"value": …, "versions": […]}: the value."""
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


def _record_id(raw: Mapping[str, Any], properties: Mapping[str, Any]) -> Any:
    for key in ("hs_object_id",):
        if (value := _value(properties.get(key))) not in (None, ""):
            return str(value)
        if (value := raw.get(key)) not in (None, ""):
            return str(value)
    for key in _ID_KEYS:
        if (value := raw.get(key)) not in (None, ""):
            return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else value
    return None
