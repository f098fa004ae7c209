"""`make demo` (`leadrelay demo`) tells the product's story end to end against the Slack stand-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "leadrelay.yml"


@pytest.mark.slow  # the whole demo: a server, the stand-in and a 1-second SLA that must run out
@pytest.mark.duration(5)
def test_the_demo_routes_claims_reassigns_logs_expires_and_escalates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--config", str(EXAMPLE), "demo", "--sla", "1s", "--dir", str(tmp_path / "demo")]) == 0
    story = capsys.readouterr().out
    for happening in (
        "POST /leads demo-1 → 202",
        "✅ Accepted by you",
        "🪟 a modal opens: Reassign lead",
        "🪟 a modal opens: New lead",
        "*Sonnenhof Energie* went to @",
        "⏰ Expired",
        "🚨 @",
        "🙋 Taken by @",
        "Every lead has an owner.",
        "🔗 webhook lead.claimed to the CRM, signature verified",
    ):
        assert happening in story, happening
    assert "webhook refused" not in story  # every signature the receiver checked was good
    # The won outcome takes the lead out of its owner's open load.
    won = re.search(r"POST /outcomes → 201 \(won\)\. Claimed leads in .*'s load go from (\d+) to (\d+) ", story)
    assert won is not None and int(won[2]) == int(won[1]) - 1, won
    # It ends with the report and its charts, and keeps its database for `leadrelay report`.
    assert "The numbers, as `leadrelay report` shows them" in story and "SLA breach rate" in story
    database = tmp_path / "demo" / "demo.db"
    assert f"The demo's database is kept at {database}" in story
    assert sorted(p.name for p in (tmp_path / "demo" / "charts").iterdir()) == [
        "all-claims-vs-fair-share.png",
        "all-speed-to-lead.png",
    ]
    again = story.rsplit("  DATABASE_URL=", 1)[1].split()
    monkeypatch.setenv("DATABASE_URL", again[0])
    assert main(["--config", str(EXAMPLE), *again[4:]]) == 0
    received = next(line for line in story.splitlines() if line.startswith("  leads received"))
    assert received.split()[2] != "0"
    assert any(line.split()[:3] == received.split()[:3] for line in capsys.readouterr().out.splitlines())
