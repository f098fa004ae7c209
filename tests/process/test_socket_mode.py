"""`leadrelay serve --socket-mode` as an operator meets it: a bad app token ends it at once with a
message that says what to fix; `/healthz` follows the link to Slack; SIGTERM stops it (and the HTTP
mode) cleanly within 10 seconds."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from standin import SlackStandin
from tests.process.harness import (
    BOT_TOKEN,
    REPO,
    Person,
    add_people,
    config_yaml,
    database_url,
    free_port,
    serve_env,
)

pytestmark = pytest.mark.slow

APP_TOKEN = "xapp-1-socket-test"
REP, MANAGER = Person("alice", "UALICE001"), Person("maria", "UMARIA001")
STOP_WITHIN = 10.0  # seconds


def launch(env: dict[str, str], log: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", *args],
            cwd=REPO,
            env={**env, "PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, port


async def exited_within(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    deadline = time.monotonic() + seconds
    while process.poll() is None:
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.05)
    return process.poll()


async def health(http: aiohttp.ClientSession, port: int) -> tuple[int, str]:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
            return answer.status, await answer.text()
    except (aiohttp.ClientError, TimeoutError):
        return 0, "no answer"


async def until_health(http: aiohttp.ClientSession, port: int, status: int, within: float = 20.0) -> str:
    deadline = time.monotonic() + within
    last = (0, "")
    while time.monotonic() < deadline:
        last = await health(http, port)
        if last[0] == status:
            return last[1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz never answered {status}; last: {last}")


async def environment(slack: SlackStandin, tmp_path: Path, url: str, app_token: str) -> dict[str, str]:
    add_people(slack, [REP, MANAGER])
    config = tmp_path / "leadrelay.yml"
    config.write_text(
        config_yaml(
            teams={"sales": ([REP], MANAGER, None)},
            rules=["{name: everyone, route: {team: sales}}"],
            sla="1h",
            fallback_team="sales",
        )
    )
    return serve_env(standin=slack, database_url=url, config_path=config, SLACK_APP_TOKEN=app_token)


async def test_a_bad_app_token_ends_serve_with_what_to_fix(tmp_path: Path) -> None:
    async with SlackStandin(tokens={BOT_TOKEN, APP_TOKEN}) as slack, database_url("sqlite", tmp_path) as url:
        env = await environment(slack, tmp_path, url, "xapp-1-revoked")
        process, _port = launch(env, tmp_path / "serve.log", "--socket-mode")
        try:
            code = await exited_within(process, STOP_WITHIN)
        finally:
            process.kill()
        output = (tmp_path / "serve.log").read_text()
        assert code == 2, output
        assert "cannot start in Socket Mode: Slack refused SLACK_APP_TOKEN (invalid_auth)" in output
        assert "App-Level Token (xapp-…) with connections:write" in output


async def test_healthz_follows_the_socket_and_sigterm_stops_it_within_ten_seconds(tmp_path: Path) -> None:
    async with (
        SlackStandin(tokens={BOT_TOKEN, APP_TOKEN}) as slack,
        database_url("sqlite", tmp_path) as url,
        aiohttp.ClientSession() as http,
    ):
        env = await environment(slack, tmp_path, url, APP_TOKEN)
        process, port = launch(env, tmp_path / "serve.log", "--socket-mode")
        try:
            await until_health(http, port, 200)
            assert slack.socket.open_links == 1
            assert "running in Socket Mode" in (tmp_path / "serve.log").read_text()

            slack.socket.accepting = False  # Slack goes away and does not take the bot back
            await slack.socket.drop()
            assert "slack socket: not connected" in await until_health(http, port, 503)

            process.send_signal(signal.SIGTERM)
            assert await exited_within(process, STOP_WITHIN) == 0, (tmp_path / "serve.log").read_text()
        finally:
            process.kill()


async def test_sigterm_stops_http_mode_within_ten_seconds(tmp_path: Path) -> None:
    async with (
        SlackStandin(tokens={BOT_TOKEN}) as slack,
        database_url("sqlite", tmp_path) as url,
        aiohttp.ClientSession() as http,
    ):
        env = await environment(slack, tmp_path, url, "")
        process, port = launch(env, tmp_path / "serve.log")
        try:
            await until_health(http, port, 200)
            process.send_signal(signal.SIGTERM)
            assert await exited_within(process, STOP_WITHIN) == 0, (tmp_path / "serve.log").read_text()
        finally:
            process.kill()
