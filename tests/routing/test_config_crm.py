"""The `crm:` block: each CRM's outcome mapping defaults to the connector's own, and HubSpot's settings
are refused, by name, with `kind: salesforce`."""

from __future__ import annotations

import pytest

from routing import ConfigError, parse_config
from tests.routing.conftest import SCENARIO_YAML


def crm_config(block: str) -> str:
    return SCENARIO_YAML + block


def problems(block: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(crm_config(block))
    return caught.value.problems


@pytest.mark.parametrize("kind", ["hubspot", "salesforce"])
def test_stages_left_out_are_the_crms_own(kind: str) -> None:
    crm = parse_config(crm_config(f"crm: {{kind: {kind}}}\n")).crm
    assert crm is not None
    assert crm.stages is None  # the connector applies its default (HubSpot's deal stages, Lead statuses)


def test_salesforce_stages_map_lead_statuses_to_outcomes() -> None:
    block = "crm: {kind: salesforce, outcomes: {stages: {'Closed - Won': won, Nurture: working}}}\n"
    crm = parse_config(crm_config(block)).crm
    assert crm is not None
    assert crm.kind == "salesforce" and crm.stages == {"Closed - Won": "won", "Nurture": "working"}


@pytest.mark.parametrize(("setting", "value"), [("object", "deals"), ("property", "hs_lead_status")])
def test_hubspots_outcome_settings_are_a_problem_with_salesforce(setting: str, value: str) -> None:
    [problem] = problems(f"crm: {{kind: salesforce, outcomes: {{{setting}: {value}}}}}\n")
    assert problem.startswith(f"crm.outcomes.{setting}: ")
    assert "Salesforce reads Leads and their converted Opportunities" in problem


def test_a_salesforce_status_mapped_to_no_outcome_is_named() -> None:
    [problem] = problems("crm: {kind: salesforce, outcomes: {stages: {Nurture: warm}}}\n")
    assert problem.startswith("crm.outcomes.stages.Nurture: 'warm' is not one of working, won")


def test_hubspot_contacts_still_need_their_values_mapped() -> None:
    [problem] = problems("crm: {kind: hubspot, outcomes: {object: contacts}}\n")
    assert problem == "crm.outcomes.stages: map the values of the contacts' lifecyclestage to outcomes"
