"""`make demo` (`leadrelay demo`) tells the product's story end to end against the Slack stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "leadrelay.yml"


@pytest.mark.slow  # the whole demo: a server, the stand-in and a 1-second SLA that must run out
def test_the_demo_routes_claims_reassigns_logs_expires_and_escalates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(EXAMPLE), "demo", "--sla", "1s"]) == 0
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
    ):
        assert happening in story, happening
