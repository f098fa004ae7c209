"""HubSpot's failures read into the CRM errors (`connectors.crm.api`), once, for every call.

    401                        CrmAuthError: the token is invalid, expired or revoked
    403                        CrmAuthError naming the missing scope (HubSpot's `requiredGranularScopes`,
                               else the one the call needs)
    429                        CrmRateLimited: after `Retry-After` if HubSpot sends one; a daily limit
                               (`policyName: DAILY`) until the next midnight in the account's zone; a
                               burst limit after its ten-second window
    5xx, no connection         CrmUnavailable
    any other 4xx              CrmRejected, with HubSpot's message

Error bodies are HubSpot's: ``{"status": "error", "message", "correlationId", "category", …}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import urllib3

from connectors.crm.api import CrmAuthError, CrmError, CrmRateLimited, CrmRejected, CrmUnavailable

_T = TypeVar("_T")

BURST_WAIT = 10.0  # seconds: HubSpot's burst limits are per ten seconds
TOKEN_FIX = (
    "create a new private-app access token (HubSpot: Settings → Integrations → Private Apps) and set it in "
    "HUBSPOT_TOKEN, then restart Leadrelay"
)


class RecordGone(CrmRejected):
    """404: the record asked for does not exist (deleted, or merged into another)."""


class RecordExists(CrmRejected):
    """409: the record to create exists already; `existing_id` names it when HubSpot says."""

    def __init__(self, message: str, *, existing_id: str | None) -> None:
        super().__init__(message)
        self.existing_id = existing_id


_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")


def scope_fix(scope: str) -> str:
    return f"give the private app the scope {scope} (HubSpot: Settings → Integrations → Private Apps → Scopes)"


def guarded(fn: Callable[[], _T], *, scope: str, now: datetime, account_tz: ZoneInfo) -> _T:
    """Run one client call; raise its failure as a CrmError. `scope`: what the call needs, for a 403
    that does not say."""
    try:
        return fn()
    except urllib3.exceptions.HTTPError as exc:
        raise CrmUnavailable(f"HubSpot cannot be reached: {exc.__class__.__name__}: {exc}") from exc
    except Exception as exc:
        status = getattr(exc, "status", None)
        if not isinstance(status, int):
            raise
        headers = getattr(exc, "headers", None) or {}
        raise read_error(
            status, headers, getattr(exc, "body", None), scope=scope, now=now, account_tz=account_tz
        ) from exc


def read_error(
    status: int, headers: Mapping[str, str], body: Any, *, scope: str, now: datetime, account_tz: ZoneInfo
) -> CrmError:
    """The CrmError for HubSpot's answer `status` with `body` (its JSON error document, as bytes or text)."""
    document = _document(body)
    message = str(document.get("message") or f"HTTP {status}")
    said = f"HubSpot {status}: {message}"
    if status == 401:
        return CrmAuthError(said, fix=TOKEN_FIX)
    if status == 403:
        missing = _required_scopes(document) or [scope]
        return CrmAuthError(said, fix="; ".join(scope_fix(name) for name in missing))
    if status == 429:
        return CrmRateLimited(said, after=_rate_wait(headers, document, now=now, account_tz=account_tz))
    if status >= 500:
        return CrmUnavailable(said)
    if status == 404:
        return RecordGone(said)
    if status == 409:
        existing = _EXISTING_ID.search(message)
        return RecordExists(said, existing_id=existing.group(1) if existing else None)
    return CrmRejected(said)


def _document(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body[:200]}
    return body if isinstance(body, dict) else {}


def _required_scopes(document: Mapping[str, Any]) -> list[str]:
    """The scopes a 403 says the call needs (HubSpot lists them in each error's `context`)."""
    found: list[str] = []
    for error in document.get("errors") or []:
        context = error.get("context") or {} if isinstance(error, dict) else {}
        for key in ("requiredGranularScopes", "requiredScopes"):
            found.extend(str(scope) for scope in context.get(key) or [] if str(scope) not in found)
    return found


def _rate_wait(
    headers: Mapping[str, str], document: Mapping[str, Any], *, now: datetime, account_tz: ZoneInfo
) -> float:
    """How long a 429 asks us to wait: its `Retry-After` (seconds), else by the limit's policy."""
    lowered = {key.lower(): value for key, value in headers.items()}
    value = lowered.get("retry-after")
    if value is not None and value.strip().isdigit():
        return float(value.strip())
    if str(document.get("policyName", "")).upper() == "DAILY":
        # The daily limit resets at midnight in the account's time zone, which the API does not tell us.
        local = now.astimezone(account_tz)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=account_tz)
        return max(60.0, (midnight - local).total_seconds())
    return BURST_WAIT
