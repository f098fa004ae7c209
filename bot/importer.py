"""`leadrelay import` and `leadrelay import-outcomes`: feed a CSV or JSONL file through the same path as
`POST /leads` or `POST /outcomes`, row by row.

A lead row goes through the same validation, dedupe on (source, external_id), routing and outbox as
`POST /leads`, so re-importing a file creates nothing twice; DMs are written to the outbox and a running
`leadrelay serve` delivers them within a second.

An outcome row names its lead with a `lead` column (an id or an email), or `lead_id`, `email`, or
`source` with `external_id`; then `state`, `occurred_at` and optionally `amount` (see
`bot.outcome_input`). Outcomes are idempotent, so importing a file twice records nothing the second
time; other columns (a CRM export's) are ignored; they are recorded from the source `import`, in file
order (so a file's own later rows win ties).

Either way a bad row, or an outcome naming no lead, is reported by number and skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot.lead_input import parse_lead
from bot.outcome_input import parse_outcome
from bot.outcome_intake import record
from bot.request_body import FieldProblem, InputInvalid
from bot.service import Service
from bot.simulate import read_rows
from storage.errors import LeadRefNotFound

OUTCOME_SOURCE = "import"


@dataclass(slots=True)
class ImportResult:
    new: int = 0  # leads created, outcomes recorded
    repeated: int = 0  # already known: nothing written
    bad: list[tuple[int, str]] = field(default_factory=list)  # (row number, what is wrong)


async def import_file(
    service: Service, path: Path, *, source: str, progress: bool, err: TextIO = sys.stderr
) -> ImportResult:
    """Accept every good lead row of `path` as from `source` (unless the row names its own)."""

    async def one(raw: dict[str, Any]) -> bool:
        raw.pop("owner", None)  # a historical column for `simulate`, not a lead field
        created, _document = await service.accept_lead(parse_lead(raw, default_source=source), raw)
        return created

    return await _import_rows(path, "leads", one, progress=progress, err=err)


async def import_outcomes(service: Service, path: Path, *, progress: bool, err: TextIO = sys.stderr) -> ImportResult:
    """Record every good outcome row of `path`, in file order."""

    async def one(raw: dict[str, Any]) -> bool:
        parsed = parse_outcome(raw, other_columns=True)
        try:
            outcome = await record(service.store, parsed, source=OUTCOME_SOURCE, clock=service.clock)
        except LeadRefNotFound as exc:
            raise InputInvalid([FieldProblem("lead", str(exc))]) from exc
        return outcome.recorded

    return await _import_rows(path, "outcomes", one, progress=progress, err=err)


async def _import_rows(
    path: Path, unit: str, one: Callable[[dict[str, Any]], Awaitable[bool]], *, progress: bool, err: TextIO
) -> ImportResult:
    """Hand each readable row to `one` (True: it wrote something new; InputInvalid: the row is bad)."""
    result = ImportResult()
    rows = list(read_rows(path))
    for number, raw, problem in tqdm(rows, unit=f" {unit}", desc="importing", file=err, disable=not progress):
        if raw is None:
            result.bad.append((number, problem or "unreadable"))
            continue
        try:
            new = await one(raw)
        except InputInvalid as exc:
            result.bad.append((number, str(exc)))
            continue
        if new:
            result.new += 1
        else:
            result.repeated += 1
    return result
