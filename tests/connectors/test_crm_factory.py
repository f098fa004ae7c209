"""`open_crm`: the configured CRM built from the environment, or a ConfigError that says what to set."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.crm.factory import open_crm
from connectors.hubspot.api import HubSpotApi
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.outcomes import DEFAULT_STATUS_OUTCOMES
from routing.config import ConfigError, Crm
from storage.model import OutcomeState

SALESFORCE_ENV = {"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com", "SALESFORCE_ACCESS_TOKEN": "00D!x"}
START = datetime(2026, 12, 5, 12, 0, 30, tzinfo=UTC)


def test_hubspot_without_stages_reads_its_deal_stages_as_before() -> None:
    api = open_crm(Crm(kind="hubspot"), {"HUBSPOT_TOKEN": "pat-1"})
    assert isinstance(api, HubSpotApi)
    assert api.stages == {"closedwon": OutcomeState.WON, "closedlost": OutcomeState.LOST}


def test_salesforce_is_built_from_its_variables_with_the_standard_statuses_and_the_services_clock() -> None:
    api = open_crm(Crm(kind="salesforce"), SALESFORCE_ENV, now=lambda: START)
    assert isinstance(api, SalesforceApi)
    assert api.settings.instance_url == "https://acme.my.salesforce.com"
    assert api.status_outcomes == DEFAULT_STATUS_OUTCOMES
    first = api.read_outcomes(None)  # the first poll starts at the service's now, without a call
    assert first.outcomes == [] and "lead=2026-12-05T12:00:30+00:00," in first.cursor


def test_salesforce_status_mapping_comes_from_crm_stages() -> None:
    api = open_crm(Crm(kind="salesforce", stages={"Nurture": "working"}), SALESFORCE_ENV)
    assert isinstance(api, SalesforceApi)
    assert api.status_outcomes == {"Nurture": OutcomeState.WORKING}


def test_salesforce_without_its_variables_names_each_one() -> None:
    with pytest.raises(ConfigError) as caught:
        open_crm(Crm(kind="salesforce"), {"SALESFORCE_INSTANCE_URL": "http://example.com/path"})
    [url, token] = caught.value.problems
    assert url.startswith("crm: SALESFORCE_INSTANCE_URL ")
    assert token.startswith("crm: SALESFORCE_ACCESS_TOKEN is not set")


def test_a_status_mapped_to_no_outcome_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"crm\.outcomes\.stages: Lead status 'Nurture': 'warm' is not an outcome"):
        open_crm(Crm(kind="salesforce", stages={"Nurture": "warm"}), SALESFORCE_ENV)
