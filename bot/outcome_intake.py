"""`POST /outcomes`: what became of a lead (working, won, lost, disqualified, reopened), reported by a
CRM workflow, a script or a person, with the same authentication and body limits as `POST /leads`
(`bot.intake.authenticated_body`).

| request                                  | response                                                     |
|------------------------------------------|--------------------------------------------------------------|
| no or bad credentials / body over 64 KiB | 401 / 413                                                    |
| not UTF-8, not JSON                      | 400                                                          |
| invalid fields                           | 422 naming every bad field (`lead`, `lead.source`, `state`…) |
| no lead answers to `lead`                | 404 naming the lead as given                                 |
| recorded                                 | 201: lead id, the outcome, the lead's current outcome, owner |
| repeat of (lead, state, occurred_at)     | 200: the same, with `"recorded": false`                      |
| database busy or unreachable             | 503 with Retry-After                                         |

Outcomes may arrive in any order: each is kept, and the lead's current outcome is the one that occurred
last (see `storage.outcomes`), which is what the answer's `current` says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.intake import authenticated_body, busy, problem, rejected
from bot.outcome_input import ParsedOutcome, parse_outcome
from bot.request_body import BodyRejected, InputInvalid, load_json
from storage.errors import LeadRefNotFound, StorageBusy
from storage.model import OutcomeResult
from storage.store import Store

SOURCE = "api"  # what an outcome reported over HTTP is recorded as coming from


async def record(store: Store, parsed: ParsedOutcome, *, source: str, clock: Clock) -> OutcomeResult:
    """Record one parsed outcome as `source` reported it (api, import). Raises LeadRefNotFound."""
    return await store.record_outcome(
        parsed.ref,
        state=parsed.state,
        occurred_at=parsed.occurred_at,
        amount=parsed.amount,
        source=source,
        by=source,
        now=clock.now(),
    )


def outcome_document(result: OutcomeResult) -> dict[str, Any]:
    """What `POST /outcomes` answers, and what `import-outcomes` counts."""
    return {
        "lead_id": result.lead_id,
        "recorded": result.recorded,
        "state": result.state.value,
        "occurred_at": result.occurred_at.isoformat(),
        "current": result.current.value if result.current else None,
        "owner": result.rep_id,
        **({} if result.recorded else {"note": "already recorded: the same lead, state and occurred_at"}),
    }


def outcome_handler(
    token: str, store: Store, clock: Clock, now: Callable[[], float]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler; `now` gives unix seconds for the signature window."""

    async def handle(request: web.Request) -> web.Response:
        body = await authenticated_body(request, token, now)
        if isinstance(body, web.Response):
            return body
        try:
            parsed = parse_outcome(load_json(body))
        except (BodyRejected, InputInvalid) as exc:
            return rejected(exc)
        try:
            result = await record(store, parsed, source=SOURCE, clock=clock)
        except LeadRefNotFound as exc:
            return problem(404, str(exc), fields=[{"field": "lead", "message": str(exc)}])
        except StorageBusy as exc:
            return busy(exc)
        return web.json_response(outcome_document(result), status=201 if result.recorded else 200)

    return handle
