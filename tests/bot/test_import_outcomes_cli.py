"""`leadrelay import-outcomes` records a file of outcomes offline, through `POST /outcomes`'s path: each
good row once (a second import records nothing), bad rows and unknown leads named by row number."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage import connect
from storage.tables import leads, outcomes
from tests.bot.harness import CONFIG_YAML

LEADS = """email,company,external_id,source
a@shop.com,Shop,1,hubspot
b@haus.de,Haus,2,hubspot
"""
OUTCOMES_CSV = """lead,source,external_id,state,occurred_at,amount,deal_stage
,hubspot,1,won,2026-11-30T10:00:00Z,900,closedwon
b@haus.de,,,lost,2026-11-30T11:00:00Z,,closedlost
,hubspot,1,working,2026-11-29T10:00:00Z,,
,hubspot,77,won,2026-11-30T10:00:00Z,,
1,,,maybe,2026-11-30T10:00:00Z,,
"""


async def stored(url: str) -> tuple[list[tuple[str, str | None]], int]:
    db = await connect(url)
    try:
        async with db.read() as conn:
            current = (await conn.execute(select(leads.c.external_id, leads.c.outcome).order_by(leads.c.id))).all()
            count = len((await conn.execute(select(outcomes.c.id))).all())
            return [tuple(row) for row in current], count  # type: ignore[misc]
    finally:
        await db.close()


def test_import_outcomes_records_each_row_once_and_names_bad_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, lead_file, outcome_file = tmp_path / "leadrelay.yml", tmp_path / "leads.csv", tmp_path / "outcomes.csv"
    config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "CSALES"))
    lead_file.write_text(LEADS)
    outcome_file.write_text(OUTCOMES_CSV)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}")
    assert main(["--config", str(config), "import", str(lead_file)]) == 0
    capsys.readouterr()

    assert main(["--config", str(config), "import-outcomes", str(outcome_file)]) == 0
    out, err = capsys.readouterr()
    assert "recorded 3 outcome(s); 0 already recorded; 2 bad row(s)" in out
    assert "row 5: skipped: lead: no lead 77 from hubspot" in err
    assert "row 6: skipped: state:" in err
    url = f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}"
    assert asyncio.run(stored(url)) == ([("1", "won"), ("2", "lost")], 3)  # the late `working` left `won`

    assert main(["--config", str(config), "import-outcomes", str(outcome_file)]) == 0
    assert "recorded 0 outcome(s); 3 already recorded; 2 bad row(s)" in capsys.readouterr().out
    assert asyncio.run(stored(url))[1] == 3
