"""`leadrelay simulate` fidelity and what-if: --compare, --pto, --capacity, --policies, the claim model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.simulate import Fidelity, run
from routing import load_config
from tests.routing.conftest import SCENARIO_YAML

# Monday 23 Nov 2026 from 15:00 UTC: New York, Berlin and London at work.
ROWS = [
    "L1,2026-11-23T15:00:00+00:00,a@haus.de,DE,50,dieter",
    "L2,2026-11-23T15:01:00+00:00,b@shop.com,US,50,mia",
    "L3,2026-11-23T15:02:00+00:00,c@haus.at,AT,50,dieter",
    "L4,2026-11-23T15:03:00+00:00,d@shop.com,US,50,max",
    "L5,2026-11-23T15:04:00+00:00,e@shop.com,US,50,mo",
    "L6,2026-11-23T15:05:00+00:00,f@haus.ch,CH,50,paul",
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    current = tmp_path / "leadrelay.yml"
    current.write_text(SCENARIO_YAML)
    proposed = tmp_path / "proposed.yml"
    # One rule changes: DACH leads go to Paul instead of the EMEA team.
    changed = SCENARIO_YAML.replace(
        'route: {team: emea}\n    prefer: {languages: ["{language}"]}', "route: {rep: paul}"
    )
    assert changed != SCENARIO_YAML
    proposed.write_text(changed)
    leads = tmp_path / "leads.csv"
    leads.write_text("external_id,created_at,email,country,employees,owner\n" + "\n".join(ROWS) + "\n")
    return {"current": current, "proposed": proposed, "leads": leads}


def simulate(files: dict[str, Path], *extra: str) -> int:
    return main(["--config", str(files["current"]), "simulate", str(files["leads"]), *extra])


def test_compare_shows_exactly_the_leads_the_changed_rule_moves(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(files, "--compare", str(files["proposed"])) == 0
    out = capsys.readouterr().out
    assert "Leads whose rep changes: 3" in out
    moved = [line.split()[0] for line in out.splitlines() if "(dach) →" in line]
    assert moved == ["L1", "L3", "L6"]
    assert "@dieter               3 → 0     (-3)" in out and "@paul                 0 → 3     (+3)" in out
    assert "Per rule (current → proposed):\n  no change" in out  # the rule catches the same leads
    assert "Agreement with the owner column: 83.3% → 66.7%" in out  # L6's owner was Paul

    assert simulate(files, "--compare", str(files["proposed"]), "--json", "--show", "1") == 0
    document = json.loads(capsys.readouterr().out)["compare"]
    assert [m["key"] for m in document["moved"]] == ["L1", "L3", "L6"]  # --json lists all
    assert {m["proposed"]["rep"] for m in document["moved"]} == {"paul"}
    assert document["per_rule"] == []  # the same rule catches the same leads; only its target moved


def test_pto_and_capacity_changes_route_around_the_reps_and_fairness_knows(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pto = tmp_path / "pto.csv"
    pto.write_text("rep,start,end\nmia,2026-11-23,2026-11-24\n")
    capacity = tmp_path / "capacity.csv"
    capacity.write_text("rep,at,capacity\nmax,2026-11-23T15:02:00Z,pause\n")
    assert simulate(files, "--json", "--pto", str(pto), "--capacity", str(capacity)) == 0
    *events, last = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert {e["key"]: e["rep"] for e in events if e["rule"] == "mid-market"} == {"L2": "max", "L4": "mo", "L5": "mo"}
    pool = last["summary"]["per_pool"]["mid-market"]
    # L2 arrived with mia away (max and mo due half each); L4 and L5 with max paused too (all mo's).
    assert [(r["rep"], r["leads"], r["expected"]) for r in pool["reps"]] == [
        ("mia", 0, 0.0),
        ("max", 1, 0.5),
        ("mo", 2, 2.5),
    ]
    assert pool["fair"]


def test_the_summary_states_the_claim_model_and_bad_input_files_are_named(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(files) == 0
    out = capsys.readouterr().out
    assert "Claim model: no claim model (--claim-after not given): every offer is taken, none expires." in out
    assert "Capacity: 20 open leads per rep" in out and "until 1d after the offer" in out
    assert simulate(files, "--claim-after", "3m") == 0
    assert "reps claim each offer 3m after it reaches them at work" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("rep,start\nnobody,2026-11-23\n")
    assert simulate(files, "--pto", str(bad)) == 2
    assert "bad.csv: row 2: unknown rep 'nobody'" in capsys.readouterr().err


def test_policies_compares_the_off_hours_policies_on_the_same_leads(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    night = tmp_path / "night.csv"
    # Saturday: nobody at work; three mid-market leads.
    night.write_text(
        "external_id,created_at,email,country,employees\n"
        + "\n".join(f"N{i},2026-11-28T1{i}:00:00+00:00,n{i}@shop.com,US,50" for i in range(3))
        + "\n"
    )
    assert main(["--config", str(files["current"]), "simulate", str(night), "--json", "--policies"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    policies = summary["off_hours_policies"]
    assert policies["hold"]["held"] == 3 and policies["soonest"]["held"] == 0
    # Monday 09:00 in New York is 14:00 UTC, 50-52h after the leads: held leads reach a rep then, as soonest ones do.
    assert policies["soonest"]["first_touch_p50_s"] == policies["hold"]["first_touch_p50_s"] == 51 * 3600
    shares = {p: [r["leads"] for r in v["per_pool"]["mid-market"]["reps"]] for p, v in policies.items()}
    assert shares == {"soonest": [1, 1, 1], "pool": [1, 1, 1], "hold": [1, 1, 1]}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_replay_draws_a_progress_bar_only_on_a_terminal(files: dict[str, Path], tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    rows = [
        f"B{i},2026-11-23T{15 + i // 3000}:{i // 60 % 60:02d}:{i % 60:02d}+00:00,b{i}@shop.com,US,50"
        for i in range(6000)
    ]
    big.write_text("external_id,created_at,email,country,employees\n" + "\n".join(rows) + "\n")
    config = load_config(str(files["current"]))
    for err, drawn in ((Terminal(), True), (io.StringIO(), False)):
        run(big, config, as_json=False, fidelity=Fidelity(), out=io.StringIO(), err=err)
        assert ("replaying: 100%" in err.getvalue()) is drawn
