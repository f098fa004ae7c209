"""`leadrelay import-outcomes`: feed a CSV or JSONL file of outcomes through the same path as
`POST /outcomes`, row by row.

A row names its lead with a `lead` column (an id or an email), or `lead_id`, `email`, or `source` with
`external_id`; then `state`, `occurred_at` and optionally `amount` (see `bot.outcome_input`). Outcomes
are idempotent, so importing a file twice records nothing the second time. Other columns (a CRM
export's) are ignored. A bad row, or one naming
no lead, is reported by number and skipped; the rest are recorded, from the source `import`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot.outcome_input import OutcomeInvalid, parse_outcome
from bot.outcome_intake import record
from bot.service import Service
from bot.simulate import read_rows
from storage.errors import LeadRefNotFound

SOURCE = "import"


@dataclass(slots=True)
class OutcomeImport:
    recorded: int = 0
    repeated: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (row number, what is wrong)


async def import_outcomes(service: Service, path: Path, *, progress: bool, err: TextIO = sys.stderr) -> OutcomeImport:
    """Record every good row of `path`, in file order (so a file's own later rows win ties)."""
    result = OutcomeImport()
    rows = list(read_rows(path))
    for number, raw, problem in tqdm(rows, unit=" outcomes", desc="importing", file=err, disable=not progress):
        if raw is None:
            result.bad.append((number, problem or "unreadable"))
            continue
        try:
            parsed = parse_outcome(raw, other_columns=True)
            outcome = await record(service.store, parsed, source=SOURCE, clock=service.clock)
        except OutcomeInvalid as exc:
            result.bad.append((number, str(exc)))
            continue
        except LeadRefNotFound as exc:
            result.bad.append((number, f"lead: {exc}"))
            continue
        if outcome.recorded:
            result.recorded += 1
        else:
            result.repeated += 1
    return result
