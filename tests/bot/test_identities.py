"""`leadrelay check`: offline it rejects channel names; with `--slack` it resolves every person and channel
in the workspace, joins the public channels the bot is not in, and names what a person has to fix."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.cli import main
from standin import SlackStandin
from tests.bot.harness import BOT_TOKEN, CONFIG_YAML, PEOPLE, Stack

CONFIG = """
timezone: America/New_York
managers:
  - {id: maria, name: Maria Manager, email: maria@example.com}
reps:
  - {id: alice, name: Alice Adams, slack_id: UALICE1, manager: maria}
  - {id: bob, name: Bob Brown, email: bob@example.com, manager: maria}
  - {id: carol, name: Carol Chen, slack_id: UCAROL9, manager: maria}
  - {id: dieter, name: Dieter Dorn, slack_id: UDIETER}
  - {id: robo, name: Robo, slack_id: UROBOT1}
teams:
  - {id: sales, members: [alice, bob, carol], manager: maria, channel: PUBLIC}
  - {id: dach, members: [dieter], manager: maria, channel: PRIVATE}
  - {id: robots, members: [robo], manager: maria, channel: "#deal-desk"}
rules:
  - {name: everyone, route: {team: sales}}
sla:
  - {name: standard, within: 1h}
fallback: {team: sales}
"""


async def leadrelay(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the real command line in a process of its own (the stand-in keeps serving on this loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_check_slack_resolves_people_and_channels_and_names_every_fix(tmp_path: Path) -> None:
    async with SlackStandin(tokens={BOT_TOKEN}) as slack:
        slack.add_user("alice", id="UALICE1", real_name="Alice Adams")
        slack.add_user("bob", id="UBOB001", real_name="Bob Brown", email="bob@example.com")
        slack.add_user("maria", id="UMARIA1", email="maria@example.com")
        slack.add_user("dieter", id="UDIETER")
        slack.deactivate_user("UDIETER")
        slack.add_user("robo", id="UROBOT1", is_bot=True)
        public = slack.add_channel("sales-escalations", bot_is_member=False)
        private = slack.add_channel("dach-private", is_private=True, bot_is_member=False, id="GDACH01")
        desk = slack.add_channel("deal-desk")
        config = tmp_path / "leadrelay.yml"
        config.write_text(CONFIG.replace("PUBLIC", public).replace("PRIVATE", private))
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.url}

        code, out, err = await leadrelay("--config", str(config), "check", "--slack", env=env)

        assert code == 1, err
        assert "ok   person alice: slack_id UALICE1 (Alice Adams)" in out
        assert "ok   person bob: by email, Slack id UBOB001 (Bob Brown)" in out
        assert "ok   person maria: by email, Slack id UMARIA1" in out
        assert "FAIL person carol: slack_id UCAROL9: user_not_found — check the id" in out
        assert "FAIL person dieter: slack_id UDIETER: deactivated in Slack" in out
        assert "FAIL person robo: slack_id UROBOT1: a bot, not a person" in out
        assert f"ok   team sales's channel {public}: #sales-escalations, joined it just now" in out
        assert f"FAIL team dach's channel {private}: channel_not_found" in out and "/invite @Leadrelay" in out
        assert f"FAIL team robots's channel #deal-desk: is a name; its id is {desk} — write `channel: {desk}`" in out
        assert out.rstrip().endswith("Slack in Leadrelay Stand-in: 5 problem(s) to fix")
        joined = slack.channel(public)
        assert joined is not None and slack.bot_user_id in joined.members


async def test_check_slack_names_a_bad_token(tmp_path: Path) -> None:
    async with SlackStandin(tokens={BOT_TOKEN}) as slack:
        config = tmp_path / "leadrelay.yml"
        config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "CSALES01"))
        env = {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_URL": slack.url}
        code, out, _ = await leadrelay("--config", str(config), "check", "--slack", env=env)
        assert code == 1
        assert "FAIL token: Slack refused it (invalid_auth) — set SLACK_BOT_TOKEN" in out
        assert [call.method for call in slack.calls] == ["auth.test"]


def test_offline_check_rejects_a_channel_name_and_names_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "leadrelay.yml"
    config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "'#sales'"))
    assert main(["--config", str(config), "check"]) == 2
    err = capsys.readouterr().err
    assert "teams[0].channel: '#sales' is not a channel id (C…); run `leadrelay check --slack`" in err
    config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "C0SALES1"))
    assert main(["--config", str(config), "check"]) == 0


def test_check_without_a_config_says_to_run_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "leadrelay.yml"), "check"]) == 2
    assert "no such file. Run `leadrelay init`" in capsys.readouterr().err


async def test_a_rep_slack_cannot_reach_gets_the_identities_checked_again_and_on_record(stack: Stack) -> None:
    watch = stack.service.identities
    await watch.check()
    assert [check.subject for check in await watch.checks.latest() if not check.ok] == []
    assert not await watch.recheck_if_asked()  # nothing went wrong: no extra check

    stack.standin.deactivate_user(PEOPLE["alice"][0])
    await stack.intake({"email": "a@shop.com", "external_id": "1"})  # round robin: alice first
    await stack.deliver()  # her DM fails (account_inactive): the lead moves on, and a check is asked for

    assert await watch.recheck_if_asked()
    [failed] = [check for check in await watch.checks.latest() if not check.ok]
    assert (failed.subject, failed.detail) == ("person alice", "slack_id UALICE1: deactivated in Slack")
    assert failed.checked_at == stack.clock.now()
