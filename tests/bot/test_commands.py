"""/pto, /capacity and /leads: good input changes things and says so; bad input gets the usage line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.bot.harness import PEOPLE, STRANGER, Stack

ALICE, BOB, MARIA = PEOPLE["alice"][0], PEOPLE["bob"][0], PEOPLE["maria"][0]


def last_ephemeral(stack: Stack, user: str) -> str:
    return stack.standin.ephemerals_for(user)[-1].text


async def test_pto_with_dates_is_set_in_the_reps_zone_and_routes_around_them(stack: Stack) -> None:
    response = await stack.slack.command(ALICE, "/pto", "2026-11-23 2026-11-25")
    assert response.status == 200
    assert "PTO set for <@UALICE1>: Mon Nov 23 to Wed Nov 25 (America/New_York)" in last_ephemeral(stack, ALICE)
    runtime = await stack.service.views.rep_runtime("alice", stack.clock.now())
    [pto] = runtime.pto
    assert pto.window.start == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # midnight in New York
    assert pto.window.end == datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    document = (await stack.intake({"email": "a@shop.com", "external_id": "1"})).json()
    assert document["assignee"] == "bob"
    assert "skipped @alice: on PTO until Nov 25" in document["reasons"]


async def test_pto_today_until_and_clear(stack: Stack) -> None:
    await stack.slack.command(ALICE, "/pto", "today")
    assert "Mon Nov 23 (America/New_York)" in last_ephemeral(stack, ALICE)
    await stack.slack.command(ALICE, "/pto", "until 2026-12-05")
    assert "Mon Nov 23 to Sat Dec 5" in last_ephemeral(stack, ALICE)
    await stack.slack.command(ALICE, "/pto", "clear")
    assert "Cleared 2 PTO window(s)" in last_ephemeral(stack, ALICE)
    runtime = await stack.service.views.rep_runtime("alice", stack.clock.now())
    assert all(record.cleared_at is not None for record in runtime.pto)


async def test_bare_pto_opens_the_date_picker(stack: Stack) -> None:
    await stack.slack.command(ALICE, "/pto")
    [modal] = stack.standin.open_views(ALICE)
    assert modal.callback_id == "pto_modal"
    await stack.slack.submit(
        ALICE, {"pto_start": {"selected_date": "2026-12-01"}, "pto_end": {"selected_date": "2026-12-02"}}
    )
    assert "Tue Dec 1 to Wed Dec 2" in last_ephemeral(stack, ALICE)


async def test_bad_pto_arguments_get_the_usage_line_not_a_stack_trace(stack: Stack) -> None:
    for text in ("someday", "2026-12-05 2026-12-01", "2020-01-01", "a b c"):
        response = await stack.slack.command(ALICE, "/pto", text)
        assert response.status == 200 and "/pto" in response.body and "Traceback" not in response.body


async def test_managers_may_set_pto_for_their_reps_and_others_may_not(stack: Stack) -> None:
    await stack.slack.command(MARIA, "/pto", f"<@{ALICE}|alice> today")
    assert "PTO set for <@UALICE1>" in last_ephemeral(stack, MARIA)
    refused = await stack.slack.command(BOB, "/pto", f"<@{ALICE}|alice> today")
    assert "Only <@UALICE1> or their manager can change that" in refused.body
    runtime = await stack.service.views.rep_runtime("alice", stack.clock.now())
    assert [record.set_by for record in runtime.pto] == ["maria"]


async def test_a_rep_hears_by_dm_when_their_manager_changes_their_pto_or_capacity(stack: Stack) -> None:
    await stack.slack.command(MARIA, "/pto", f"<@{ALICE}|alice> 2026-11-24 2026-11-25")
    await stack.slack.command(MARIA, "/capacity", f"<@{ALICE}> 3")
    await stack.slack.command(MARIA, "/capacity", f"<@{ALICE}> pause")
    await stack.slack.command(MARIA, "/pto", f"<@{ALICE}> clear")
    await stack.deliver()
    told = [message.text for message in stack.dms("alice")]
    assert told == [
        "🌴 <@UMARIA1> set PTO for you: Tue Nov 24 to Wed Nov 25 (America/New_York). "
        "Your new leads go to <@UBOB001> meanwhile.",
        "📥 <@UMARIA1> set your capacity to 3 open leads.",
        "⏸️ <@UMARIA1> paused your new leads; your open offers stay with you. `/capacity resume` to take leads again.",
        "🌴 <@UMARIA1> cleared your PTO; new leads come to you again.",
    ]


async def test_a_rep_changing_their_own_settings_gets_no_dm_about_it(stack: Stack) -> None:
    await stack.slack.command(ALICE, "/pto", "today")
    await stack.slack.command(ALICE, "/capacity", "2")
    await stack.deliver()
    assert stack.dms("alice") == []
    assert await stack.service.outbox.backlog() == 0


async def test_capacity_shows_and_sets_with_the_load(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "external_id": "1"})
    await stack.slack.command(ALICE, "/capacity")
    assert "capacity is 5 open leads; 1/5 in use" in last_ephemeral(stack, ALICE)
    await stack.slack.command(ALICE, "/capacity", "1")
    assert "capacity is now 1 open lead; 1/1 in use" in last_ephemeral(stack, ALICE)
    document = (await stack.intake({"email": "b@shop.com", "external_id": "2"})).json()
    assert document["assignee"] == "bob"
    for text in ("lots", "-1", "999", "1 2"):
        response = await stack.slack.command(ALICE, "/capacity", text)
        assert "/capacity" in response.body
    assert "Only <@UALICE1> or their manager" in (await stack.slack.command(BOB, "/capacity", f"<@{ALICE}> 9")).body


async def test_strangers_are_told_politely(stack: Stack) -> None:
    response = await stack.slack.command(STRANGER, "/pto", "today")
    assert "not set up in Leadrelay" in response.body


async def test_leads_lists_open_offers_with_working_buttons(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop One", "external_id": "1"})
    await stack.slack.command(ALICE, "/leads")
    listing = stack.standin.ephemerals_for(ALICE)[-1]
    assert "Shop One" in listing.text + str(listing.blocks)
    _block_id, button = stack.slack.button(listing.blocks, "lead_accept")
    assert button["value"] == "1"


async def test_app_home_shows_status_offers_and_for_managers_the_team(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop One", "external_id": "1"})
    await stack.slack.event(stack.standin.app_home_opened_event(ALICE)["event"])
    home = stack.standin.home_view(ALICE)
    assert home is not None
    text = str(home.blocks)
    assert "available" in text and "Shop One" in text
    await stack.slack.click(ALICE, "lead_accept", home=True)
    view = await stack.service.views.lead_view(1)
    assert view.lead.claimed_by == "alice"
    await stack.slack.event(stack.standin.app_home_opened_event(MARIA)["event"])
    manager_home = stack.standin.home_view(MARIA)
    assert manager_home is not None and "<@UALICE1> — 🟢 available" in str(manager_home.blocks)
    await stack.slack.command(ALICE, "/pto", "today")
    republished = stack.standin.home_view(ALICE)
    assert republished is not None and "PTO" in str(republished.blocks)


async def test_capacity_pause_routes_around_the_rep_until_resume(stack: Stack) -> None:
    await stack.slack.command(ALICE, "/capacity", "pause")
    assert "Paused: no new leads until `/capacity resume`" in last_ephemeral(stack, ALICE)
    home = stack.standin.home_view(ALICE)
    assert home is not None and "paused (`/capacity resume` to take leads)" in str(home.blocks)
    assert (await stack.intake({"email": "a@shop.com", "external_id": "1"})).json()["assignee"] == "bob"
    assert (
        "Only <@UALICE1> or their manager" in (await stack.slack.command(BOB, "/capacity", f"<@{ALICE}> resume")).body
    )

    await stack.slack.command(ALICE, "/capacity", "resume")
    assert "Taking new leads again" in last_ephemeral(stack, ALICE)
    assert (await stack.intake({"email": "b@shop.com", "external_id": "2"})).json()["assignee"] == "alice"


async def test_a_manager_pauses_a_rep_of_theirs(stack: Stack) -> None:
    await stack.slack.command(MARIA, "/capacity", f"<@{ALICE}> pause")
    assert "<@UALICE1>'s capacity is 5 open leads" in last_ephemeral(stack, MARIA)
    assert (await stack.intake({"email": "a@shop.com", "external_id": "1"})).json()["assignee"] == "bob"


async def test_homes_follow_the_leads_once_per_burst(stack: Stack) -> None:
    for user in (ALICE, MARIA):
        await stack.slack.event(stack.standin.app_home_opened_event(user)["event"])
    publishes = len(stack.standin.calls_to("views.publish"))

    for i in (1, 2, 3):  # round robin: alice, bob, carol
        await stack.intake({"email": f"b{i}@shop.com", "company": f"Shop {i}", "external_id": str(i)})
    await stack.deliver()
    home, manager_home = stack.standin.home_view(ALICE), stack.standin.home_view(MARIA)
    assert home is not None and "Shop 1" in str(home.blocks)
    assert manager_home is not None and "Offered, within their SLA (3)" in str(manager_home.blocks)
    published_to = [call.args["user_id"] for call in stack.standin.calls_to("views.publish")[publishes:]]
    assert sorted(published_to) == sorted([ALICE, MARIA])  # once each; bob, carol and hana never looked

    [dm] = stack.dms("alice")
    await stack.slack.click(ALICE, "lead_accept", channel=dm.channel, ts=dm.ts)
    await stack.deliver()
    home, manager_home = stack.standin.home_view(ALICE), stack.standin.home_view(MARIA)
    assert home is not None and "lead_accept" not in str(home.blocks)  # nothing left to accept
    assert manager_home is not None and "Offered, within their SLA (2)" in str(manager_home.blocks)


async def test_leads_report_gives_a_manager_this_weeks_numbers_and_a_rep_a_no(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop One", "external_id": "1"})
    await stack.intake({"email": "b@shop.com", "company": "Shop Two", "external_id": "2"})
    stack.clock.advance(timedelta(minutes=1))
    await stack.slack.command(ALICE, "/leads", "report")
    assert "you manage no team" in last_ephemeral(stack, ALICE)

    await stack.slack.command(MARIA, "/leads", "report")
    answer = stack.standin.ephemerals_for(MARIA)[-1]
    text = str(answer.blocks)
    # The harness's Monday is the first day of the week in New York: both leads count for Sales.
    assert "*Sales: this week* (since Mon 23 Nov, against last week)" in text
    assert "*leads received*\\n2 (nurture 0)" in text and "*DACH: this week*" in text
    assert answer.text.startswith("Sales: leads received 2 (nurture 0)")


async def test_the_manager_home_ends_with_this_weeks_numbers(stack: Stack) -> None:
    await stack.intake({"email": "a@shop.com", "company": "Shop One", "external_id": "1"})
    stack.clock.advance(timedelta(minutes=1))
    await stack.slack.event(stack.standin.app_home_opened_event(MARIA)["event"])
    home = stack.standin.home_view(MARIA)
    assert home is not None
    text = str(home.blocks)
    assert text.index("Nothing is past its SLA") < text.index("*Sales: this week*")
    assert "*leads received*\\n1 (nurture 0)" in text
    alice_home = stack.standin.home_view(ALICE)
    assert alice_home is None or "this week*" not in str(alice_home.blocks)
