"""`leadrelay import`: feed a CSV or JSONL file through the intake path, row by row.

Each row goes through the same validation, dedupe on (source, external_id), routing and outbox as
`POST /leads`, so re-importing a file creates nothing twice. Bad rows are reported by number and
skipped. DMs are written to the outbox; a running `leadrelay serve` delivers them within a second.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot.lead_input import LeadInvalid, parse_lead
from bot.service import Service
from bot.simulate import read_rows


@dataclass(slots=True)
class ImportResult:
    created: int = 0
    repeated: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


async def import_file(
    service: Service, path: Path, *, source: str, progress: bool, err: TextIO = sys.stderr
) -> ImportResult:
    result = ImportResult()
    rows = list(read_rows(path))
    for number, raw, problem in tqdm(rows, unit=" leads", desc="importing", file=err, disable=not progress):
        if raw is None:
            result.bad.append((number, problem or "unreadable"))
            continue
        raw.pop("owner", None)  # a historical column for `simulate`, not a lead field
        try:
            parsed = parse_lead(raw, default_source=source)
        except LeadInvalid as exc:
            result.bad.append((number, str(exc)))
            continue
        created, _document = await service.accept_lead(parsed, raw)
        if created:
            result.created += 1
        else:
            result.repeated += 1
    return result
