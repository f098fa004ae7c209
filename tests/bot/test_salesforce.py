"""Salesforce end to end: leads in from a Flow's HTTP callout, the Lead's owner written back when a rep
claims in Slack (never handed on by an assignment rule), Leads' statuses and their converted
Opportunities read as outcomes. The real service, simple-salesforce and `standin.salesforce` on
loopback; faults are Salesforce's answers; time is the injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from routing import parse_config
from routing.config import ConfigError
from standin.salesforce import SalesforceStandin
from storage.tables import rep_results
from tests.bot.crm import accept, bob_claims_a_lead_while_he_has_no_crm_user, check_crm, config_yaml, crm_rows, health
from tests.bot.harness import INTAKE_TOKEN, Stack, running_stack

CRM = config_yaml(
    """crm:
  kind: salesforce
  properties: {rule: Leadrelay_Rule__c, reason: Leadrelay_Reason__c}
  outcomes: {poll: 5m}
outcomes: {source: salesforce}
"""
)


def flow_body(lead_id: str, email: str, **more: Any) -> dict[str, Any]:
    """What a record-triggered Flow's HTTP callout POSTs, the Lead under `lead` as an Apex-defined body
    carries it, with the `attributes` Salesforce puts on every record."""
    record = {"Email": email, "FirstName": "Casey", "LastName": "Tran", "Company": "Shop", "Status": "Open", **more}
    url = f"/services/data/v59.0/sobjects/Lead/{lead_id}"
    return {"lead": {"attributes": {"type": "Lead", "url": url}, "Id": lead_id, **record}}


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceStandin]:
    """An org whose assignment rule would give every Lead to a queue-keeper, unless told not to."""
    with SalesforceStandin(custom_fields=frozenset({"Leadrelay_Rule__c", "Leadrelay_Reason__c"})) as running:
        running.assignment_rule_owner = running.add_user("queue-keeper@example.com")
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", running.url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", running.token)
        yield running


def owner_writes(org: SalesforceStandin) -> list[tuple[str, str]]:
    """Every write that set a Lead's owner, as (Lead Id, the owner it set), in order."""
    return [(write.record_id, write.body["OwnerId"]) for write in org.writes if "OwnerId" in write.body]


async def polled(stack: Stack) -> int:
    """One outcome poll, as the scheduler runs it: how many outcomes it recorded."""
    assert stack.service.crm_polling is not None
    return await stack.service.crm_polling.poll.run()


async def test_a_flow_lead_claimed_in_slack_gets_its_salesforce_owner_once_even_across_a_crash(
    tmp_path: Path, org: SalesforceStandin, db_url: str
) -> None:
    alice = org.add_user("alice@example.com")
    lead_id = org.add_lead(Email="casey@shop.com", LastName="Tran", Company="Shop")
    url = db_url  # the same database for both processes, SQLite or PostgreSQL
    async with running_stack(tmp_path, config_yaml=CRM, database_url=url) as stack:
        org.now = stack.clock.now
        posted = await stack.intake(flow_body(lead_id, "casey@shop.com", Product_Interest__c="Routing"))
        assert posted.status == 202, posted.body
        await stack.deliver()
        assert await crm_rows(stack) == []  # assigned, not claimed: nothing written yet
        org.lose_answers(1)  # the PATCH lands, its answer does not: as if we crashed before recording it
        await accept(stack)
        assert owner_writes(org) == [(lead_id, alice)]
        [row] = await crm_rows(stack)
        assert row.sent_at is None and row.attempts == 1
        view = await stack.service.views.lead_view(1)
        assert (view.lead.source, view.lead.external_id) == ("salesforce", lead_id)
        assert view.lead.lead.extra["product_interest_c"] == "Routing"
    # A new process on the same database: the row is still owed, and goes out once more.
    async with running_stack(tmp_path, config_yaml=CRM, database_url=url) as restarted:
        org.now = restarted.clock.now
        await restarted.advance(timedelta(minutes=1))
        [row] = await crm_rows(restarted)
        assert row.sent_at is not None and row.result_ts == lead_id
    assert owner_writes(org) == [(lead_id, alice)]  # written once: the retry found it already so
    [write] = org.writes
    assert (write.method, write.headers["sforce-auto-assign"]) == ("PATCH", "FALSE")  # no assignment rule
    lead = org.leads[lead_id]
    assert lead["OwnerId"] == alice and lead["Leadrelay_Rule__c"] == "everyone-else" and lead["Leadrelay_Reason__c"]
    assert [r for r in org.requests if r.startswith(("POST", "PATCH"))] == [
        f"PATCH /services/data/v59.0/sobjects/Lead/{lead_id}"
    ]  # by the Lead's Id: no search by email, no new Lead


async def test_a_flow_body_that_is_no_lead_is_refused_naming_the_field_and_a_repeat_is_the_same_lead(
    tmp_path: Path, org: SalesforceStandin
) -> None:
    lead_id = org.add_lead(Email="casey@shop.com", LastName="Tran", Company="Shop")
    async with running_stack(tmp_path, config_yaml=CRM) as stack:
        headers = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
        sent = {"record": {"attributes": {"type": "Contact"}, "Id": "003000000000001AAA", "LastName": "T"}}
        async with stack.http.post(f"{stack.base}/leads?source=salesforce", json=sent, headers=headers) as response:
            assert response.status == 422
            assert (await response.json())["fields"][0]["field"] == "attributes"
        first = await stack.intake(flow_body(lead_id, "casey@shop.com"))
        again = await stack.intake(flow_body(lead_id, "casey@shop.com"))  # the Flow retried its callout
    assert (first.status, again.status) == (202, 200)


@pytest.mark.parametrize("fault", ["INVALID_SESSION_ID", "SERVER_UNAVAILABLE"])
async def test_a_salesforce_fault_shows_on_healthz_holds_the_writes_and_once_fixed_they_land_once(
    tmp_path: Path, org: SalesforceStandin, fault: str
) -> None:
    users = {rep: org.add_user(f"{rep}@example.com") for rep in ("alice", "bob", "carol")}
    async with running_stack(tmp_path, config_yaml=CRM) as stack:
        org.now = stack.clock.now
        for i in range(3):
            await stack.intake({"email": f"buyer{i}@shop{i}.com", "company": f"Shop {i}", "external_id": f"f-{i}"})
        await stack.deliver()
        org.fail(fault)
        for rep in users:
            await accept(stack, rep)
        status, body = await health(stack)
        expected = "SALESFORCE_ACCESS_TOKEN" if fault == "INVALID_SESSION_ID" else "SERVER_UNAVAILABLE"
        assert status == 503
        assert any(line.startswith("crm") and expected in line for line in body["problems"]), body
        assert org.writes == []
        assert len(stack.dms("alice")) >= 1  # Slack goes on regardless

        org.recover()
        await stack.advance(timedelta(minutes=15))  # past the probe, the re-check and the backoff
        await stack.advance(timedelta(minutes=15))
        assert (await health(stack))[0] == 200
        rows = await crm_rows(stack)
    assert len(rows) == 3 and all(row.sent_at is not None for row in rows)
    # Leads from a form: each created in Salesforce once, owned by its rep, no assignment rule run.
    assert sorted(owner for _, owner in owner_writes(org)) == sorted(users.values())
    assert all((w.method, w.headers["sforce-auto-assign"]) == ("POST", "FALSE") for w in org.writes)
    assert {lead["OwnerId"] for lead in org.leads.values() if lead["Email"]} == set(users.values())


async def test_with_a_connected_app_an_expired_session_holds_nothing_and_shows_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = frozenset({"Leadrelay_Rule__c", "Leadrelay_Reason__c"})
    with SalesforceStandin(custom_fields=fields, client_id="3MVG9-leadrelay", client_secret="s3cret") as org:
        org.expire_session()  # no token handed over: Leadrelay gets its own
        for name, value in [("INSTANCE_URL", org.url), ("CLIENT_ID", "3MVG9-leadrelay"), ("CLIENT_SECRET", "s3cret")]:
            monkeypatch.setenv(f"SALESFORCE_{name}", value)
        monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN", raising=False)
        users = {rep: org.add_user(f"{rep}@example.com") for rep in ("alice", "bob")}
        async with running_stack(tmp_path, config_yaml=CRM) as stack:
            org.now = stack.clock.now
            for i in range(2):
                await stack.intake({"email": f"buyer{i}@shop{i}.com", "company": f"Shop {i}", "external_id": f"f-{i}"})
            await stack.deliver()
            await accept(stack, "alice")
            org.expire_session()  # hours later, the session has timed out
            await accept(stack, "bob")
            assert (await health(stack))[0] == 200
            rows = await crm_rows(stack)
        assert [row.attempts for row in rows] == [1, 1] and all(row.sent_at is not None for row in rows)
        assert sorted(owner for _, owner in owner_writes(org)) == sorted(users.values())
        assert org.tokens_issued == 2


async def test_a_rep_without_a_salesforce_user_is_routed_anyway_and_named_on_healthz_and_by_check_crm(
    tmp_path: Path, org: SalesforceStandin
) -> None:
    alice = org.add_user("alice@example.com")  # bob, carol and dieter have no Salesforce User
    async with running_stack(tmp_path, config_yaml=CRM) as stack:
        await bob_claims_a_lead_while_he_has_no_crm_user(stack)
        assert [owner for _, owner in owner_writes(org)] == [alice]  # alice's lead is not held up

        bob = org.add_user("bob@example.com")  # someone gives him a User
        await stack.advance(timedelta(minutes=2))  # the hold's re-check finds him
        assert [owner for _, owner in owner_writes(org)] == [alice, bob]
        assert (await health(stack))[0] == 200

    config = tmp_path / "leadrelay.yml"
    config.write_text(CRM)
    code, out = await check_crm(config)
    assert code == 1
    assert "missing: carol: no salesforce user has the email carol@example.com" in out
    assert f"ok: bob is salesforce user {bob}" in out
    org.add_user("carol@example.com")
    org.add_user("dieter@example.com")
    assert (await check_crm(config))[0] == 0
    org.owner_editable = False  # an administrator takes the permission away
    code, out = await check_crm(config)
    assert code == 1 and "cannot edit Lead Owner (OwnerId)" in out


async def test_statuses_and_a_converted_leads_won_opportunity_are_recorded_once_each_and_count_in_the_wins(
    tmp_path: Path, org: SalesforceStandin
) -> None:
    org.add_user("alice@example.com")
    lead_id = org.add_lead(Email="casey@shop.com", LastName="Tran", Company="Shop")
    async with running_stack(tmp_path, config_yaml=CRM) as stack:
        org.now = stack.clock.now
        await stack.intake(flow_body(lead_id, "casey@shop.com"))
        await stack.deliver()
        await accept(stack)
        assert await polled(stack) == 0  # the first poll starts from now: nothing old is read
        stack.clock.advance(timedelta(minutes=5))
        started_working = stack.clock.now()
        org.edit_lead(lead_id, Status="Working - Contacted")
        org.add_lead(Email="stranger@else.com", LastName="S", Company="Else", Status="Closed - Not Converted")
        assert await polled(stack) == 1  # ours; the stranger's Lead is no lead of ours
        assert stack.service.crm_polling is not None and stack.service.crm_polling.poll.unmatched == 1
        stack.clock.advance(timedelta(minutes=5))
        org.edit_lead(lead_id, Phone="+1 555 0100")  # an unrelated edit re-reports "Working - Contacted"
        assert await polled(stack) == 0

        stack.clock.advance(timedelta(minutes=5))
        opportunity = org.convert_lead(lead_id)
        stack.clock.advance(timedelta(minutes=5))
        won_at = stack.clock.now()
        org.close_opportunity(opportunity, won=True, amount=1200.0)
        assert await polled(stack) == 1
        assert await polled(stack) == 0  # read again from the stored cursor: nothing twice
        stack.clock.advance(timedelta(minutes=5))
        org.close_opportunity(opportunity, won=True, amount=1500.0)  # the closed Opportunity edited: still won
        assert await polled(stack) == 0
        async with stack.service.db.read() as conn:
            won = (await conn.execute(select(rep_results.c.won).where(rep_results.c.rep_id == "alice"))).scalar_one()
        view = await stack.service.views.lead_view(1)
    assert won == 1
    outcomes = [entry for entry in view.history if entry.to_state.startswith("outcome:")]
    assert [(entry.to_state, (entry.detail or {}).get("occurred_at")) for entry in outcomes] == [
        ("outcome:working", started_working.isoformat()),
        ("outcome:won", won_at.isoformat()),
    ]
    assert (outcomes[-1].detail or {}).get("amount") == 1200.0


async def test_a_service_that_writes_to_salesforce_will_not_build_without_its_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", "https://acme.my.salesforce.com")
    with pytest.raises(ConfigError, match="crm: SALESFORCE_ACCESS_TOKEN is not set"):
        async with running_stack(tmp_path, config_yaml=CRM):
            pass


def test_hubspots_outcome_object_is_refused_with_salesforce_by_name() -> None:
    with pytest.raises(ConfigError, match=r"crm\.outcomes\.object: .*Salesforce reads Leads and their converted"):
        parse_config(config_yaml("crm: {kind: salesforce, outcomes: {object: contacts}}\n"))
