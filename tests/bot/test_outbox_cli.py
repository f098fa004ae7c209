"""`leadrelay outbox` lists what waits and what was given up on; `outbox retry` makes dead letters pending
again, once, for a running `serve` to deliver."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage import Outbox, connect
from storage.tables import outbox
from tests.bot.harness import CONFIG_YAML

CSV = "email,company,external_id\na@shop.com,Shop,1\nb@haus.de,Haus,2\n"


async def dead_letter_first(url: str) -> None:
    db = await connect(url)
    try:
        await Outbox(db).mark_failed(1, error="chat.postMessage: restricted_action", now=datetime.now(UTC))
    finally:
        await db.close()


async def pending_ids(url: str) -> list[int]:
    db = await connect(url)
    try:
        async with db.read() as conn:
            pending = select(outbox.c.id).where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
            return [row.id for row in await conn.execute(pending.order_by(outbox.c.id))]
    finally:
        await db.close()


def test_outbox_lists_dead_letters_and_retry_resends_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, leads = tmp_path / "leadrelay.yml", tmp_path / "leads.csv"
    config.write_text(CONFIG_YAML.replace("SALES_CHANNEL", "CSALES"))
    leads.write_text(CSV)
    url = f"sqlite+aiosqlite:///{tmp_path / 'leadrelay.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["--config", str(config), "import", str(leads)]) == 0
    asyncio.run(dead_letter_first(url))
    capsys.readouterr()

    assert main(["--config", str(config), "outbox"]) == 0
    out = capsys.readouterr().out
    assert "1 message(s) waiting to be delivered" in out
    [line] = [line for line in out.splitlines() if "restricted_action" in line]
    assert line.split()[:4] == ["1", "offer_dm", "lead", "1"]

    assert main(["--config", str(config), "outbox", "retry"]) == 2  # neither ids nor --all
    assert "--all" in capsys.readouterr().err
    assert main(["--config", str(config), "outbox", "retry", "1"]) == 0
    assert "1 message(s) will be resent by `leadrelay serve`: 1" in capsys.readouterr().out
    assert asyncio.run(pending_ids(url)) == [1, 2]
    assert main(["--config", str(config), "outbox", "retry", "--all"]) == 0  # pending already: nothing twice
    assert "nothing to resend" in capsys.readouterr().out
    assert main(["--config", str(config), "outbox", "retry", "2"]) == 1
    assert "not dead letters (sent, pending, or unknown): 2" in capsys.readouterr().err
