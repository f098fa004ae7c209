"""The Grafana dashboard in examples/ queries only metrics the service exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "examples" / "grafana-dashboard.json"


def test_every_metric_the_dashboard_queries_is_exported() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bleadrelay_[a-z_]+", target["expr"])
    }
    exported = set()
    for family in Metrics().registry.collect():
        exported.add(family.name)
        exported.update(sample.name for sample in family.samples)
        if family.type == "histogram":
            exported.add(f"{family.name}_bucket")
        if family.type == "counter":
            exported.add(f"{family.name}_total")
    assert queried and queried <= exported, queried - exported
    assert {
        "leadrelay_speed_to_lead_system_seconds_bucket",
        "leadrelay_speed_to_lead_human_seconds_bucket",
        "leadrelay_reassignments_total",
    } <= queried
