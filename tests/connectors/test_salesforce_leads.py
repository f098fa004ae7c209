"""The body of a Salesforce Flow HTTP callout read as the lead document POST /leads takes: the fields
mapped, the wrappers a Flow puts around the record, and each malformed body refused by its field."""

from __future__ import annotations

from typing import Any

import pytest

from bot.lead_input import LeadInvalid, parse_lead
from connectors.salesforce.leads import FlowBodyInvalid, is_flow_body, lead_from_flow

LEAD_ID = "00Q5g00000AbCdEEA1"

RECORD: dict[str, Any] = {
    "attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{LEAD_ID}"},
    "Id": LEAD_ID,
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Email": "ada@analytical.test",
    "Company": "Analytical Engines",
    "Website": "analytical.test",
    "Title": "CTO",
    "Phone": "+44 20 7946 0000",
    "Country": "GB",
    "NumberOfEmployees": 250,
    "Industry": "Technology",
    "LeadSource": "Partner Referral",
    "Status": "Open - Not Contacted",
    "Rating": "Hot",
    "Product_Interest__c": "Routing",
    "Owner": {"attributes": {"type": "User"}, "Name": "Integration"},
}


def test_a_lead_record_becomes_the_lead_document() -> None:
    assert lead_from_flow(RECORD) == {
        "external_id": LEAD_ID,
        "source": "salesforce",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@analytical.test",
        "company": "Analytical Engines",
        "domain": "analytical.test",
        "title": "CTO",
        "phone": "+44 20 7946 0000",
        "country": "GB",
        "industry": "Technology",
        "salesforce_lead_source": "Partner Referral",
        "employees": 250,
        "Product_Interest__c": "Routing",
    }


def test_intake_takes_the_document_as_a_salesforce_lead_with_its_id() -> None:
    parsed = parse_lead(lead_from_flow(RECORD))
    assert (parsed.source, parsed.external_id) == ("salesforce", LEAD_ID)
    assert (parsed.lead.email, parsed.lead.employees, parsed.lead.score) == ("ada@analytical.test", 250, None)
    assert parsed.lead.extra == {"salesforce_lead_source": "Partner Referral", "product_interest_c": "Routing"}


@pytest.mark.parametrize(
    "body",
    [
        {"lead": RECORD},
        {"Lead": RECORD},
        {"inputs": [RECORD]},
        [RECORD],
    ],
    ids=["lead", "Lead", "inputs list", "list"],
)
def test_the_wrappers_a_flow_puts_around_the_record_are_taken_off(body: Any) -> None:
    assert lead_from_flow(body) == lead_from_flow(RECORD)


def test_a_flow_formula_number_of_employees_and_a_mobile_phone_are_read() -> None:
    body = {"Id": LEAD_ID[:15], "LastName": "L", "NumberOfEmployees": "1200", "MobilePhone": "+1 555 0100"}
    document = lead_from_flow(body)
    assert (document["employees"], document["phone"], document["external_id"]) == (1200, "+1 555 0100", LEAD_ID[:15])
    assert lead_from_flow({"Id": LEAD_ID, "NumberOfEmployees": 40.0})["employees"] == 40


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json object", "(body)"),
        ([RECORD, RECORD], "(body)"),
        ({"LastName": "No Id"}, "Id"),
        ({**RECORD, "Id": "003000000000001AAA"}, "Id"),
        ({**RECORD, "Id": "00Q/../../x"}, "Id"),
        ({**RECORD, "Id": 42}, "Id"),
        ({**RECORD, "attributes": {"type": "Contact"}}, "attributes"),
        ({**RECORD, "Email": ["a@b.test"]}, "Email"),
        ({**RECORD, "NumberOfEmployees": "lots"}, "NumberOfEmployees"),
        ({**RECORD, "NumberOfEmployees": -3}, "NumberOfEmployees"),
        ({**RECORD, "NumberOfEmployees": True}, "NumberOfEmployees"),
        ({**RECORD, "Budget__c": {"amount": 1}}, "Budget__c"),
    ],
    ids=[
        "string",
        "two records",
        "no id",
        "contact id",
        "path in id",
        "number id",
        "contact record",
        "list email",
        "word employees",
        "negative employees",
        "checkbox employees",
        "object custom field",
    ],
)
def test_a_malformed_body_is_refused_naming_the_field(body: Any, field: str) -> None:
    with pytest.raises(FlowBodyInvalid) as raised:
        lead_from_flow(body)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    "body",
    [
        RECORD,
        {"attributes": {"type": "Lead"}, "LastName": "No Id yet", "Email": "a@b.test"},
        {"Id": LEAD_ID[:15], "LastName": "L"},
        {"record": RECORD},
        {"inputs": [RECORD]},
        [RECORD],
    ],
    ids=["record", "typed without id", "15-character id", "record wrapper", "inputs list", "list"],
)
def test_a_flow_body_is_known_by_its_shape(body: Any) -> None:
    assert is_flow_body(body)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@b.test", "company": "Shop"},
        {"Id": "003000000000001AAA", "Email": "a@b.test"},  # a Contact's Id
        {"Id": "00Q-not-an-id", "Email": "a@b.test"},
        {"attributes": {"type": "Contact"}, "Id": "003000000000001AAA"},
        {"lead": {"email": "a@b.test"}},
        [RECORD, RECORD],
        "text",
    ],
    ids=["form lead", "contact id", "bad id", "contact record", "wrapped form lead", "two records", "text"],
)
def test_other_bodies_are_not_taken_for_a_flow_body(body: Any) -> None:
    assert not is_flow_body(body)


def test_post_leads_reads_a_flow_body_by_its_shape_whatever_the_source_parameter() -> None:
    parsed = parse_lead({"lead": RECORD}, default_source="web")
    assert (parsed.source, parsed.lead.source, parsed.external_id) == ("salesforce", "salesforce", LEAD_ID)
    assert parsed.lead.company == "Analytical Engines"


def test_with_source_salesforce_a_body_that_is_no_lead_is_refused_naming_the_field() -> None:
    with pytest.raises(LeadInvalid) as raised:
        parse_lead({"Email": "a@b.test", "LastName": "L"}, default_source="Salesforce")
    [problem] = raised.value.problems
    assert problem.field == "Id" and problem.message.startswith("expected a Lead's record Id")
    with pytest.raises(LeadInvalid) as raised:
        parse_lead({**RECORD, "NumberOfEmployees": "lots"})  # known by its shape, then read strictly
    assert [problem.field for problem in raised.value.problems] == ["NumberOfEmployees"]
