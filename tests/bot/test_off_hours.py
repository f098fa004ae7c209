"""Each `off_hours` policy end to end: POST /leads at night, through the real server, Slack stand-in and
SQLite, with the clock moved on and the timers ticking; the `hold` queue across a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bot.harness import PEOPLE, Stack, running_stack

ALICE, BOB, DIETER, MARIA = (PEOPLE[p][0] for p in ("alice", "bob", "dieter", "maria"))

# Two New York reps and one in Berlin, all mon-fri 09:00-17:00 local, one weighted pool.
CONFIG = """
timezone: America/New_York
working_hours: "mon-fri 09:00-17:00"
off_hours: POLICY
hold_window: 7h
managers:
  - {id: hana, name: Hana Head, slack_id: UHANA01}
  - {id: maria, name: Maria Manager, slack_id: UMARIA1, reports_to: hana}
reps:
  - {id: alice, name: Alice Adams, slack_id: UALICE1, manager: maria}
  - {id: dieter, name: Dieter Dorn, slack_id: UDIETER, timezone: Europe/Berlin, manager: maria}
  - {id: bob, name: Bob Brown, slack_id: UBOB001, manager: maria}
teams:
  - {id: sales, name: Sales, members: [alice, dieter, bob], manager: maria, channel: SALES_CHANNEL,
     strategy: weighted}
rules:
  - {name: everyone, route: {team: sales}}
sla:
  - {name: standard, within: 1h}
fallback: {team: sales}
"""
NIGHT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 04:00 in Berlin, Monday 22:00 in New York
BERLIN_STARTS = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
NY_STARTS = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def lead(n: int) -> dict[str, str]:
    return {"email": f"buyer{n}@shop{n}.com", "company": f"Shop {n}", "external_id": str(n)}


def config(policy: str) -> str:
    return CONFIG.replace("POLICY", policy)


async def at_night(stack: Stack) -> None:
    stack.clock.advance(NIGHT - stack.clock.now())


async def test_soonest_offers_a_night_lead_to_the_first_shift_with_the_sla_from_then(tmp_path: Path) -> None:
    async with running_stack(tmp_path, config_yaml=config("soonest")) as stack:
        await at_night(stack)
        answer = (await stack.intake(lead(1))).json()
        await stack.deliver()
        assert (answer["assignee"], answer["due_at"]) == ("dieter", "2026-11-24T09:00:00+00:00")
        assert any("off_hours: soonest" in reason for reason in answer["reasons"])
        assert len(stack.dms("dieter")) == 1 and stack.dms("alice") == []


async def test_pool_lets_the_strategy_pick_among_everyone(tmp_path: Path) -> None:
    async with running_stack(tmp_path, config_yaml=config("pool")) as stack:
        await at_night(stack)
        answers = [(await stack.intake(lead(n))).json() for n in (1, 2, 3)]
        await stack.deliver()
        assert [a["assignee"] for a in answers] == ["alice", "dieter", "bob"]
        assert [a["due_at"] for a in answers] == [
            "2026-11-24T15:00:00+00:00",
            "2026-11-24T09:00:00+00:00",
            "2026-11-24T15:00:00+00:00",
        ]
        assert any("off_hours: pool" in reason for reason in answers[0]["reasons"])
        assert [len(stack.dms(rep)) for rep in ("alice", "dieter", "bob")] == [1, 1, 1]


async def test_hold_keeps_night_leads_visible_and_spreads_them_at_the_first_shift_after_a_restart(
    tmp_path: Path,
) -> None:
    async with running_stack(tmp_path, config_yaml=config("hold")) as stack:
        await at_night(stack)
        answers = [(await stack.intake(lead(n))).json() for n in (1, 2, 3, 4)]
        await stack.deliver()
        assert [(a["state"], a["assignee"], a["due_at"]) for a in answers] == [("received", None, None)] * 4
        assert any("off_hours: hold" in reason for reason in answers[0]["reasons"])
        assert all(stack.dms(rep) == [] for rep in ("alice", "dieter", "bob"))
        # The managers see them: a line in the team channel, and a list on the manager's Home.
        notes = [m.text for m in stack.standin.messages_in(stack.channel)]
        assert len(notes) == 4 and all("held until" in note for note in notes)
        await stack.slack.event(stack.standin.app_home_opened_event(MARIA)["event"])
        home = stack.standin.home_view(MARIA)
        assert home is not None and "Held for the first shift (4)" in json.dumps(home.blocks)
        assert "lead_take" not in json.dumps(home.blocks)  # nobody can take a lead never offered
        # A manager may route one now: Bob is off hours too, so it goes as routing says, never held
        # again: to the rep starting first within the window, with the SLA from his shift.
        await stack.slack.click(MARIA, "lead_assign", home=True, value="4")
        await stack.slack.submit(MARIA, {"assign_rep": {"selected_option": {"value": "bob"}}})
        await stack.deliver()
        assigned = await stack.service.views.lead_view(4)
        assert (assigned.lead.state.value, assigned.offers[0].rep_id) == ("assigned", "dieter")
        assert "suggested @bob cannot take it: outside working hours" in assigned.offers[0].reasons[0].text
        assert [lead.id for lead, _ in await stack.service.views.held_for_team("sales")] == [1, 2, 3]
        # Nothing moves before the first shift.
        await stack.advance(BERLIN_STARTS - timedelta(minutes=1) - stack.clock.now())
        assert all(stack.dms(rep) == [] for rep in ("alice", "bob")) and len(stack.dms("dieter")) == 1

    # Restart: a new process on the same database, started after the first shift began.
    async with running_stack(tmp_path, config_yaml=config("hold")) as stack:
        stack.clock.advance(BERLIN_STARTS + timedelta(minutes=2) - stack.clock.now())
        assert await stack.service.store.next_due_at() == BERLIN_STARTS
        await stack.advance(timedelta(0))  # the start-up sweep
        views = [await stack.service.views.lead_view(n) for n in (1, 2, 3)]
        offers = {view.offers[-1].rep_id: view.offers[-1].due_at for view in views}
        # Spread by weight over everyone starting within the 7h window; each SLA from their own shift.
        assert offers == {
            "alice": NY_STARTS + timedelta(hours=1),
            "dieter": BERLIN_STARTS + timedelta(minutes=2, hours=1),
            "bob": NY_STARTS + timedelta(hours=1),
        }
        assert [len(stack.dms(rep)) for rep in ("alice", "dieter", "bob")] == [1, 1, 1]  # a fresh stand-in
        assert await stack.service.views.held_for_team("sales") == []
        await stack.advance(timedelta(0))  # a repeated tick releases nothing twice
        assert [len((await stack.service.views.lead_view(n)).offers) for n in (1, 2, 3, 4)] == [1, 1, 1, 1]


async def test_a_held_lead_arms_the_wake_up_at_its_release(tmp_path: Path) -> None:
    async with running_stack(tmp_path, config_yaml=config("hold")) as stack:
        await at_night(stack)
        timers = stack.service.timers
        timers.scheduler.start(paused=True)  # jobs are kept, none runs
        try:
            await stack.intake(lead(1))
            [job] = [job for job in timers.scheduler.get_jobs() if job.id.startswith("sla-wakeup-")]
            wait = (job.next_run_time - datetime.now(UTC)).total_seconds()
            expected = (BERLIN_STARTS - stack.clock.now()).total_seconds()
            assert expected - 5 < wait <= expected
        finally:
            timers.scheduler.shutdown(wait=False)
