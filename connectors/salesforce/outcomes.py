"""What became of Salesforce Leads, read as Leadrelay outcomes: the SOQL a poll sends, the cursor it
keeps, and how a Lead record maps to `won` / `lost` / `working`. Pure: `SalesforceApi.read_outcomes`
does the calls.

Two things change a Lead's fate, and they show on different records, so a poll reads two streams:

- `lead`: Leads whose own `SystemModstamp` moved. An unconverted Lead's `Status` is mapped through the
  status mapping (`DEFAULT_STATUS_OUTCOMES`, configurable); a status the mapping does not name says
  nothing. A Lead converted with an Opportunity is left to the second stream.
- `opportunity`: converted Leads whose Opportunity's `SystemModstamp` moved. Closing an Opportunity
  does not touch the Lead it came from, so its `IsWon` / `IsClosed` is only seen this way: won (with
  its `Amount`), lost, or working while it is open.

Each stream is read in (`SystemModstamp`, `Id`) order from its own position, so a page boundary
between two records changed in the same second loses neither. The cursor holds both positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simple_salesforce.format import format_soql

from connectors.crm.api import CrmOutcome
from storage.model import OutcomeState

PAGE = 200  # records per stream per poll; a full page means there may be more (`OutcomePage.more`)

# The standard Lead statuses of a new org. "Open - Not Contacted" and "Closed - Converted" say nothing:
# the first is where every Lead starts, the second is told by the converted Opportunity.
DEFAULT_STATUS_OUTCOMES: Mapping[str, OutcomeState] = {
    "Working - Contacted": OutcomeState.WORKING,
    "Closed - Not Converted": OutcomeState.LOST,
}

_FIELDS = (
    "Id, Email, Status, IsConverted, ConvertedOpportunityId, SystemModstamp, "
    "ConvertedOpportunity.IsWon, ConvertedOpportunity.IsClosed, ConvertedOpportunity.Amount, "
    "ConvertedOpportunity.SystemModstamp"
)


def _changed_since(stamp: str, where: str = "") -> str:
    # SOQL compares Ids as text, which is their order: the tie-break within one second.
    return (
        f"SELECT {_FIELDS} FROM Lead WHERE {where}({stamp} > {{at}} OR ({stamp} = {{at}} AND Id > {{after}})) "
        f"ORDER BY {stamp}, Id LIMIT {{limit}}"
    )


STREAMS = {
    "lead": _changed_since("SystemModstamp"),
    "opportunity": _changed_since("ConvertedOpportunity.SystemModstamp", "IsConverted = true AND "),
}


def checked_status_outcomes(mapping: Mapping[str, str] | None) -> dict[str, OutcomeState]:
    """The status mapping as configured (Lead Status → outcome name), checked: raises ValueError
    naming a value that is not an outcome. None: `DEFAULT_STATUS_OUTCOMES`."""
    if mapping is None:
        return dict(DEFAULT_STATUS_OUTCOMES)
    checked: dict[str, OutcomeState] = {}
    for status, outcome in mapping.items():
        try:
            checked[status] = OutcomeState(outcome)
        except ValueError:
            allowed = ", ".join(state.value for state in OutcomeState)
            raise ValueError(f"Lead status {status!r}: {outcome!r} is not an outcome ({allowed})") from None
    return checked


@dataclass(frozen=True, slots=True)
class Position:
    """Where one stream has read up to: the last record's timestamp and, for ties, its Id."""

    at: datetime
    after: str = ""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Both streams' positions, as `OutcomePage.cursor` stores them:
    ``lead=2026-12-05T12:00:00+00:00,00Q…;opportunity=2026-12-05T11:59:00+00:00,00Q…``."""

    lead: Position
    opportunity: Position

    @classmethod
    def starting(cls, now: datetime) -> Cursor:
        """The first poll's: both streams from `now`, so nothing that changed before is read. To the
        second, as SOQL compares it (and Salesforce stamps records)."""
        start = now.astimezone(UTC).replace(microsecond=0)
        return cls(Position(start), Position(start))

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """A cursor as `str` wrote it. Raises ValueError for anything else."""
        try:
            parts = dict(part.split("=", 1) for part in text.split(";"))
            positions = {}
            for stream in STREAMS:
                at, after = parts[stream].split(",", 1)
                moment = datetime.fromisoformat(at)
                if moment.tzinfo is None:
                    raise ValueError("a naive timestamp")
                positions[stream] = Position(moment, after)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"not a Salesforce outcome cursor: {text!r} ({exc})") from None
        return cls(**positions)

    def __str__(self) -> str:
        return ";".join(f"{stream}={pos.at.isoformat()},{pos.after}" for stream, pos in self.positions().items())

    def positions(self) -> dict[str, Position]:
        return {"lead": self.lead, "opportunity": self.opportunity}


def changed_since(stream: str, position: Position, limit: int = PAGE) -> str:
    """The SOQL for one stream's next page after `position`."""
    return format_soql(STREAMS[stream], at=position.at, after=position.after, limit=limit)


def stamp(stream: str, record: Mapping[str, Any]) -> datetime:
    """The timestamp `stream` is ordered by, read from one of its records."""
    holder = record if stream == "lead" else record["ConvertedOpportunity"]
    return salesforce_time(holder["SystemModstamp"])


def outcome(stream: str, record: Mapping[str, Any], statuses: Mapping[str, OutcomeState]) -> CrmOutcome | None:
    """The outcome one record of `stream` reports, or None when it reports none."""
    opportunity = record.get("ConvertedOpportunity")
    if stream == "lead":
        if record.get("IsConverted") and record.get("ConvertedOpportunityId"):
            return None  # the opportunity stream tells this Lead's fate
        state = statuses.get(str(record.get("Status")))
        amount = None
    elif opportunity is None:
        return None
    elif opportunity.get("IsWon"):
        state, amount = OutcomeState.WON, _amount(opportunity.get("Amount"))
    else:
        state, amount = (OutcomeState.LOST if opportunity.get("IsClosed") else OutcomeState.WORKING), None
    if state is None:
        return None
    return CrmOutcome(
        record_id=str(record["Id"]),
        email=record.get("Email") or None,
        state=state,
        occurred_at=stamp(stream, record),
        amount=amount,
    )


def salesforce_time(text: str) -> datetime:
    """A Salesforce dateTime (``2026-12-05T12:00:00.000+0000``) as an aware datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _amount(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
