"""`leadrelay check` and `leadrelay simulate`, run as a user would, on small files written per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.routing.conftest import SCENARIO_YAML

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "leadrelay.yml"
    path.write_text(SCENARIO_YAML)
    return path


def write_csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text("external_id,created_at,email,country,employees,intent,score,owner\n" + "\n".join(rows) + "\n")
    return path


def test_simulate_reports_each_lead_bad_rows_and_the_summary(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = write_csv(
        tmp_path,
        [
            "L1,2026-11-23T15:00:00+00:00,a@shop.com,US,50,,60,mia",
            "L2,2026-11-23T15:01:00+00:00,b@shop.com,US,50,,60,mia",
            "L3,2026-11-23T15:02:00+00:00,not-an-email,US,50,,60,mia",
            "L4,2026-11-23T15:03:00+00:00,c@shop.com,US,lots,,60,mia",
            "L5,2026-11-23T15:04:00+00:00,d@shop.com,US,50,,5,mia",
            "L6,2026-11-23T14:59:00+00:00,e@nowhere.com,US,5,,60,fran",
        ],
    )
    assert main(["--config", str(config_file), "simulate", str(leads)]) == 0
    out, err = capsys.readouterr()
    assert "row 4: skipped: email: not an email address" in err
    assert "row 5: skipped: employees: expected a number of employees" in err
    lines = out.splitlines()
    # Replayed in created_at order: L6 (14:59) first, to the fallback team.
    assert "L6" in lines[0] and "@fran" in lines[0] and "fallback" in lines[0]
    assert "L1" in lines[1] and "@mia" in lines[1] and "L2" in lines[2] and "@max" in lines[2]
    assert "L5" in lines[3] and "nurture" in lines[3]
    assert "Leads: 4   routed: 3   nurture: 1" in out
    assert "Fallback rate: 25.0%" in out
    # mia, max and fran against owners mia, mia and fran: two of three agree.
    assert "Agreement with the owner column: 66.7% of 3 leads" in out
    assert "@mia → @max: 1" in out


def test_simulate_json_gives_one_object_per_decision(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = write_csv(tmp_path, ["L1,2026-11-23T15:00:00+00:00,a@shop.com,US,50,demo,60,mia"])
    assert main(["--config", str(config_file), "simulate", "--json", str(leads)]) == 0
    first, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (first["rep"], first["rule"], first["sla"]) == ("mia", "mid-market", "demo")
    assert first["due_at"] == "2026-11-23T15:05:00+00:00"
    assert summary["summary"]["per_rep"] == {"mia": 1}


def test_claim_model_expires_slow_offers_to_the_next_rep(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = write_csv(tmp_path, ["L1,2026-11-23T15:00:00+00:00,a@shop.com,US,50,demo,60,"])
    assert main(["--config", str(config_file), "simulate", "--claim-after", "10m", str(leads)]) == 0
    out = capsys.readouterr().out
    # A 5-minute demo SLA and reps who take 10 minutes: mia, max, mo, the fallback team, then the queue.
    attempts = [line.split("→")[1].split()[0] for line in out.splitlines() if "→" in line]
    assert attempts == ["@mia", "@max", "@mo", "@fran", "queued"]
    assert "expired offers: 4" in out and "manager queue: 1" in out


def test_check_reports_problems_with_their_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(SCENARIO_YAML.replace('when: {employees: "20-199"}', 'when: {employees: "some"}'))
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(bad), "check"])
    assert exit_info.value.code == 2
    assert "rules[5].when.employees: expected a range like '>=200'" in capsys.readouterr().err


def test_the_shipped_example_loads_and_simulates_with_every_rule_used(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = ROOT / "examples" / "leadrelay.yml"
    assert main(["--config", str(config), "check"]) == 0
    assert main(["--config", str(config), "simulate", "--json", str(ROOT / "examples" / "leads.csv")]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    from routing import load_config

    rules = {rule.name for rule in load_config(str(config)).rules}
    assert rules <= set(summary["per_rule"]), rules - set(summary["per_rule"])
    assert summary["leads"] >= 200 and summary["fallback_rate"] < 0.10
    assert summary["agreement"] is not None


def test_simulate_reads_an_outcome_column_and_reports_win_rates_by_rep_rule_and_source(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "external_id,created_at,email,country,employees,score,outcome\n"
        "L1,2026-11-23T15:00:00+00:00,a@shop.com,US,50,60,won\n"
        "L2,2026-11-23T15:01:00+00:00,b@shop.com,US,50,60,lost\n"
        "L3,2026-11-23T15:02:00+00:00,c@shop.com,US,50,60,working\n"
        "L4,2026-11-23T15:03:00+00:00,d@shop.com,US,50,60,maybe\n"
    )
    assert main(["--config", str(config_file), "simulate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "row 5: skipped: outcome: expected won, lost, disqualified, working or reopened, not 'maybe'" in err
    assert "Win rate (the history's outcomes, by the replay's assignee; 2 fed the win rates" in out
    assert "@mia" in out and "100.0%  1 won of 1 closed" in out and "0.0%  0 won of 1 closed" in out
    assert "  by source:\n    import                    50.0%  1 won of 2 closed" in out
    assert main(["--config", str(config_file), "simulate", "--json", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    assert summary["win_rates"]["source"] == {"import": {"won": 1, "closed": 2, "rate": 0.5}}
