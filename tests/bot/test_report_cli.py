"""`leadrelay report` reads the database the bot wrote: rates as the seeds define them, with their alerts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.harness import CONFIG_YAML, running_stack

ONLY_DACH = CONFIG_YAML.replace("  - {name: everyone-else, route: {team: sales}}\n", "")


async def seed(tmp_path: Path) -> list[str]:
    async with running_stack(tmp_path, config_yaml=ONLY_DACH) as stack:
        leads = [
            {"email": "a@shop.com", "country": "US", "external_id": "1"},
            {"email": "b@haus.de", "country": "DE", "external_id": "2"},
        ]
        return [(await stack.intake(lead)).json()["rule"] for lead in leads]


def test_report_counts_the_catch_all_as_fallback_and_flags_the_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert asyncio.run(seed(tmp_path)) == ["fallback", "dach"]
    config = tmp_path / "leadrelay.yml"
    config.write_text(ONLY_DACH)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}")
    # The stack's clock stood on a fixed Monday: report on the day around it.
    assert main(["--config", str(config), "report", "--until", "2026-11-24", "--since", "1d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["received"], report["offers"], report["fallback_rate"]) == (2, 2, 0.5)
    assert any("fallback rate 50.0% is above 10%" in alert for alert in report["alerts"])
    # Distribution uses the same fairness measure as `simulate`: everyone at work, equal weights.
    sales = next(pool for pool in report["fairness"] if pool["pool"] == "sales")
    assert [(r["rep"], r["leads"], r["expected"]) for r in sales["reps"]] == [
        ("alice", 1, 0.33),
        ("bob", 0, 0.33),
        ("carol", 0, 0.33),
    ]
    assert sales["verdict"].startswith("fair: every rep within 10%")
