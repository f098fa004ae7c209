"""`leadrelay report`: the numbers for a period, to the terminal, as JSON, as CSV, or as the charts.

Reads an existing database only: a SQLite file that is not there is named, never created empty.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from reports.charts import charts, render
from reports.export import document, write_csv, write_text
from reports.numbers import Report, read_report
from routing import RoutingConfig
from storage.db import open_existing
from storage.errors import DatabaseMissing, StorageError


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What to report on and where to put it."""

    since: datetime
    until: datetime
    team_id: str | None = None
    as_json: bool = False
    csv_file: Path | None = None
    png_dir: Path | None = None


async def run(config: RoutingConfig, database_url: str, request: Request, *, out: TextIO | None = None) -> int:
    """Read the report and write it as `request` says (to `out`, default stdout); 2 when there is no
    database to read."""
    if request.team_id is not None and request.team_id not in config.teams:
        print(f"--team: no team {request.team_id!r} (teams: {', '.join(sorted(config.teams))})", file=sys.stderr)
        return 2
    try:
        db = await open_existing(database_url)
    except DatabaseMissing as exc:
        print(
            f"{exc}: nothing to report yet (set DATABASE_URL, or run `leadrelay serve` or `leadrelay demo`)",
            file=sys.stderr,
        )
        return 2
    except StorageError as exc:
        print(f"cannot read the database: {exc}", file=sys.stderr)
        return 2
    try:
        report = await read_report(db, config, since=request.since, until=request.until, team_id=request.team_id)
    finally:
        await db.close()
    write(report, config, request, out=out or sys.stdout)
    return 0


def write(report: Report, config: RoutingConfig, request: Request, *, out: TextIO) -> None:
    """Every output `request` asks for; the text report when it asks for no other."""
    if request.as_json:
        print(json.dumps(document(report), indent=2), file=out)
    if request.csv_file is not None:
        with request.csv_file.open("w", newline="", encoding="utf-8") as handle:
            write_csv(report, handle)
        print(f"wrote {request.csv_file}", file=sys.stderr if request.as_json else out)
    if request.png_dir is not None:
        for path in write_charts(report, request.png_dir):
            print(f"wrote {path}", file=sys.stderr if request.as_json else out)
    if not (request.as_json or request.csv_file or request.png_dir):
        write_text(report, config.thresholds, out)


def write_charts(report: Report, directory: Path) -> list[Path]:
    """The two charts of the report's current period as PNG files in `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    scope = report.current.team_id or "all"
    written = []
    for chart in charts(report.current):
        path = directory / f"{scope}-{chart.name}.png"
        path.write_bytes(render(chart))
        written.append(path)
    return written


# Shared with `leadrelay simulate`, which reports the same fairness figures for a replay.


def span(delta: timedelta | None) -> str:
    """A duration as people read it in a summary: 4.2s, 12.5m, 9.5h; a dash for none."""
    if delta is None:
        return "–"
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"
