"""README "Running it for real", walked start to end against the stand-in, as a new user would.

The Slack side of the steps (create the app, install it, invite the bot) is the stand-in's scene: a
workspace with a sales channel the bot was invited to. Then, with only the commands the README gives:
`leadrelay init --from-slack #sales`, `leadrelay check`, `leadrelay check --slack`, `leadrelay serve`,
and a lead through `POST /leads` reaches a rep as a DM.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from standin import SlackStandin
from tests.process.harness import BOT_TOKEN, REPO, database_url, eventually, post_lead, serve_env, serving

pytestmark = pytest.mark.slow


async def leadrelay(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.duration(6)
async def test_the_readme_steps_take_a_new_user_from_nothing_to_a_routed_lead(tmp_path: Path) -> None:
    async with SlackStandin(tokens={BOT_TOKEN}) as slack, database_url("sqlite", tmp_path) as url:
        ana = slack.add_user("ana", real_name="Ana Alves", email="ana@example.com", tz="Europe/Lisbon")
        ben = slack.add_user("ben", real_name="Ben Bauer", email="ben@example.com", tz="Europe/Berlin")
        channel = slack.add_channel("sales", members=[ana.id, ben.id])  # step 4: the bot was invited
        config = tmp_path / "leadrelay.yml"
        env = serve_env(standin=slack, database_url=url, config_path=config)

        code, out = await leadrelay(env, "check")
        assert code == 2 and "Run `leadrelay init`" in out

        code, out = await leadrelay(env, "init", "--from-slack", "#sales")
        assert code == 0, out
        written = yaml.safe_load(config.read_text())
        assert [(r["name"], r["email"], r["timezone"]) for r in written["reps"]] == [
            ("Ana Alves", "ana@example.com", "Europe/Lisbon"),
            ("Ben Bauer", "ben@example.com", "Europe/Berlin"),
        ]
        assert written["teams"][0]["channel"] == channel
        assert (await leadrelay(env, "init"))[0] == 2  # never overwrites

        code, out = await leadrelay(env, "check")
        assert code == 0, out
        code, out = await leadrelay(env, "check", "--slack")
        assert code == 0, out
        assert "everything resolves" in out

        async with serving(["serve"], env, tmp_path) as [serve], aiohttp.ClientSession() as http:
            serve.start()
            await serve.wait_healthy(http)
            printed = serve.log_tail(80)
            assert "running in HTTP mode" in printed and "https://YOUR-HOST/slack/events" in printed
            status, document = await post_lead(http, serve.base, {"email": "cto@shop.com", "external_id": "1"})
            assert status == 202 and document["assignee"] in {"ana", "ben"}
            dm_to = ana.id if document["assignee"] == "ana" else ben.id

            async def dms() -> int:
                return len(slack.messages_in(dm_to))

            await eventually(dms, lambda count: count == 1, within=10.0, what="the offer DM")
