"""The team the HTTP benchmarks route to: one round-robin pool of reps that are always working."""

from __future__ import annotations


def inbound_team_yaml(reps: int) -> str:
    """A config of `reps` reps (`rep0`…, Slack ids `UREP0000`…, capacity never reached) in one pool."""
    listed = "".join(
        f"  - {{id: rep{i}, name: Rep {i}, slack_id: UREP{i:04d}, capacity: 100000}}\n" for i in range(reps)
    )
    members = ", ".join(f"rep{i}" for i in range(reps))
    return (
        f"working_hours: always\nreps:\n{listed}teams:\n"
        f"  - {{id: inbound, members: [{members}], strategy: round_robin}}\n"
        "rules: [{name: inbound, route: {team: inbound}}]\n"
        "sla: [{name: standard, within: 1h}]\nfallback: {team: inbound}\n"
    )
