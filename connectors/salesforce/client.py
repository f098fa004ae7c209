"""Where Salesforce is and how Leadrelay signs in: the settings read from the environment, and the
simple-salesforce client built from them.

    SALESFORCE_INSTANCE_URL   the org's My Domain URL, https://acme.my.salesforce.com (a loopback
                              http:// URL for the stand-in, as SLACK_API_URL points at Slack's)
    SALESFORCE_CLIENT_ID      the connected app's consumer key and secret, with the OAuth 2.0 Client
    SALESFORCE_CLIENT_SECRET  Credentials Flow on and the integration user as its Run As user: Leadrelay
                              gets its own access tokens, and a new one whenever a session expires
    SALESFORCE_ACCESS_TOKEN   or: an access token (a session id) of the integration user, used as it is
                              until it expires (by default two hours after its last use)

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
CLIENT_ID = "SALESFORCE_CLIENT_ID"
CLIENT_SECRET = "SALESFORCE_CLIENT_SECRET"
TOKEN_PATH = "/services/oauth2/token"


class SalesforceSettingsError(ValueError):
    """The environment does not say how to reach Salesforce; `problems` names each variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesforceSettings:
    """Where the org is and how to sign in: client credentials (renewable), else an access token."""

    instance_url: str  # scheme and host (and port), no path: https://acme.my.salesforce.com
    # Credentials: kept out of logs and tracebacks.
    access_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @property
    def renewable(self) -> bool:
        """Whether Leadrelay can get a new access token itself (client credentials)."""
        return self.client_id is not None and self.client_secret is not None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SalesforceSettings:
        """The settings in `environ`. Raises SalesforceSettingsError naming every missing or bad one."""
        problems = []
        url = (environ.get(INSTANCE_URL) or "").strip().rstrip("/")
        token, client_id, secret = ((environ.get(name) or "").strip() or None for name in _CREDENTIALS)
        if not url:
            problems.append(f"{INSTANCE_URL} is not set: the org's URL, such as https://acme.my.salesforce.com")
        elif problem := _url_problem(url):
            problems.append(f"{INSTANCE_URL} {problem}")
        if (client_id is None) != (secret is None):
            given, missing = (CLIENT_ID, CLIENT_SECRET) if secret is None else (CLIENT_SECRET, CLIENT_ID)
            problems.append(f"{missing} is not set: it goes with {given}, from the same connected app")
        elif client_id is None and token is None:
            problems.append(
                f"{ACCESS_TOKEN} is not set, nor {CLIENT_ID} and {CLIENT_SECRET}: an access token of the "
                "integration user, or a connected app's client credentials for Leadrelay to get its own"
            )
        if problems:
            raise SalesforceSettingsError(problems)
        return cls(instance_url=url, access_token=token, client_id=client_id, client_secret=secret)


_CREDENTIALS = (ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET)


def client(settings: SalesforceSettings, access_token: str) -> Salesforce:
    """A simple-salesforce client of the org in `settings` with `access_token`: no call is made until it
    is used. Every call it makes times out after `CALL_TIMEOUT`; not safe to share between threads (its
    `requests` session is not)."""
    return Salesforce(
        instance_url=settings.instance_url,
        session_id=access_token,
        version=API_VERSION,
        session=_session(settings),
        object_pairs_hook=dict,
    )


def new_access_token(settings: SalesforceSettings) -> requests.Response:
    """Ask the org's token endpoint for an access token with the client credentials in `settings`
    (OAuth 2.0 Client Credentials Flow): the answer as it came, read by the caller."""
    assert settings.client_id is not None and settings.client_secret is not None, "no client credentials"
    form = {
        "grant_type": "client_credentials",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
    }
    return _session(settings).post(settings.instance_url + TOKEN_PATH, data=form)


def _session(settings: SalesforceSettings) -> requests.Session:
    session = _TimedSession()
    if urlsplit(settings.instance_url).scheme == "http":
        # simple-salesforce always builds https:// URLs; a loopback stand-in speaks plain HTTP.
        session.mount(f"https://{urlsplit(settings.instance_url).netloc}/", _PlainHttp())
    return session


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
