"""`leadrelay import` feeds a file through intake offline: every good row stored and routed once, bad rows
named, and the DMs left in the outbox for `serve`, untouched, so they go out the moment it runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage import connect
from storage.tables import outbox
from tests.bot.harness import CONFIG_YAML

CSV = """email,company,external_id,employees
a@shop.com,Shop,1,40
b@haus.de,Haus,2,many
c@farm.io,Farm,3,12
"""


async def outbox_rows(url: str) -> list[tuple[str, int, bool]]:
    db = await connect(url)
    try:
        async with db.read() as conn:
            rows = await conn.execute(select(outbox).order_by(outbox.c.id))
            return [(r.kind, r.attempts, r.next_attempt_at <= r.created_at) for r in rows]
    finally:
        await db.close()


def test_import_routes_good_rows_once_names_bad_ones_and_leaves_dms_for_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, leads = tmp_path / "leadrelay.yml", tmp_path / "leads.csv"
    config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "CSALES"))
    leads.write_text(CSV)
    url = f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    assert main(["--config", str(config), "import", str(leads)]) == 0
    out, err = capsys.readouterr()
    assert "imported 2 new lead(s); 0 already known; 1 bad row(s)" in out
    assert "row 3: skipped:" in err and "employees" in err
    # Nobody posts offline: the DMs wait, due now and never attempted, for a running `serve`.
    assert asyncio.run(outbox_rows(url)) == [("offer_dm", 0, True), ("offer_dm", 0, True)]

    assert main(["--config", str(config), "import", str(leads)]) == 0
    assert "imported 0 new lead(s); 2 already known; 1 bad row(s)" in capsys.readouterr().out
    assert len(asyncio.run(outbox_rows(url))) == 2


def test_offline_commands_need_no_crm_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, leads = tmp_path / "leadrelay.yml", tmp_path / "leads.csv"
    config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "CSALES") + "crm: {kind: hubspot}\n")
    leads.write_text(CSV)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}")
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    assert main(["--config", str(config), "import", str(leads)]) == 0  # no HubSpot call is made offline
    assert "imported 2 new lead(s)" in capsys.readouterr().out
