"""`leadrelay init` writes a commented starter config that `check` accepts, and never overwrites one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.runtime import where_to_point_slack


def test_init_writes_a_commented_starter_that_checks_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "leadrelay.yml"
    assert main(["--config", str(config), "init"]) == 0
    written = config.read_text()
    assert written.startswith("# Leadrelay routing config, written by `leadrelay init`")
    assert 'email: "rep.one@example.com"' in written and "leadrelay check --slack" in written
    assert main(["--config", str(config), "check"]) == 0
    assert "OK — 2 reps, 1 teams, 1 rules, 1 SLA policies" in capsys.readouterr().out

    config.write_text("# mine\n")
    assert main(["--config", str(config), "init"]) == 2
    assert "exists already; init never overwrites it" in capsys.readouterr().err
    assert config.read_text() == "# mine\n"


def test_serve_says_its_mode_and_what_to_paste_into_the_app_settings() -> None:
    http = "\n".join(where_to_point_slack(3000, socket_mode=False))
    assert "HTTP mode on port 3000" in http
    assert "Event Subscriptions → Request URL:    https://YOUR-HOST/slack/events" in http
    socket = "\n".join(where_to_point_slack(3000, socket_mode=True))
    assert "Socket Mode" in socket and "Request URL" in socket and "YOUR-HOST/slack/events" not in socket
