"""Salesforce, through simple-salesforce: `SalesforceApi` satisfies `connectors.crm.CrmApi` on the Lead
object (`api`), reading every client error into the CRM taxonomy (`errors`); `lead_from_flow` turns the
body of a Flow HTTP callout into a lead Leadrelay takes in (`leads`). The README's "Salesforce" section
is the operator's guide.

Importing this package does not import the client: `POST /leads` reads Flow bodies with `leads` alone,
and `api` is imported only when a Salesforce CRM is configured (`connectors.crm.factory`)."""
