"""HubSpot end to end: leads in from a HubSpot workflow's webhook, the owner written back when a rep
claims in Slack, deals closed in HubSpot recorded as outcomes. The real service, the official
`hubspot-api-client` and `standin.hubspot` on loopback; faults are HubSpot's answers; time is the
injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from routing import parse_config
from routing.config import ConfigError
from standin.hubspot import HubSpotStandin
from storage.tables import outbox, rep_results
from tests.bot.crm import accept, bob_claims_a_lead_while_he_has_no_crm_user, check_crm, crm_rows, health
from tests.bot.crm import config_yaml as crm_config_yaml
from tests.bot.harness import PEOPLE, running_stack

ALICE = PEOPLE["alice"][0]
CRM = """crm:
  kind: hubspot
  properties: {rule: leadrelay_rule, reason: leadrelay_reason}
  outcomes: {poll: 5m}
outcomes: {source: hubspot}
"""


def config_yaml(crm: str = CRM) -> str:
    return crm_config_yaml(crm)


def workflow_body(contact_id: str, email: str, **more: str) -> dict[str, Any]:
    """What a contact-based HubSpot workflow's "Send a webhook" action POSTs: the contact as the
    object API gives it, each property wrapped with its value and history."""
    properties = {"email": email, "firstname": "Casey", "lastname": "Tran", "company": "Shop", **more}
    return {
        "vid": int(contact_id),
        "canonical-vid": int(contact_id),
        "portal-id": 62515,
        "is-contact": True,
        "properties": {
            name: {"value": value, "versions": [{"value": value, "source-type": "FORM"}]}
            for name, value in {**properties, "hs_object_id": contact_id, "hs_analytics_source": "DIRECT"}.items()
        },
    }


@pytest.fixture
async def hubspot(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HubSpotStandin]:
    async with HubSpotStandin() as running:
        monkeypatch.setenv("HUBSPOT_TOKEN", running.token)
        monkeypatch.setenv("HUBSPOT_API_URL", running.url)
        yield running


async def test_a_workflow_lead_claimed_in_slack_gets_its_hubspot_owner_once_even_across_a_crash(
    tmp_path: Path, hubspot: HubSpotStandin, db_url: str
) -> None:
    alice = hubspot.add_owner("alice@example.com")
    contact = hubspot.add_contact(email="casey@shop.com", firstname="Casey")
    url = db_url  # the same database for both processes, SQLite or PostgreSQL
    async with running_stack(tmp_path, config_yaml=config_yaml(), database_url=url) as stack:
        hubspot.now = stack.clock.now
        posted = await stack.intake(workflow_body(contact, "casey@shop.com", intent="demo"))
        assert posted.status == 202, posted.body
        await stack.deliver()
        assert await crm_rows(stack) == []  # assigned, not claimed: nothing written yet
        hubspot.lose_answers(1)  # the PATCH lands, the answer does not: as if we crashed before recording it
        await accept(stack)
        assert hubspot.owner_changes == [(contact, alice)]
        [row] = await crm_rows(stack)
        assert row.sent_at is None and row.attempts == 1
    # A new process on the same database: the row is still owed, and goes out once more.
    async with running_stack(tmp_path, config_yaml=config_yaml(), database_url=url) as restarted:
        hubspot.now = restarted.clock.now
        await restarted.advance(timedelta(minutes=1))
        [row] = await crm_rows(restarted)
        assert row.sent_at is not None and row.result_ts == contact
        async with restarted.service.db.read() as conn:
            lead = (await conn.execute(select(outbox.c.payload).where(outbox.c.id == row.id))).scalar_one()
    assert hubspot.owner_changes == [(contact, alice)]  # written once: the retry found it already so
    properties = hubspot.contacts[contact]["properties"]
    assert properties["hubspot_owner_id"] == alice
    assert properties["leadrelay_rule"] == "everyone-else" and properties["leadrelay_reason"]
    assert lead["record_id"] == contact and lead["lead"]["email"] == "casey@shop.com"
    patches = [call for call in hubspot.calls if call[0] == "PATCH"]
    assert [status for *_, status in patches] == [502, 200]  # by the contact's id: no search, no create


async def test_a_lead_from_elsewhere_is_found_in_hubspot_by_email_or_created_there(
    tmp_path: Path, hubspot: HubSpotStandin
) -> None:
    alice, bob = hubspot.add_owner("alice@example.com"), hubspot.add_owner("bob@example.com")
    known = hubspot.add_contact(email="known@shop.com")
    async with running_stack(tmp_path, config_yaml=config_yaml()) as stack:
        await stack.intake({"email": "known@shop.com", "company": "Shop", "external_id": "form-1"})
        await stack.intake({"email": "new@other.com", "first_name": "Nia", "company": "Other", "external_id": "form-2"})
        await stack.deliver()
        await accept(stack, "alice")
        await accept(stack, "bob")
    created = next(cid for cid, c in hubspot.contacts.items() if c["properties"].get("email") == "new@other.com")
    assert hubspot.owner_of(known) == alice
    assert hubspot.contacts[created]["properties"]["firstname"] == "Nia"
    assert hubspot.owner_of(created) == bob
    assert [method for method, path, _ in hubspot.calls if path == "/crm/v3/objects/contacts"] == ["POST"]


@pytest.mark.parametrize("fault", ["token revoked", "scope missing", "server error"])
async def test_a_hubspot_fault_shows_on_healthz_holds_the_write_and_once_fixed_it_lands_once(
    tmp_path: Path, hubspot: HubSpotStandin, fault: str
) -> None:
    alice = hubspot.add_owner("alice@example.com")
    async with running_stack(tmp_path, config_yaml=config_yaml()) as stack:
        hubspot.now = stack.clock.now
        for i in range(3):
            await stack.intake({"email": f"buyer{i}@shop{i}.com", "company": f"Shop {i}", "external_id": f"f-{i}"})
        await stack.deliver()
        match fault:
            case "token revoked":
                hubspot.revoke_token()
                expected = "HUBSPOT_TOKEN"
            case "scope missing":
                hubspot.revoke_scope("crm.objects.contacts.write")
                expected = "crm.objects.contacts.write"
            case _:
                hubspot.fail(500)
                expected = "HubSpot 500"
        for rep in ("alice", "bob", "carol"):
            await accept(stack, rep)
        status, body = await health(stack)
        assert status == 503
        assert any(line.startswith("crm") and expected in line for line in body["problems"]), body
        assert hubspot.owner_changes == []
        assert len(stack.dms("alice")) >= 1  # Slack goes on regardless

        hubspot.recover()
        hubspot.add_owner("bob@example.com")
        hubspot.add_owner("carol@example.com")
        await stack.advance(timedelta(minutes=15))  # past the probe, the re-check and the backoff
        await stack.advance(timedelta(minutes=15))
        assert (await health(stack))[0] == 200
        rows = await crm_rows(stack)
    assert len(rows) == 3 and all(row.sent_at is not None for row in rows)
    assert len(hubspot.owner_changes) == 3  # each lead's owner, once
    assert alice in {owner for _, owner in hubspot.owner_changes}


async def test_a_429_waits_as_long_as_hubspot_says(tmp_path: Path, hubspot: HubSpotStandin) -> None:
    hubspot.add_owner("alice@example.com")
    async with running_stack(tmp_path, config_yaml=config_yaml()) as stack:
        await stack.intake({"email": "b@shop.com", "company": "Shop", "external_id": "f-1"})
        await stack.deliver()
        hubspot.fail(429, retry_after="120", times=1)
        await accept(stack)
        await stack.advance(timedelta(seconds=60))  # the schedule alone would have retried after ~5 s
        assert hubspot.owner_changes == []
        await stack.advance(timedelta(seconds=61))
        [row] = await crm_rows(stack)
    assert row.sent_at is not None and row.attempts == 2 and len(hubspot.owner_changes) == 1


async def test_a_rep_without_a_hubspot_owner_is_routed_anyway_and_named_on_healthz_and_by_check_crm(
    tmp_path: Path, hubspot: HubSpotStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = hubspot.add_owner("alice@example.com")  # bob and carol have no HubSpot user
    async with running_stack(tmp_path, config_yaml=config_yaml()) as stack:
        await bob_claims_a_lead_while_he_has_no_crm_user(stack)
        assert [owner for _, owner in hubspot.owner_changes] == [alice]  # alice's lead is not held up

        bob = hubspot.add_owner("bob@example.com")  # someone adds him in HubSpot
        await stack.advance(timedelta(minutes=2))  # the hold's re-check finds him
        assert [owner for _, owner in hubspot.owner_changes] == [alice, bob]
        assert (await health(stack))[0] == 200

    config = tmp_path / "leadrelay.yml"
    config.write_text(config_yaml())
    code, out = await check_crm(config)
    assert code == 1
    assert "missing: carol: no hubspot user has the email carol@example.com" in out
    assert f"ok: bob is hubspot user {bob}" in out
    hubspot.add_owner("carol@example.com")
    hubspot.add_owner("dieter@example.com")
    assert (await check_crm(config))[0] == 0
    hubspot.revoke_scope("crm.objects.owners.read")
    code, out = await check_crm(config)
    assert code == 1 and "the token lacks the scope crm.objects.owners.read" in out


async def test_a_deal_closed_won_in_hubspot_is_recorded_and_counts_in_the_reps_wins(
    tmp_path: Path, hubspot: HubSpotStandin
) -> None:
    hubspot.add_owner("alice@example.com")
    contact = hubspot.add_contact(email="casey@shop.com")
    async with running_stack(tmp_path, config_yaml=config_yaml()) as stack:
        hubspot.now = stack.clock.now
        poll = stack.service.crm_polling
        assert poll is not None
        await stack.intake(workflow_body(contact, "casey@shop.com"))
        await stack.deliver()
        await accept(stack)
        assert await poll.poll.run() == 0  # the first poll starts from now: nothing old is read
        stack.clock.advance(timedelta(minutes=5))
        hubspot.close_deal(contact, "closedwon", amount="1200")
        other = hubspot.add_contact(email="stranger@else.com")
        hubspot.close_deal(other, "closedlost")  # not a lead of ours: skipped
        assert await poll.poll.run() == 1
        assert await poll.poll.run() == 0  # read again from the stored cursor: nothing twice
        assert poll.poll.unmatched >= 1
        async with stack.service.db.read() as conn:
            won = (await conn.execute(select(rep_results.c.won).where(rep_results.c.rep_id == "alice"))).scalar_one()
        assert won == 1
        await stack.deliver()
        notes = stack.standin.messages_in(ALICE, include_replies=True)
        assert any("won" in str(note.text).lower() or "won" in str(note.blocks).lower() for note in notes)


async def test_the_poll_resumes_from_its_stored_cursor_after_a_restart_and_a_failed_poll_shows_on_healthz(
    tmp_path: Path, hubspot: HubSpotStandin, db_url: str
) -> None:
    hubspot.add_owner("alice@example.com")
    contact = hubspot.add_contact(email="casey@shop.com")
    url = db_url  # the cursor is in the database: SQLite or PostgreSQL
    async with running_stack(tmp_path, config_yaml=config_yaml(), database_url=url) as stack:
        hubspot.now = stack.clock.now
        await stack.intake(workflow_body(contact, "casey@shop.com"))
        await stack.deliver()
        await accept(stack)
        assert stack.service.crm_polling is not None
        await stack.service.crm_polling.poll.run()  # stores the cursor: now
    hubspot.now = lambda: stack.clock.now() + timedelta(minutes=10)
    hubspot.close_deal(contact, "closedwon")  # while we are down
    async with running_stack(tmp_path, config_yaml=config_yaml(), database_url=url) as restarted:
        polling = restarted.service.crm_polling
        assert polling is not None
        hubspot.fail(500, times=1)
        assert await polling.poll.run() == 0
        status, body = await health(restarted)
        assert status == 503 and any(line.startswith("hubspot outcomes: poll failing") for line in body["problems"])
        assert await polling.poll.run() == 1  # the deal closed while we were down, from the stored cursor
        assert (await health(restarted))[0] == 200


async def test_with_write_owner_on_assigned_the_owner_follows_each_offer_and_a_managers_take(
    tmp_path: Path, hubspot: HubSpotStandin
) -> None:
    owners = {rep: hubspot.add_owner(f"{rep}@example.com") for rep in ("alice", "bob")}
    maria = hubspot.add_owner("maria@example.com")
    crm = "crm: {kind: hubspot, write_owner_on: [assigned, claimed], outcomes: {poll: false}}\n"
    yaml = config_yaml(crm).replace("{id: maria, ", "{id: maria, email: maria@example.com, ")
    async with running_stack(tmp_path, config_yaml=yaml) as stack:
        assert stack.service.crm_polling is None  # poll: false
        await stack.intake({"email": "cto@shop.com", "company": "Shop", "intent": "demo", "external_id": "f-1"})
        await stack.deliver()  # offered to alice: written on assignment
        [contact] = hubspot.contacts
        assert hubspot.owner_changes == [(contact, owners["alice"])]
        await stack.advance(timedelta(minutes=5))  # alice's offer expires: bob's turn
        assert hubspot.owner_changes[-1] == (contact, owners["bob"])
        await stack.advance(timedelta(minutes=5))
        await stack.advance(timedelta(minutes=5))  # expired twice more: escalated to the managers
        escalation = next(m for m in stack.standin.messages_in(stack.channel) if "lead_take" in str(m.blocks))
        await stack.slack.click(PEOPLE["maria"][0], "lead_take", channel=escalation.channel, ts=escalation.ts)
        await stack.deliver()
    assert hubspot.owner_changes[-1] == (contact, maria)  # a manager who takes it owns it in HubSpot too
    assert hubspot.contacts[contact]["properties"]["email"] == "cto@shop.com"


async def test_outcomes_can_come_from_a_contact_property_as_of_when_it_took_its_value(
    tmp_path: Path, hubspot: HubSpotStandin
) -> None:
    hubspot.add_owner("alice@example.com")
    contact = hubspot.add_contact(email="casey@shop.com", lifecyclestage="lead")
    crm = """crm:
  kind: hubspot
  outcomes: {poll: 5m, object: contacts, property: lifecyclestage, stages: {opportunity: working, customer: won}}
"""
    async with running_stack(tmp_path, config_yaml=config_yaml(crm)) as stack:
        hubspot.now = stack.clock.now
        polling = stack.service.crm_polling
        assert polling is not None
        await stack.intake(workflow_body(contact, "casey@shop.com"))
        await stack.deliver()
        await accept(stack)
        await polling.poll.run()  # the first poll: from now on
        stack.clock.advance(timedelta(minutes=5))
        became_customer = stack.clock.now()
        hubspot.update_contact(contact, lifecyclestage="customer")
        assert await polling.poll.run() == 1
        stack.clock.advance(timedelta(minutes=5))
        hubspot.update_contact(contact, phone="+1 555 0100")  # touched for something else: no new outcome
        assert await polling.poll.run() == 0
        view = await stack.service.views.lead_view(1)
    outcomes = [entry for entry in view.history if entry.to_state.startswith("outcome:")]
    assert [(entry.to_state, (entry.detail or {}).get("occurred_at")) for entry in outcomes] == [
        ("outcome:won", became_customer.isoformat())
    ]


def test_contact_outcomes_must_say_which_values_mean_what() -> None:
    with pytest.raises(ConfigError, match=r"crm\.outcomes\.stages: map the values of the contacts' hs_lead_status"):
        parse_config(config_yaml("crm: {kind: hubspot, outcomes: {object: contacts, property: hs_lead_status}}\n"))


async def test_a_held_write_never_overwrites_the_owner_of_a_lead_that_moved_on(
    tmp_path: Path, hubspot: HubSpotStandin
) -> None:
    bob = hubspot.add_owner("bob@example.com")  # alice has no HubSpot user yet
    crm = "crm: {kind: hubspot, write_owner_on: [assigned, claimed], outcomes: {poll: false}}\n"
    async with running_stack(tmp_path, config_yaml=config_yaml(crm)) as stack:
        await stack.intake({"email": "cto@shop.com", "company": "Shop", "intent": "demo", "external_id": "f-1"})
        await stack.deliver()  # offered to alice: her write is held
        await stack.advance(timedelta(minutes=5))  # she lets it expire: bob's turn, and he takes it
        await accept(stack, "bob")
        [contact] = hubspot.contacts
        assert hubspot.owner_changes == [(contact, bob)]
        hubspot.add_owner("alice@example.com")  # alice joins HubSpot: her held write is re-checked
        await stack.advance(timedelta(minutes=2))
        assert hubspot.owner_changes == [(contact, bob)]  # and not written: the lead is bob's
        assert all(row.sent_at is not None for row in await crm_rows(stack))
        assert (await health(stack))[0] == 200


async def test_a_service_that_writes_to_hubspot_will_not_build_without_its_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="HUBSPOT_TOKEN"):
        async with running_stack(tmp_path, config_yaml=config_yaml()):
            pass
