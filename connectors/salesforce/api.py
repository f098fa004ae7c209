"""`SalesforceApi`: the `connectors.crm.CrmApi` contract on a Salesforce org's Lead object, through
simple-salesforce.

    api = SalesforceApi.from_environ(os.environ)           # SALESFORCE_INSTANCE_URL, and the credentials
    owner = api.find_user("ada@acme.test")                 # the active User with that email
    lead_id = api.write_owner(OwnerWrite(record_id=None, email="lead@example.test", lead={...}, owner_id=owner))
    page = api.read_outcomes(cursor)                       # Leads' status and converted Opportunities
    problems = api.check()                                 # the token, Lead and User permissions

Each call is made from a worker thread (the clients are synchronous); each thread gets its own client,
so no `requests` session is shared between threads, and the User cache is behind a lock. With client
credentials, the access token is asked for at the first call and again whenever Salesforce says the
session expired, by one thread for all (the call that met the expiry then runs once more).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.format import format_soql

from connectors.crm.api import (
    CrmAuthError,
    CrmOutcome,
    CrmRateLimited,
    CrmRejected,
    CrmUnavailable,
    OutcomePage,
    OwnerWrite,
)
from connectors.salesforce.client import SalesforceSettings, client, new_access_token
from connectors.salesforce.errors import CREDENTIALS_FIX, SessionExpired, token_refusal, translated
from connectors.salesforce.outcomes import (
    PAGE,
    Cursor,
    Position,
    changed_since,
    checked_status_outcomes,
    outcome,
    stamp,
)
from connectors.salesforce.records import is_salesforce_id, new_lead_fields

# Without it, a Lead assignment rule may run on the write and hand the Lead to whoever the rule says,
# overwriting the owner the rep just claimed.
NO_AUTO_ASSIGN = {"Sforce-Auto-Assign": "FALSE"}

_USER_BY_EMAIL = "SELECT Id FROM User WHERE Email = {} AND IsActive = true LIMIT 1"
# The oldest open Lead with the email: a returning person whose earlier Lead was converted is a new
# inquiry, and gets a Lead of their own.
_LEAD_BY_EMAIL = "SELECT Id FROM Lead WHERE Email = {} AND IsConverted = false ORDER BY CreatedDate LIMIT 1"


_T = TypeVar("_T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SalesforceApi:
    """One Salesforce org. `status_outcomes`: Lead Status → outcome name (`won`, `lost`, `working`,
    `disqualified`, `reopened`), replacing `outcomes.DEFAULT_STATUS_OUTCOMES`; checked here, so a typo
    stops the service being built. `clock` and `page` are for tests."""

    name = "salesforce"

    def __init__(
        self,
        settings: SalesforceSettings,
        *,
        status_outcomes: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = _utc_now,
        page: int = PAGE,
    ) -> None:
        self.settings = settings
        self.status_outcomes = checked_status_outcomes(status_outcomes)
        self._clock = clock
        self._page = page
        self._clients = threading.local()  # this thread's client, and the access token it was made with
        self._token = settings.access_token  # the current one; None until the first is asked for
        self._token_lock = threading.Lock()
        self._users: dict[str, str] = {}  # email (lower case) → User Id, for the life of the process
        self._users_lock = threading.Lock()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **options: Any) -> SalesforceApi:
        """Built from SALESFORCE_INSTANCE_URL and the credentials in `environ` (`client.SalesforceSettings`); raises
        `SalesforceSettingsError` naming each one missing. `options` as for the constructor."""
        return cls(SalesforceSettings.from_environ(environ), **options)

    def find_user(self, email: str) -> str | None:
        """The active User with `email` (as Salesforce compares it: ignoring case). A User found is
        remembered; one not found is asked for again next time, so a rep given a User later is found
        without a restart."""
        key = email.strip().lower()
        with self._users_lock:
            if key in self._users:
                return self._users[key]
        records = self._query(format_soql(_USER_BY_EMAIL, key))
        if not records:
            return None
        user_id = str(records[0]["Id"])
        with self._users_lock:
            self._users[key] = user_id
        return user_id

    def write_owner(self, write: OwnerWrite) -> str:
        """Make `write.owner_id` the Lead's owner, with `write.fields`, without assignment rules. The Lead
        is `write.record_id`, else the open Lead with `write.email`, else a new one made from
        `write.lead`. Only the fields whose values differ are sent, and nothing when none does: a
        repeat changes nothing (not even the Lead's `SystemModstamp`, which the outcome poll reads)."""
        wanted: dict[str, Any] = {**write.fields, "OwnerId": write.owner_id}
        if write.record_id is not None and not is_salesforce_id(write.record_id):
            raise CrmRejected(f"{write.record_id!r} is not a Salesforce record Id")

        def write_with(sf: Salesforce) -> str:
            leads = _sobject(sf, "Lead")
            record_id = write.record_id or self._open_lead(sf, write.email)
            if record_id is None:
                created = leads.create({**new_lead_fields(write.lead, write.email), **wanted}, headers=NO_AUTO_ASSIGN)
                return str(created["id"])
            current = leads.get(record_id)
            changes = {field: value for field, value in wanted.items() if current.get(field) != value}
            if changes:
                leads.update(record_id, changes, headers=NO_AUTO_ASSIGN)
            return str(current["Id"])

        return self._call(write_with)

    def read_outcomes(self, cursor: str | None) -> OutcomePage:
        """Outcomes of Leads changed after `cursor`, oldest first: from Lead statuses (through the status
        mapping) and from converted Leads' Opportunities (won with its amount, lost, or working while
        open). None: the first poll, which reads nothing and starts the cursor at the present."""
        if cursor is None:
            return OutcomePage(outcomes=[], cursor=str(Cursor.starting(self._clock())))
        try:
            start = Cursor.parse(cursor)
        except ValueError as exc:
            raise CrmRejected(str(exc)) from None
        outcomes: list[CrmOutcome] = []
        positions: dict[str, Position] = {}
        more = False
        for stream, position in start.positions().items():
            records = self._query(changed_since(stream, position, self._page))
            for record in records:
                position = Position(stamp(stream, record), str(record["Id"]))
                if (reported := outcome(stream, record, self.status_outcomes)) is not None:
                    outcomes.append(reported)
            positions[stream] = position
            more = more or len(records) >= self._page
        outcomes.sort(key=lambda reported: reported.occurred_at)
        return OutcomePage(outcomes=outcomes, cursor=str(Cursor(**positions)), more=more)

    def check(self) -> Sequence[str]:
        """One line per problem with the token or its permissions: it is accepted; the API allowance is
        not spent; it may create, read and edit Leads and their owner; it may read Users. Raises
        `CrmUnavailable` when Salesforce cannot be reached."""
        try:
            limits = self._call(lambda sf: sf.limits())
        except (CrmAuthError, CrmRateLimited) as exc:
            return [_problem(exc)]  # nothing else can be asked with this token
        except CrmRejected as exc:
            return [f"Salesforce refused the limits request: {exc}"]
        problems = []
        daily = limits.get("DailyApiRequests") or {}
        if daily.get("Remaining") == 0:
            problems.append(f"the org's daily API allowance ({daily.get('Max')} requests) is spent")
        for sobject, check in (("Lead", _lead_problems), ("User", _user_problems)):
            try:
                described = self._describe(sobject)
            except (CrmAuthError, CrmRateLimited, CrmRejected) as exc:
                problems.append(f"{sobject}: {_problem(exc)}")
                continue
            problems.extend(check(described))
        return problems

    def _query(self, soql: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self._call(lambda sf: sf.query(soql))["records"]
        return records

    def _describe(self, sobject: str) -> dict[str, Any]:
        described: dict[str, Any] = self._call(lambda sf: _sobject(sf, sobject).describe())
        return described

    def _call(self, work: Callable[[Salesforce], _T]) -> _T:
        """`work(client)` with this thread's client, raising only `CrmError`s. When Salesforce says the
        session expired and a new token can be had, `work` runs once more with it."""
        for renewed in (False, True):
            sf, token = self._client()
            try:
                with translated():
                    return work(sf)
            except SessionExpired as expired:
                if not self.settings.renewable:
                    raise
                if renewed:  # a brand-new token refused: the Run As user, not the session
                    raise CrmAuthError(str(expired), fix=CREDENTIALS_FIX) from expired
                self._renew(expired=token)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _client(self) -> tuple[Salesforce, str]:
        """This thread's client, made anew when the access token changed, and the token it uses."""
        with self._token_lock:
            if self._token is None:
                self._token = self._new_token()
            token = self._token
        if getattr(self._clients, "token", None) != token:
            self._clients.sf, self._clients.token = client(self.settings, token), token
        sf: Salesforce = self._clients.sf
        return sf, token

    def _renew(self, *, expired: str) -> None:
        """A new access token in place of `expired`, unless another thread has already got one."""
        with self._token_lock:
            if self._token == expired:
                self._token = self._new_token()

    def _new_token(self) -> str:
        with translated():
            response = new_access_token(self.settings)
        if response.status_code != 200:
            raise token_refusal(response)
        try:
            return str(response.json()["access_token"])
        except (ValueError, KeyError, TypeError):
            raise CrmUnavailable("Salesforce's token endpoint answered 200 without an access token") from None

    @staticmethod
    def _open_lead(sf: Salesforce, email: str | None) -> str | None:
        if not email:
            return None
        records = sf.query(format_soql(_LEAD_BY_EMAIL, email))["records"]
        return str(records[0]["Id"]) if records else None


def _sobject(sf: Salesforce, name: str) -> SFType:
    """`sf.Lead`, typed: simple-salesforce's attribute access may also give its bulk handlers."""
    sobject = getattr(sf, name)
    assert isinstance(sobject, SFType), name
    return sobject


def _problem(exc: Exception) -> str:
    fix = getattr(exc, "fix", None)
    return f"{exc}: {fix}" if fix else str(exc)


def _lead_problems(described: Mapping[str, Any]) -> list[str]:
    problems = []
    for permission, what in (("queryable", "Read"), ("createable", "Create"), ("updateable", "Edit")):
        if not described.get(permission):
            problems.append(f"the integration user lacks {what} on Lead: grant it in a permission set")
    owner = next((field for field in described.get("fields", []) if field.get("name") == "OwnerId"), None)
    if owner is None or not owner.get("updateable"):
        problems.append(
            "the integration user cannot edit Lead Owner (OwnerId): grant Edit on Lead and 'Transfer Leads'"
        )
    return problems


def _user_problems(described: Mapping[str, Any]) -> list[str]:
    if described.get("queryable"):
        return []
    return ["the integration user cannot read Users, so no rep can be matched to a Salesforce User"]
