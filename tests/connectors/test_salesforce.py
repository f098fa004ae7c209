"""The Salesforce connector against the Salesforce stand-in (standin/salesforce.py), over real HTTP
through simple-salesforce: each CrmApi method, each fault read into the CRM taxonomy, idempotence,
and the outcome poll's paging."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from connectors.crm.api import CrmAuthError, CrmRateLimited, CrmRejected, CrmUnavailable, OwnerWrite
from connectors.salesforce.api import NO_AUTO_ASSIGN, SalesforceApi
from connectors.salesforce.client import SalesforceSettingsError
from connectors.salesforce.errors import RATE_LIMIT_WAIT, crm_error
from standin.salesforce import SalesforceStandin
from storage.model import OutcomeState


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(clock: Clock) -> Iterator[SalesforceStandin]:
    with SalesforceStandin(now=clock, custom_fields=frozenset({"Leadrelay_Rule__c"})) as org:
        yield org


def connect(org: SalesforceStandin, clock: Clock, **options: object) -> SalesforceApi:
    env = {"SALESFORCE_INSTANCE_URL": org.url, "SALESFORCE_ACCESS_TOKEN": org.token}
    return SalesforceApi.from_environ(env, clock=clock, **options)


@pytest.fixture
def api(org: SalesforceStandin, clock: Clock) -> SalesforceApi:
    return connect(org, clock)


def owner_write(**fields: object) -> OwnerWrite:
    values: dict[str, object] = {"record_id": None, "email": None, "lead": {}, "owner_id": ""}
    values.update(fields)
    return OwnerWrite(**values)  # type: ignore[arg-type]


# -- construction ------------------------------------------------------------------------------------


def test_from_environ_names_every_missing_variable() -> None:
    with pytest.raises(SalesforceSettingsError) as raised:
        SalesforceApi.from_environ({})
    assert [problem.split()[0] for problem in raised.value.problems] == [
        "SALESFORCE_INSTANCE_URL",
        "SALESFORCE_ACCESS_TOKEN",
    ]


@pytest.mark.parametrize(
    "url",
    ["http://acme.my.salesforce.com", "https://acme.my.salesforce.com/services/data", "acme.my.salesforce.com"],
)
def test_from_environ_refuses_a_url_that_would_leak_the_token_or_break_the_paths(url: str) -> None:
    with pytest.raises(SalesforceSettingsError, match="SALESFORCE_INSTANCE_URL"):
        SalesforceApi.from_environ({"SALESFORCE_INSTANCE_URL": url, "SALESFORCE_ACCESS_TOKEN": "t"})


def test_the_access_token_stays_out_of_reprs(api: SalesforceApi, org: SalesforceStandin) -> None:
    assert org.token not in repr(api.settings)


def test_a_status_mapping_naming_no_outcome_stops_the_build(org: SalesforceStandin, clock: Clock) -> None:
    with pytest.raises(ValueError, match=r"'Nurturing'.*'warm' is not an outcome"):
        connect(org, clock, status_outcomes={"Nurturing": "warm"})


# -- find_user ---------------------------------------------------------------------------------------


def test_find_user_finds_the_active_user_by_email_ignoring_case(api: SalesforceApi, org: SalesforceStandin) -> None:
    ada = org.add_user("Ada@Acme.test")
    org.add_user("gone@acme.test", active=False)
    assert api.find_user("ada@acme.TEST") == ada
    assert api.find_user("gone@acme.test") is None
    assert api.find_user("nobody@acme.test") is None


def test_find_user_escapes_the_email_in_soql(api: SalesforceApi, org: SalesforceStandin) -> None:
    obrien = org.add_user("o'brien@acme.test")
    assert api.find_user("o'brien@acme.test") == obrien
    assert api.find_user("x' OR Email != 'y@acme.test") is None


def test_a_user_found_is_remembered_and_one_not_found_is_asked_again(
    api: SalesforceApi, org: SalesforceStandin
) -> None:
    ada = org.add_user("ada@acme.test")
    api.find_user("ada@acme.test")
    api.find_user("bo@acme.test")
    asked = len(org.requests)
    assert api.find_user("ada@acme.test") == ada
    assert len(org.requests) == asked
    bo = org.add_user("bo@acme.test")
    assert api.find_user("bo@acme.test") == bo
    assert len(org.requests) == asked + 1


# -- write_owner -------------------------------------------------------------------------------------


def test_write_owner_sets_the_owner_of_the_lead_by_its_id_without_assignment_rules(
    api: SalesforceApi, org: SalesforceStandin
) -> None:
    org.assignment_rule_owner = org.add_user("queue@acme.test")
    ada = org.add_user("ada@acme.test")
    lead = org.add_lead(LastName="Lovelace", Company="Acme", Email="lead@example.test")
    assert api.write_owner(owner_write(record_id=lead, email="other@example.test", owner_id=ada)) == lead
    assert org.leads[lead]["OwnerId"] == ada
    [write] = org.writes
    assert (write.method, write.record_id, write.body) == ("PATCH", lead, {"OwnerId": ada})
    assert write.headers["sforce-auto-assign"] == NO_AUTO_ASSIGN["Sforce-Auto-Assign"]


def test_writing_the_same_owner_twice_writes_once_and_leaves_the_lead_untouched(
    api: SalesforceApi, org: SalesforceStandin, clock: Clock
) -> None:
    ada = org.add_user("ada@acme.test")
    lead = org.add_lead(LastName="Lovelace", Company="Acme")
    write = owner_write(record_id=lead, owner_id=ada, fields={"Leadrelay_Rule__c": "enterprise"})
    api.write_owner(write)
    stamped = org.leads[lead]["SystemModstamp"]
    clock.advance(60)
    assert api.write_owner(write) == lead
    assert len(org.writes) == 1
    assert org.leads[lead]["SystemModstamp"] == stamped
    assert org.leads[lead]["Leadrelay_Rule__c"] == "enterprise"


def test_only_the_fields_that_differ_are_sent(api: SalesforceApi, org: SalesforceStandin) -> None:
    ada = org.add_user("ada@acme.test")
    lead = org.add_lead(LastName="Lovelace", Company="Acme", OwnerId=ada)
    api.write_owner(owner_write(record_id=lead, owner_id=ada, fields={"Leadrelay_Rule__c": "smb"}))
    assert [write.body for write in org.writes] == [{"Leadrelay_Rule__c": "smb"}]


def test_write_owner_finds_the_open_lead_by_email(api: SalesforceApi, org: SalesforceStandin) -> None:
    ada = org.add_user("ada@acme.test")
    converted = org.add_lead(LastName="Old", Company="Acme", Email="lead@example.test")
    org.convert_lead(converted)
    lead = org.add_lead(LastName="New", Company="Acme", Email="Lead@Example.test")
    assert api.write_owner(owner_write(email="lead@example.test", owner_id=ada)) == lead
    assert org.leads[lead]["OwnerId"] == ada


def test_write_owner_creates_the_lead_once_even_when_repeated(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.assignment_rule_owner = org.add_user("queue@acme.test")
    ada = org.add_user("ada@acme.test")
    contact = {
        "email": "grace@navy.test",
        "full_name": "Grace Brewster Hopper",
        "domain": "navy.test",
        "title": "Rear Admiral",
        "employees": 5000,
        "source": "web-form",
    }
    write = owner_write(email="grace@navy.test", lead=contact, owner_id=ada)
    created = api.write_owner(write)
    assert api.write_owner(write) == created
    assert [w.method for w in org.writes] == ["POST"]
    assert org.writes[0].headers["sforce-auto-assign"] == "FALSE"
    lead = org.leads[created]
    assert (lead["FirstName"], lead["LastName"], lead["Company"]) == ("Grace Brewster", "Hopper", "navy.test")
    assert (lead["Email"], lead["Title"], lead["NumberOfEmployees"], lead["LeadSource"]) == (
        "grace@navy.test",
        "Rear Admiral",
        5000,
        "web-form",
    )
    assert lead["OwnerId"] == ada


def test_a_lead_with_no_name_or_company_is_created_with_salesforces_required_fields(
    api: SalesforceApi, org: SalesforceStandin
) -> None:
    ada = org.add_user("ada@acme.test")
    created = api.write_owner(owner_write(email="x9@example.test", lead={"phone": "+44 20"}, owner_id=ada))
    assert (org.leads[created]["LastName"], org.leads[created]["Company"]) == ("x9", "Unknown")


def test_writes_from_several_worker_threads_each_land_once(api: SalesforceApi, org: SalesforceStandin) -> None:
    ada = org.add_user("ada@acme.test")
    leads = [org.add_lead(LastName=f"L{n}", Company="Acme") for n in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        written = list(pool.map(lambda lead: api.write_owner(owner_write(record_id=lead, owner_id=ada)), leads))
    assert written == leads
    assert sorted(write.record_id for write in org.writes) == sorted(leads)
    assert {org.leads[lead]["OwnerId"] for lead in leads} == {ada}


@pytest.mark.parametrize("how", ["deleted", "converted", "no such user", "unknown field", "not an id"])
def test_a_write_salesforce_refuses_is_rejected(api: SalesforceApi, org: SalesforceStandin, how: str) -> None:
    ada = org.add_user("ada@acme.test")
    lead = org.add_lead(LastName="Lovelace", Company="Acme")
    write = owner_write(record_id=lead, owner_id=ada)
    if how == "deleted":
        org.delete_lead(lead)
    elif how == "converted":
        org.convert_lead(lead)
    elif how == "no such user":
        write = owner_write(record_id=lead, owner_id="005000000000999AAA")
    elif how == "unknown field":
        write = owner_write(record_id=lead, owner_id=ada, fields={"No_Such__c": "x"})
    else:
        write = owner_write(record_id="00Q/../../limits", owner_id=ada)
    with pytest.raises(CrmRejected):
        api.write_owner(write)
    assert org.writes == []


# -- faults ------------------------------------------------------------------------------------------


def test_a_revoked_token_is_an_auth_error_saying_how_to_fix_it(org: SalesforceStandin, clock: Clock) -> None:
    org.token = "00Dstandin!a-new-token"
    api = connect(org, clock)
    org.token = "00Dstandin!revoked"
    with pytest.raises(CrmAuthError, match="INVALID_SESSION_ID") as raised:
        api.find_user("ada@acme.test")
    assert "SALESFORCE_ACCESS_TOKEN" in raised.value.fix


# -- client credentials: Leadrelay's own access tokens ------------------------------------------------

CLIENT = {"SALESFORCE_CLIENT_ID": "3MVG9-leadrelay", "SALESFORCE_CLIENT_SECRET": "s3cret"}


@pytest.fixture
def app_org(clock: Clock) -> Iterator[SalesforceStandin]:
    """An org with a connected app for the Client Credentials Flow, and no token handed out yet."""
    with SalesforceStandin(now=clock, client_id=CLIENT["SALESFORCE_CLIENT_ID"], client_secret="s3cret") as org:
        org.expire_session()
        yield org


def connect_app(org: SalesforceStandin, clock: Clock, **env: str) -> SalesforceApi:
    return SalesforceApi.from_environ({"SALESFORCE_INSTANCE_URL": org.url, **CLIENT, **env}, clock=clock)


def test_with_client_credentials_the_first_call_gets_a_token_and_an_expired_session_a_new_one(
    app_org: SalesforceStandin, clock: Clock
) -> None:
    api = connect_app(app_org, clock)
    assert app_org.requests == []  # nothing asked for until the first call
    ada = app_org.add_user("ada@acme.test")
    assert api.find_user("ada@acme.test") == ada
    assert app_org.tokens_issued == 1
    lead = app_org.add_lead(LastName="Lovelace", Company="Acme")
    app_org.expire_session()  # the session timed out between two writes
    assert api.write_owner(owner_write(record_id=lead, owner_id=ada)) == lead
    assert app_org.tokens_issued == 2
    assert [(write.record_id, write.body) for write in app_org.writes] == [(lead, {"OwnerId": ada})]
    assert app_org.requests.count("POST /services/oauth2/token") == 2


def test_a_given_access_token_is_used_first_and_renewed_by_the_client_credentials(
    app_org: SalesforceStandin, clock: Clock
) -> None:
    app_org.token = "00Dstandin!handed-over"
    api = connect_app(app_org, clock, SALESFORCE_ACCESS_TOKEN="00Dstandin!handed-over")
    assert api.find_user("nobody@acme.test") is None
    assert app_org.tokens_issued == 0
    app_org.expire_session()
    assert api.find_user("nobody@acme.test") is None
    assert app_org.tokens_issued == 1


def test_threads_meeting_one_expired_session_get_one_new_token_between_them(
    app_org: SalesforceStandin, clock: Clock
) -> None:
    api = connect_app(app_org, clock)
    emails = [f"rep{n}@acme.test" for n in range(8)]
    users = [app_org.add_user(email) for email in emails]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: api.check(), range(8)))  # every thread has its client and the first token
        app_org.expire_session()
        assert list(pool.map(api.find_user, emails)) == users
    assert app_org.tokens_issued == 2


def test_client_credentials_the_org_refuses_are_an_auth_error_naming_them(
    app_org: SalesforceStandin, clock: Clock
) -> None:
    api = connect_app(app_org, clock, SALESFORCE_CLIENT_SECRET="wrong")
    with pytest.raises(CrmAuthError, match="invalid_client: invalid client credentials") as raised:
        api.find_user("ada@acme.test")
    assert "SALESFORCE_CLIENT_SECRET" in raised.value.fix and "Client Credentials Flow" in raised.value.fix
    [problem] = api.check()
    assert "invalid_client" in problem and "SALESFORCE_CLIENT_ID" in problem


def test_a_new_token_refused_as_well_says_to_check_the_connected_app(app_org: SalesforceStandin, clock: Clock) -> None:
    api = connect_app(app_org, clock)
    app_org.fail("INVALID_SESSION_ID")  # every token, old and new: the Run As user lost its access
    with pytest.raises(CrmAuthError, match="INVALID_SESSION_ID") as raised:
        api.find_user("ada@acme.test")
    assert "Run As" in raised.value.fix
    assert app_org.tokens_issued == 2  # the first, and one more after the refusal: not a loop


def test_a_token_endpoint_that_fails_is_unavailable(app_org: SalesforceStandin, clock: Clock) -> None:
    api = connect_app(app_org, clock)
    app_org.stop()
    with pytest.raises(CrmUnavailable):
        api.find_user("ada@acme.test")


def test_an_expired_session_without_client_credentials_asks_for_no_token(
    org: SalesforceStandin, api: SalesforceApi
) -> None:
    org.expire_session()
    with pytest.raises(CrmAuthError, match="INVALID_SESSION_ID"):
        api.find_user("ada@acme.test")
    assert "POST /services/oauth2/token" not in org.requests


@pytest.mark.parametrize("given", ["SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"])
def test_one_half_of_the_client_credentials_names_the_other(given: str) -> None:
    env = {"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com", "SALESFORCE_ACCESS_TOKEN": "00D!x", given: "x"}
    with pytest.raises(SalesforceSettingsError) as raised:
        SalesforceApi.from_environ(env)
    [other] = set(CLIENT) - {given}
    assert raised.value.problems == [f"{other} is not set: it goes with {given}, from the same connected app"]


def test_the_daily_request_limit_is_a_rate_limit_with_a_wait(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.fail("REQUEST_LIMIT_EXCEEDED", times=1)
    with pytest.raises(CrmRateLimited) as raised:
        api.find_user("ada@acme.test")
    assert raised.value.after == RATE_LIMIT_WAIT
    assert api.find_user("ada@acme.test") is None  # the limit was for one call only


def test_insufficient_access_is_an_auth_error_naming_the_permission(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.fail("INSUFFICIENT_ACCESS")
    with pytest.raises(CrmAuthError) as raised:
        api.write_owner(owner_write(record_id=org.add_lead(LastName="L", Company="C"), owner_id="x"))
    assert "Edit on Lead" in raised.value.fix


def test_a_server_error_is_unavailable(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.fail("SERVER_UNAVAILABLE")
    with pytest.raises(CrmUnavailable, match="503"):
        api.read_outcomes(api.read_outcomes(None).cursor)


def test_an_org_that_does_not_answer_is_unavailable(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.stop()
    with pytest.raises(CrmUnavailable, match="could not be reached"):
        api.find_user("ada@acme.test")


def test_a_user_who_may_not_read_users_or_set_owners_is_an_auth_error(
    api: SalesforceApi, org: SalesforceStandin
) -> None:
    ada = org.add_user("ada@acme.test")
    org.users_readable = False
    with pytest.raises(CrmAuthError, match="INVALID_TYPE"):
        api.find_user("ada@acme.test")
    org.owner_editable = False
    with pytest.raises(CrmAuthError, match="INVALID_FIELD_FOR_INSERT_UPDATE") as raised:
        api.write_owner(owner_write(record_id=org.add_lead(LastName="L", Company="C"), owner_id=ada))
    assert "Lead Owner" in raised.value.fix


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (requests.ConnectTimeout("connect timed out"), CrmUnavailable),
        (requests.ReadTimeout("read timed out"), CrmUnavailable),
        (requests.JSONDecodeError("Expecting value", "<html>", 0), CrmUnavailable),
        (
            SalesforceGeneralError("u", 500, "query", [{"errorCode": "UNKNOWN_EXCEPTION", "message": "x"}]),
            CrmUnavailable,
        ),
        (SalesforceGeneralError("u", 502, "query", b"<html>Bad gateway</html>"), CrmUnavailable),
        (SalesforceAuthenticationFailed("invalid_grant", "expired access/refresh token"), CrmAuthError),
        (
            SalesforceRefusedRequest("u", 403, "query", [{"errorCode": "API_CURRENTLY_DISABLED", "message": "x"}]),
            CrmAuthError,
        ),
        (SalesforceMalformedRequest("u", 400, "Lead", [{"errorCode": "STRING_TOO_LONG", "message": "x"}]), CrmRejected),
    ],
    ids=["connect timeout", "read timeout", "not json", "500", "502 html", "login", "api disabled", "too long"],
)
def test_client_errors_are_read_into_the_crm_taxonomy(error: Exception, kind: type[Exception]) -> None:
    assert type(crm_error(error)) is kind


def test_an_api_disabled_refusal_says_which_permission() -> None:
    error = SalesforceRefusedRequest("u", 403, "query", [{"errorCode": "API_CURRENTLY_DISABLED", "message": "x"}])
    translated = crm_error(error)
    assert isinstance(translated, CrmAuthError)
    assert "API Enabled" in translated.fix


def test_the_standin_refuses_soql_outside_what_it_understands(org: SalesforceStandin) -> None:
    sf = SalesforceApi.from_environ({"SALESFORCE_INSTANCE_URL": org.url, "SALESFORCE_ACCESS_TOKEN": org.token})
    client: Salesforce = sf._client()[0]
    for soql in ("SELECT COUNT() FROM Lead", "SELECT Id FROM Lead WHERE Email LIKE 'a%'", "SELECT Id FROM Lead x"):
        with pytest.raises(SalesforceMalformedRequest, match="MALFORMED_QUERY"):
            client.query(soql)
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_FIELD"):
        client.query("SELECT Id, Secret FROM Lead")


# -- read_outcomes -----------------------------------------------------------------------------------


def test_the_first_poll_reads_nothing_old(api: SalesforceApi, org: SalesforceStandin, clock: Clock) -> None:
    org.add_lead(LastName="Old", Company="Acme", Status="Working - Contacted")
    clock.advance(1)
    first = api.read_outcomes(None)
    assert (list(first.outcomes), first.more) == ([], False)
    assert api.read_outcomes(first.cursor).outcomes == []


def test_lead_statuses_are_mapped_and_unmapped_ones_say_nothing(
    api: SalesforceApi, org: SalesforceStandin, clock: Clock
) -> None:
    working = org.add_lead(LastName="A", Company="Acme", Email="a@example.test")
    lost = org.add_lead(LastName="B", Company="Acme")
    quiet = org.add_lead(LastName="C", Company="Acme")
    cursor = api.read_outcomes(None).cursor
    clock.advance(5)
    org.edit_lead(working, Status="Working - Contacted")
    clock.advance(5)
    org.edit_lead(lost, Status="Closed - Not Converted")
    org.edit_lead(quiet, Status="Open - Not Contacted")
    page = api.read_outcomes(cursor)
    assert [(o.record_id, o.email, o.state) for o in page.outcomes] == [
        (working, "a@example.test", OutcomeState.WORKING),
        (lost, None, OutcomeState.LOST),
    ]
    assert page.outcomes[0].occurred_at == clock.now - timedelta(seconds=5)
    assert api.read_outcomes(page.cursor).outcomes == []


def test_a_configured_status_mapping_replaces_the_default(org: SalesforceStandin, clock: Clock) -> None:
    api = connect(org, clock, status_outcomes={"Unqualified": "disqualified"})
    lead = org.add_lead(LastName="A", Company="Acme")
    cursor = api.read_outcomes(None).cursor
    clock.advance(1)
    org.edit_lead(lead, Status="Unqualified")
    other = org.add_lead(LastName="B", Company="Acme", Status="Working - Contacted")
    states = {o.record_id: o.state for o in api.read_outcomes(cursor).outcomes}
    assert states == {lead: OutcomeState.DISQUALIFIED}
    assert other not in states


def test_a_converted_lead_reports_its_opportunity_won_with_the_amount_or_lost(
    api: SalesforceApi, org: SalesforceStandin, clock: Clock
) -> None:
    winner = org.add_lead(LastName="A", Company="Acme", Email="a@example.test")
    loser = org.add_lead(LastName="B", Company="Acme")
    cursor = api.read_outcomes(None).cursor
    clock.advance(1)
    won_deal, lost_deal = org.convert_lead(winner), org.convert_lead(loser)
    page = api.read_outcomes(cursor)
    assert [(o.record_id, o.state) for o in page.outcomes] == [
        (winner, OutcomeState.WORKING),
        (loser, OutcomeState.WORKING),
    ]
    clock.advance(3600)
    org.close_opportunity(won_deal, won=True, amount=48000.0)
    clock.advance(1)
    org.close_opportunity(lost_deal, won=False)
    later = api.read_outcomes(page.cursor)
    assert [(o.record_id, o.email, o.state, o.amount) for o in later.outcomes] == [
        (winner, "a@example.test", OutcomeState.WON, 48000.0),
        (loser, None, OutcomeState.LOST, None),
    ]
    assert later.outcomes[0].occurred_at == clock.now - timedelta(seconds=1)


def test_a_converted_lead_is_told_by_its_opportunity_alone_whatever_its_status_maps_to(
    org: SalesforceStandin, clock: Clock
) -> None:
    api = connect(org, clock, status_outcomes={"Closed - Converted": "won"})
    lead = org.add_lead(LastName="A", Company="Acme")
    cursor = api.read_outcomes(None).cursor
    clock.advance(1)
    org.convert_lead(lead)
    assert [o.state for o in api.read_outcomes(cursor).outcomes] == [OutcomeState.WORKING]


def test_pages_split_inside_one_second_lose_and_repeat_nothing(org: SalesforceStandin, clock: Clock) -> None:
    api = connect(org, clock, page=2)
    leads = [org.add_lead(LastName=f"L{n}", Company="Acme") for n in range(5)]
    cursor = api.read_outcomes(None).cursor
    clock.advance(1)
    for lead in leads:  # all five in the same second
        org.edit_lead(lead, Status="Working - Contacted")
    seen, pages = [], []
    while True:
        page = api.read_outcomes(cursor)
        seen.extend(o.record_id for o in page.outcomes)
        pages.append(page.more)
        cursor = page.cursor
        if not page.more:
            break
    assert seen == leads
    assert pages == [True, True, False]


def test_a_cursor_that_is_not_one_is_rejected(api: SalesforceApi) -> None:
    with pytest.raises(CrmRejected, match="cursor"):
        api.read_outcomes("2026-12-05")


# -- check -------------------------------------------------------------------------------------------


def test_check_finds_nothing_wrong_with_a_good_token(api: SalesforceApi) -> None:
    assert api.check() == []


def test_check_says_the_token_is_refused_and_how_to_fix_it(org: SalesforceStandin, clock: Clock) -> None:
    api = connect(org, clock)
    org.token = "00Dstandin!rotated"
    [problem] = api.check()
    assert "INVALID_SESSION_ID" in problem
    assert "SALESFORCE_ACCESS_TOKEN" in problem


def test_check_names_each_missing_permission(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.owner_editable = False
    org.users_readable = False
    problems = api.check()
    assert len(problems) == 2
    assert "Lead Owner" in problems[0]
    assert "cannot read Users" in problems[1]


def test_check_raises_when_salesforce_cannot_be_reached(api: SalesforceApi, org: SalesforceStandin) -> None:
    org.fail("SERVER_UNAVAILABLE")
    with pytest.raises(CrmUnavailable):
        api.check()
