"""CRM connectors: the contract every CRM satisfies (`connectors.crm.api`) and, on top of it, what is the
same for every CRM."""

from connectors.crm.api import (
    CrmApi,
    CrmAuthError,
    CrmError,
    CrmOutcome,
    CrmRateLimited,
    CrmRejected,
    CrmUnavailable,
    OutcomePage,
    OwnerWrite,
)

__all__ = [
    "CrmApi",
    "CrmAuthError",
    "CrmError",
    "CrmOutcome",
    "CrmRateLimited",
    "CrmRejected",
    "CrmUnavailable",
    "OutcomePage",
    "OwnerWrite",
]
