"""`leadrelay report` reads the database the bot wrote: text, JSON, CSV and charts; never creates one."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from tests.bot.harness import CONFIG_YAML, running_stack

ONLY_DACH = CONFIG_YAML.replace("  - {name: everyone-else, route: {team: sales}}\n", "")


async def seed(tmp_path: Path) -> list[str]:
    async with running_stack(tmp_path, config_yaml=ONLY_DACH) as stack:
        leads = [
            {"email": "a@shop.com", "country": "US", "external_id": "1"},
            {"email": "b@haus.de", "country": "DE", "external_id": "2"},
        ]
        rules = [(await stack.intake(lead)).json()["rule"] for lead in leads]
        await stack.deliver()
        return rules


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert asyncio.run(seed(tmp_path)) == ["fallback", "dach"]
    config = tmp_path / "leadrelay.yml"
    config.write_text(ONLY_DACH)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}")
    return config


# The stack's clock stood on a fixed Monday: report on the day around it.
DAY = ["report", "--until", "2026-11-24", "--since", "1d"]


def test_json_counts_the_catch_all_as_fallback(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(seeded), *DAY, "--json"]) == 0
    now = json.loads(capsys.readouterr().out)["current"]
    assert (now["received"], now["offers"], now["fallback"]["value"]) == (2, 2, 0.5)
    assert now["fell_through"] == {"no rule matched": 1}
    assert now["system"]["count"] == 2  # both DMs were delivered


def test_text_flags_the_alert_and_team_narrows_it(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(seeded), *DAY]) == 0
    text = capsys.readouterr().out
    assert "fallback rate" in text and "50.0% (1/2)" in text
    assert main(["--config", str(seeded), *DAY, "--team", "dach", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["current"]["received"] == 1


def test_csv_and_png_files(seeded: Path, tmp_path: Path) -> None:
    out = tmp_path / "numbers.csv"
    assert main(["--config", str(seeded), *DAY, "--csv", str(out), "--png", str(tmp_path / "charts")]) == 0
    rows = list(csv.DictReader(out.open()))
    fallback = next(r for r in rows if r["period"] == "current" and r["metric"] == "fallback_rate")
    assert (fallback["value"], fallback["part"], fallback["whole"]) == ("0.5", "1", "2")
    pictures = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert pictures == ["all-claims-vs-fair-share.png", "all-speed-to-lead.png"]
    assert Image.open(tmp_path / "charts" / "all-speed-to-lead.png").format == "PNG"


def test_a_database_that_does_not_exist_is_named_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "leadrelay.yml"
    config.write_text(ONLY_DACH)
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    assert main(["--config", str(config), "report"]) == 2
    assert f"no database at {missing}" in capsys.readouterr().err
    assert not missing.exists()
