"""Salesforce, through simple-salesforce: `SalesforceApi` satisfies `connectors.crm.CrmApi` on the Lead
object (`api`), reading every client error into the CRM taxonomy (`errors`); `lead_from_flow` turns the
body of a Flow HTTP callout into a lead Leadrelay takes in (`leads`). docs/crm-salesforce.md is the
operator's guide."""

from connectors.salesforce.api import NO_AUTO_ASSIGN, SalesforceApi
from connectors.salesforce.client import API_VERSION, SalesforceSettings, SalesforceSettingsError
from connectors.salesforce.leads import FlowBodyInvalid, lead_from_flow
from connectors.salesforce.outcomes import DEFAULT_STATUS_OUTCOMES

__all__ = [
    "API_VERSION",
    "DEFAULT_STATUS_OUTCOMES",
    "NO_AUTO_ASSIGN",
    "FlowBodyInvalid",
    "SalesforceApi",
    "SalesforceSettings",
    "SalesforceSettingsError",
    "lead_from_flow",
]
