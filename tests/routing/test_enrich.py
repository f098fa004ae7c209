"""Enrichment: the flat facts rules match on, and how a lead finds its account."""

from __future__ import annotations

import pytest
import yaml

from routing import Lead, RoutingConfig, parse_config
from routing.config import compile_config
from routing.enrich import country_code, enrich, find_account
from tests.routing.conftest import SCENARIO_YAML


@pytest.fixture
def config() -> RoutingConfig:
    """Parsed per test, never at import (see `engine_for` in test_decisions)."""
    return parse_config(SCENARIO_YAML)


def test_facts_hold_the_leads_fields_and_what_follows_from_them(config: RoutingConfig) -> None:
    lead = Lead(
        email="Lena@Autohaus.DE",
        first_name="Lena",
        last_name="",
        country=" germany ",
        employees=250,
        title="CEO",
        score=0,
        extra={"budget": "confirmed", "notes": "", "urgency": "high"},
    )
    assert enrich(lead, config) == {
        "budget": "confirmed",
        "urgency": "high",
        "email": "Lena@Autohaus.DE",
        "first_name": "Lena",
        "title": "CEO",
        "employees": 250,
        "score": 0,
        "name": "Lena",
        "email_domain": "autohaus.de",
        "free_mail": False,
        "domain": "autohaus.de",
        "country": "DE",
        "region": "EMEA",
        "language": "de",
        "segment": "enterprise",
    }


def test_free_mail_gives_no_company_domain_but_an_explicit_domain_wins(config: RoutingConfig) -> None:
    facts = enrich(Lead(email="x@gmail.com", employees=19), config)
    assert (facts["email_domain"], facts["free_mail"], "domain" in facts, facts["segment"]) == (
        "gmail.com",
        True,
        False,
        "smb",
    )
    facts = enrich(Lead(email="x@gmail.com", domain="https://www.Shop.com/"), config)
    assert facts["domain"] == "shop.com"
    assert "email_domain" not in enrich(Lead(email="not-an-address"), config)
    assert enrich(Lead(email='"a@b"@Shop.com'), config)["email_domain"] == "shop.com"  # the last @ counts


def test_a_language_the_lead_states_is_kept_and_unknown_countries_have_no_region(config: RoutingConfig) -> None:
    facts = enrich(Lead(country="AT", extra={"language": "en"}), config)
    assert (facts["country"], facts["region"], facts["language"]) == ("AT", "EMEA", "en")
    facts = enrich(Lead(country="zz", employees=20), config)
    assert facts["country"] == "ZZ" and "region" not in facts and "language" not in facts
    assert facts["segment"] == "mid_market"
    assert "country" not in enrich(Lead(country="  "), config)


@pytest.mark.parametrize(
    ("text", "code"), [("UK", "GB"), ("de", "DE"), (" Germany", "DE"), ("", None), (None, None), (" ", None)]
)
def test_country_codes_from_names_and_codes(config: RoutingConfig, text: str | None, code: str | None) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize(
    ("domain", "account"),
    [
        ("globex.com", "Globex"),
        ("eu.sales.globex.com", "Globex"),
        ("globex.de", "Globex"),
        ("x.initech.com", "Initech"),
        ("com", None),
        ("globex.com.evil.io", None),
        ("notglobex.com", None),
    ],
)
def test_an_account_is_found_by_its_domain_or_any_parent_domain(
    config: RoutingConfig, domain: str, account: str | None
) -> None:
    found = find_account({"domain": domain}, config)
    assert (found.name if found else None) == account


def test_no_domain_or_no_accounts_finds_no_account(config: RoutingConfig) -> None:
    assert find_account({}, config) is None
    raw = yaml.safe_load(SCENARIO_YAML)
    del raw["accounts"]
    assert find_account({"domain": "globex.com"}, compile_config(raw)) is None
