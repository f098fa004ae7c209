"""HubSpot: the `CrmApi` over the official client (`api`), its errors read once (`errors`), and the
workflow webhook body read as a lead (`inbound`). Importing this package does not import the client:
`api` is imported only when a HubSpot CRM is configured (`connectors.crm.factory`)."""
