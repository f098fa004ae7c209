"""`leadrelay db check` recomputes the load counters from the offers, reports drift and repairs it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.harness import CONFIG_YAML, running_stack


async def seed(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        for n in range(3):
            assert (await stack.intake({"email": f"buyer{n}@haus.de", "country": "DE"})).status == 202


def test_db_check_reports_drift_then_repairs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(seed(tmp_path))
    (tmp_path / "leadrelay.yml").write_text(CONFIG_YAML)
    path = tmp_path / "leadrelay.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    argv = ["--config", str(tmp_path / "leadrelay.yml"), "db", "check"]
    assert main(argv) == 0
    assert "no drift" in capsys.readouterr().out
    with sqlite3.connect(path) as conn:  # what a bug or a hand edit would leave behind
        conn.execute("UPDATE rep_load SET open_offers = open_offers + 4")
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert out.startswith("drift: rep ") and "run with --repair" in out
    assert main([*argv, "--repair"]) == 0
    assert "repaired" in capsys.readouterr().out
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT sum(open_offers) FROM rep_load").fetchone() == (3,)
    assert main(argv) == 0
    assert "no drift" in capsys.readouterr().out
