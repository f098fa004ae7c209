"""simple-salesforce's exceptions (and `requests`' below them) read into the CRM error taxonomy, once.

Salesforce answers an error with a JSON array, `[{"message", "errorCode", "fields"}]`; simple-salesforce
raises one class per HTTP status and keeps that body, parsed, in `content`:

    401 SalesforceExpiredSession (INVALID_SESSION_ID)       → CrmAuthError: a new access token is needed
    403 SalesforceRefusedRequest, REQUEST_LIMIT_EXCEEDED     → CrmRateLimited
    403 SalesforceRefusedRequest, anything else              → CrmAuthError naming the permission
    300, 400, 404 (MALFORMED_QUERY, REQUIRED_FIELD_MISSING,  → CrmRejected: this request, as it stands
        ENTITY_IS_DELETED, NOT_FOUND, …)
    5xx SalesforceGeneralError, a connection error, timeout  → CrmUnavailable
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from connectors.crm.api import CrmAuthError, CrmError, CrmRateLimited, CrmRejected, CrmUnavailable

# Salesforce's API request allowance is counted over a rolling 24 hours and says nothing of when room
# comes back: a quarter of an hour lets requests that aged out of the window make room again, without
# hammering an org that is already out of allowance (every refused call still counts against it).
RATE_LIMIT_WAIT = 15 * 60.0

TOKEN_FIX = (
    "issue a new access token for the Salesforce integration user (its connected app) and set it in "
    "SALESFORCE_ACCESS_TOKEN, then restart Leadrelay; or set SALESFORCE_CLIENT_ID and "
    "SALESFORCE_CLIENT_SECRET instead, and Leadrelay renews its tokens itself"
)
CREDENTIALS_FIX = (
    "check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET against the connected app (its consumer key "
    "and secret), and that the app has the Client Credentials Flow enabled with the integration user as "
    "its Run As user, then restart Leadrelay"
)


class SessionExpired(CrmAuthError):
    """Salesforce no longer accepts the access token (INVALID_SESSION_ID): a new one is needed."""


# What an operator grants for each refusal that is a missing permission rather than a bad token.
_PERMISSION_FIXES = {
    "API_DISABLED_FOR_ORG": "the org's edition has no API access: Salesforce Enterprise edition or above is needed",
    "API_CURRENTLY_DISABLED": "give the integration user's profile or a permission set the 'API Enabled' permission",
    "INSUFFICIENT_ACCESS": (
        "give the integration user Read, Create and Edit on Lead (with Edit on the Lead Owner field) and "
        "Read on User, through a permission set"
    ),
}


@dataclass(frozen=True, slots=True)
class SalesforceFault:
    """The first error of a Salesforce error body: its `errorCode`, `message` and `fields`."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    @classmethod
    def read(cls, content: Any) -> SalesforceFault:
        """From a body as simple-salesforce kept it: Salesforce's JSON array, or a proxy's text."""
        if isinstance(content, list) and content and isinstance(content[0], dict):
            error = content[0]
            fields = error.get("fields")
            named = tuple(map(str, fields)) if isinstance(fields, list) else ()
            return cls(str(error.get("errorCode", "")), str(error.get("message", "")), named)
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return cls("", str(content)[:300])

    def needs_permission(self) -> bool:
        """A refusal that every write would meet until an administrator grants a permission: our SOQL
        names only standard objects, so INVALID_TYPE means the user may not read one; and a Lead Owner
        the user may not set is the whole point of the write."""
        return self.code == "INVALID_TYPE" or (
            self.code == "INVALID_FIELD_FOR_INSERT_UPDATE" and "OwnerId" in self.fields
        )


def crm_error(exc: Exception) -> CrmError:
    """The CRM error `exc` (raised by simple-salesforce or `requests`) amounts to."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        return CrmAuthError(f"Salesforce refused the credential: {exc}", fix=TOKEN_FIX)
    if isinstance(exc, SalesforceError):
        fault = SalesforceFault.read(exc.content)
        said = " ".join(
            part
            for part in ("Salesforce answered", str(exc.status), fault.code, "on", exc.resource_name or exc.url)
            if part
        )
        said = f"{said}: {fault.message}"
        if isinstance(exc, SalesforceExpiredSession) or fault.code == "INVALID_SESSION_ID":
            return SessionExpired(said, fix=TOKEN_FIX)
        if fault.code == "REQUEST_LIMIT_EXCEEDED" or exc.status == 429:
            return CrmRateLimited(said, after=RATE_LIMIT_WAIT)
        if isinstance(exc, SalesforceRefusedRequest) or fault.needs_permission():
            fix = _PERMISSION_FIXES.get(fault.code, _PERMISSION_FIXES["INSUFFICIENT_ACCESS"])
            return CrmAuthError(said, fix=fix)
        if exc.status >= 500:
            return CrmUnavailable(said)
        return CrmRejected(said)
    if isinstance(exc, requests.Timeout):
        return CrmUnavailable(f"Salesforce did not answer in time: {exc}")
    if isinstance(exc, requests.JSONDecodeError):  # a 2xx that is not JSON: a proxy or maintenance page
        return CrmUnavailable(f"Salesforce answered with something other than JSON: {exc}")
    if isinstance(exc, requests.RequestException):
        return CrmUnavailable(f"Salesforce could not be reached: {exc}")
    raise TypeError(f"not a Salesforce client error: {exc!r}") from exc


def token_refusal(response: requests.Response) -> CrmError:
    """The CRM error a token endpoint's refusal amounts to: its OAuth `error` and `error_description`
    (`invalid_client`, `invalid_grant`, …) as an auth error, a server error as unavailable."""
    said = f"Salesforce answered {response.status_code} on {response.request.path_url}"
    try:
        body = response.json()
    except requests.JSONDecodeError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        said = f"{said}: {body['error']}: {body.get('error_description', '')}".rstrip(": ")
    if response.status_code >= 500:
        return CrmUnavailable(said)
    return CrmAuthError(said, fix=CREDENTIALS_FIX)


@contextmanager
def translated() -> Iterator[None]:
    """Run a block of client calls, raising only `CrmError`s out of it."""
    try:
        yield
    except CrmError:
        raise
    except (SalesforceError, requests.RequestException) as exc:
        raise crm_error(exc) from exc
