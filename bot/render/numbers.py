"""The report's numbers as Block Kit, shared by every surface that shows them: the weekly digest in the
team channel, `/leads report`, and this week's section of a manager's Home."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, SectionBlock

from bot.render.kit import context, md, section, team_name
from bot.text import escape
from reports.export import headline
from reports.numbers import Report
from routing import RoutingConfig

_FIELDS_PER_SECTION = 10  # Slack's limit on a section's fields


def summary_blocks(report: Report) -> list[Block]:
    """The headline numbers, two columns each with its change since the previous period, then where the
    fallback leads fell through and how offers that were not accepted ended."""
    fields = [
        md(f"*{escape(name)}*\n{escape(value)}" + (f"  _{escape(moved)}_" if moved else ""))
        for name, value, moved in headline(report)
    ]
    blocks: list[Block] = [
        SectionBlock(fields=fields[i : i + _FIELDS_PER_SECTION]) for i in range(0, len(fields), _FIELDS_PER_SECTION)
    ]
    n = report.current
    notes = []
    if n.fell_through:
        notes.append(
            "fell through to fallback: " + ", ".join(f"{escape(k)} {v}" for k, v in sorted(n.fell_through.items()))
        )
    if n.ended_by:
        notes.append("offers not accepted: " + ", ".join(f"{escape(k)} {v}" for k, v in sorted(n.ended_by.items())))
    blocks.extend(context(note) for note in notes)
    return blocks


def summary_text(report: Report) -> str:
    """The headline as one line of plain text (the notification)."""
    return "; ".join(f"{name} {value}" for name, value, _ in headline(report)[:5])


def teams_this_week(reports: Sequence[tuple[str, Report]], config: RoutingConfig) -> list[Block]:
    """Each team's numbers for this week so far, against the same stretch of last week (the manager's
    Home and `/leads report`): a title line per team, then its summary."""
    blocks: list[Block] = []
    for team_id, report in reports:
        tz = config.teams[team_id].tz if team_id in config.teams else None
        since = report.current.since.astimezone(tz)
        blocks.append(
            section(f"*{escape(team_name(team_id, config))}: this week* (since {since:%a %d %b}, against last week)")
        )
        blocks += summary_blocks(report)
    return blocks
