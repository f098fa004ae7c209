"""Inbound lead parsing: common field names, extra fields kept, every bad field named."""

from __future__ import annotations

from typing import Any

import pytest

from bot.lead_input import LeadInvalid, parse_lead


def test_common_spellings_map_to_lead_fields_and_extras_are_kept() -> None:
    parsed = parse_lead(
        {
            "First Name": "Ada",
            "lastname": "Lovelace",
            "Work Email": "ADA@Engines.co.uk",
            "Company Size": "1,200",
            "Lead Source": "Web_Form",
            "utm_campaign": "q4",
            "Budget": "confirmed",
            "external_id": 42,
        }
    )
    lead = parsed.lead
    assert (lead.first_name, lead.last_name, lead.email) == ("Ada", "Lovelace", "ada@engines.co.uk")
    assert lead.employees == 1200 and lead.source == "web_form" and parsed.external_id == "42"
    assert lead.extra == {"utm_campaign": "q4", "budget": "confirmed"}
    assert lead.display_name == "Ada Lovelace"


@pytest.mark.parametrize(("size", "employees"), [("50-199", 50), ("1000+", 1000), (250, 250), ("  75 ", 75)])
def test_company_size_takes_the_lower_bound(size: Any, employees: int) -> None:
    assert parse_lead({"email": "a@b.com", "employees": size}).lead.employees == employees


def test_every_bad_field_is_named_by_the_senders_key() -> None:
    with pytest.raises(LeadInvalid) as caught:
        parse_lead({"E-mail": "nope", "Lead Score": "high", "employee_count": -3, "notes": {"a": 1}})
    fields = {problem.field for problem in caught.value.problems}
    assert fields == {"E-mail", "Lead Score", "employee_count", "notes"}


def test_a_lead_with_nothing_to_contact_is_rejected_on_email() -> None:
    with pytest.raises(LeadInvalid) as caught:
        parse_lead({"industry": "retail"})
    assert [p.field for p in caught.value.problems] == ["email"]


def test_a_body_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(LeadInvalid, match=r"\(body\)"):
        parse_lead(["a@b.com"])


def test_hostile_text_is_kept_verbatim_for_later_escaping() -> None:
    lead = parse_lead({"name": "<!channel> & <@U123>", "email": "x@y.com"}).lead
    assert lead.full_name == "<!channel> & <@U123>"
