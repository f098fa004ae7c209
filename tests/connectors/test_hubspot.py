"""The HubSpot connector's pure parts: HubSpot's answers read into the CRM errors, those errors into the
fault taxonomy, and a workflow's webhook body read as a lead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.lead_input import LeadInvalid, parse_lead
from connectors.crm.api import CrmAuthError, CrmError, CrmRateLimited, CrmRejected, CrmUnavailable
from connectors.crm.transport import classify
from connectors.delivery import Permanent, Transient, WorkspaceFault
from connectors.hubspot.errors import TOKEN_FIX, RecordExists, RecordGone, read_error

NOON_NY = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 12:00 in New York
NEW_YORK = ZoneInfo("America/New_York")


def error(status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> CrmError:
    document = {"status": "error", "message": "said", "correlationId": "c-1", **(body or {})}
    return read_error(
        status, headers or {}, document, scope="crm.objects.owners.read", now=NOON_NY, account_tz=NEW_YORK
    )


def test_hubspot_answers_become_the_crm_errors_with_a_fix_or_a_wait() -> None:
    revoked = error(401)
    assert isinstance(revoked, CrmAuthError) and revoked.fix == TOKEN_FIX
    scope = {"errors": [{"message": "…", "context": {"requiredGranularScopes": ["crm.objects.contacts.write"]}}]}
    missing = error(403, {"category": "MISSING_SCOPES", **scope})
    assert isinstance(missing, CrmAuthError) and "crm.objects.contacts.write" in missing.fix
    unnamed = error(403)
    assert isinstance(unnamed, CrmAuthError) and "crm.objects.owners.read" in unnamed.fix  # the call's own
    told = error(429, headers={"Retry-After": "42"})
    assert isinstance(told, CrmRateLimited) and told.after == 42
    daily = error(429, {"policyName": "DAILY", "errorType": "RATE_LIMIT"})
    assert isinstance(daily, CrmRateLimited) and daily.after == 12 * 3600  # until midnight in New York
    burst = error(429, {"policyName": "TEN_SECONDLY_ROLLING"})
    assert isinstance(burst, CrmRateLimited) and burst.after == 10
    assert isinstance(error(503), CrmUnavailable)
    assert isinstance(error(404), RecordGone)
    exists = error(409, {"message": "Contact already exists. Existing ID: 12345"})
    assert isinstance(exists, RecordExists) and exists.existing_id == "12345"
    invalid = error(400, {"message": "Property values were not valid"})
    assert type(invalid) is CrmRejected and "Property values were not valid" in str(invalid)


def test_crm_errors_become_outcomes_the_dispatcher_acts_on() -> None:
    assert classify(CrmAuthError("revoked", fix="new token")) == WorkspaceFault(error="revoked", fix="new token")
    assert classify(CrmRateLimited("slow down", after=30)) == Transient(error="slow down", after=30, rate_limited=True)
    assert classify(CrmUnavailable("down")) == Transient(error="down")
    assert classify(CrmRejected("bad")) == Permanent(error="bad")


@pytest.mark.parametrize(
    "body",
    [
        {  # the classic contact, as a contact-based workflow sends it
            "vid": 901,
            "portal-id": 62515,
            "properties": {
                "email": {"value": "Casey@Shop.com", "versions": []},
                "firstname": {"value": "Casey"},
                "company": {"value": "Shop"},
                "hs_analytics_source": {"value": "DIRECT"},
                "numemployees": {"value": "250"},
            },
        },
        {  # the v3 object
            "id": "901",
            "properties": {"email": "casey@shop.com", "firstname": "Casey", "company": "Shop", "hs_object_id": "901"},
            "createdAt": "2026-11-23T15:00:00.000Z",
            "archived": False,
        },
        {"hs_object_id": "901", "email": "casey@shop.com", "firstname": "Casey", "company": "Shop"},  # customised
    ],
)
def test_a_hubspot_workflow_body_is_read_as_the_contacts_lead(body: dict[str, Any]) -> None:
    parsed = parse_lead(body, default_source="web")
    assert (parsed.source, parsed.external_id) == ("hubspot", "901")
    assert parsed.lead.email == "casey@shop.com" and parsed.lead.first_name == "Casey"
    assert parsed.lead.company == "Shop" and parsed.lead.source == "hubspot"
    assert not any(key.startswith("hs_") for key in parsed.lead.extra)


def test_a_malformed_hubspot_body_names_the_field() -> None:
    with pytest.raises(LeadInvalid) as bad_email:
        parse_lead({"vid": 7, "properties": {"email": {"value": "not an email"}}})
    assert [problem.field for problem in bad_email.value.problems] == ["email"]
    with pytest.raises(LeadInvalid) as not_properties:
        parse_lead({"vid": 7, "properties": ["email"]})
    assert "properties" in str(not_properties.value)
    with pytest.raises(LeadInvalid) as nothing:
        parse_lead({"hs_object_id": "7", "hs_lead_status": "NEW"})
    assert "email" in str(nothing.value)  # a lead needs an email, a phone, a name or a company


def test_a_form_tools_flat_lead_is_not_mistaken_for_hubspot() -> None:
    parsed = parse_lead({"email": "a@b.com", "id": "x-1", "properties": "plain text"}, default_source="web")
    assert parsed.source == "web" and parsed.external_id == "x-1"
