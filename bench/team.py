"""The team the end-to-end benchmarks route to: `reps` reps in one round-robin pool, always working."""

from __future__ import annotations


def inbound_team_yaml(reps: int) -> str:
    """A config of reps `rep0`… (Slack ids `UREP0000`…) with room for any load, one rule, one SLA."""
    rep = "  - {{id: rep{i}, name: Rep {i}, slack_id: UREP{i:04d}, capacity: 100000}}\n"
    people = "".join(rep.format(i=i) for i in range(reps))
    members = ", ".join(f"rep{i}" for i in range(reps))
    return (
        f"working_hours: always\nreps:\n{people}teams:\n"
        f"  - {{id: inbound, members: [{members}], strategy: round_robin}}\n"
        "rules: [{name: inbound, route: {team: inbound}}]\n"
        "sla: [{name: standard, within: 1h}]\nfallback: {team: inbound}\n"
    )
