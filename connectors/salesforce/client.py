"""Where Salesforce is and how Leadrelay signs in: the settings read from the environment, and the
simple-salesforce client built from them.

    SALESFORCE_INSTANCE_URL   the org's My Domain URL, https://acme.my.salesforce.com (a loopback
                              http:// URL for the stand-in, as SLACK_API_URL points at Slack's)
    SALESFORCE_ACCESS_TOKEN   an OAuth access token (a session id) of the integration user

A missing or malformed variable is a `SalesforceSettingsError` naming each one, raised when the service
is built rather than at the first write.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce

from connectors.delivery import CALL_TIMEOUT

# Pinned, so a Salesforce release cannot change a shape under us: Spring '24, the newest simple-salesforce
# defaults to; every field and resource the connector uses has been in the REST API since long before.
API_VERSION = "59.0"

INSTANCE_URL = "SALESFORCE_INSTANCE_URL"
ACCESS_TOKEN = "SALESFORCE_ACCESS_TOKEN"


class SalesforceSettingsError(ValueError):
    """The environment does not say how to reach Salesforce; `problems` names each variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesforceSettings:
    instance_url: str  # scheme and host (and port), no path: https://acme.my.salesforce.com
    access_token: str = field(repr=False)  # a credential: kept out of logs and tracebacks

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SalesforceSettings:
        """The settings in `environ`. Raises SalesforceSettingsError naming every missing or bad one."""
        problems = []
        url = (environ.get(INSTANCE_URL) or "").strip().rstrip("/")
        token = (environ.get(ACCESS_TOKEN) or "").strip()
        if not url:
            problems.append(f"{INSTANCE_URL} is not set: the org's URL, such as https://acme.my.salesforce.com")
        elif problem := _url_problem(url):
            problems.append(f"{INSTANCE_URL} {problem}")
        if not token:
            problems.append(f"{ACCESS_TOKEN} is not set: an OAuth access token of the integration user")
        if problems:
            raise SalesforceSettingsError(problems)
        return cls(instance_url=url, access_token=token)


def client(settings: SalesforceSettings) -> Salesforce:
    """A simple-salesforce client for `settings`: no call is made until it is used. Every call it makes
    times out after `CALL_TIMEOUT`; not safe to share between threads (its `requests` session is not)."""
    session = _TimedSession()
    if urlsplit(settings.instance_url).scheme == "http":
        # simple-salesforce always builds https:// URLs; a loopback stand-in speaks plain HTTP.
        session.mount(f"https://{urlsplit(settings.instance_url).netloc}/", _PlainHttp())
    return Salesforce(
        instance_url=settings.instance_url,
        session_id=settings.access_token,
        version=API_VERSION,
        session=session,
        object_pairs_hook=dict,
    )


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an https URL such as https://acme.my.salesforce.com"
    if parts.path or parts.query:
        return "must be the org's URL alone, with no path: Leadrelay adds /services/data/..."
    if parts.scheme == "http" and not _loopback(parts.hostname):
        # The access token travels in every request: only a stand-in on this machine may get it in clear.
        return "may use http:// only on this machine (a stand-in); Salesforce itself is https://"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _TimedSession(requests.Session):
    """A session whose every request has a timeout: simple-salesforce passes none, and a request
    without one can hang a worker thread for as long as the connection stays open."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", CALL_TIMEOUT)
        return super().request(*args, **kwargs)


class _PlainHttp(HTTPAdapter):
    """Sends an https:// request over plain HTTP: mounted only for a loopback stand-in's address."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if request.url is not None and request.url.startswith("https://"):
            request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, *args, **kwargs)
