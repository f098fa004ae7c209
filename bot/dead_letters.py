"""`leadrelay outbox`: what is waiting to be delivered (and the errors holding it back, as the last
delivery attempt recorded them), what was given up on, and resending it.

A row is dead-lettered when its transport said it can never be delivered as it stands (a permanent
error, or a recipient who is gone); it keeps its error. `retry` makes such rows pending again, due at
once with their attempts reset, for a running `leadrelay serve` to deliver; a row already resent (or
sent) is left alone, so running it twice sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from storage.outbox import Outbox


async def print_outbox(outbox: Outbox, now: datetime, out: TextIO) -> int:
    """Print the pending backlog and every dead letter, one line each. Returns the number of dead letters."""
    pending, age = await outbox.backlog(), await outbox.oldest_unsent_age(now)
    oldest = f", the oldest {int(age.total_seconds())}s old" if age is not None else ""
    print(f"{pending} message(s) waiting to be delivered{oldest}", file=out)
    for transport, error, rows in await outbox.waiting_by_error():
        print(f"  {rows} ({transport}) last met: {error}", file=out)
    dead = await outbox.dead_letters()
    if not dead:
        print("no dead letters", file=out)
        return 0
    print(f"{len(dead)} dead letter(s); resend with `leadrelay outbox retry ID…` or `--all`:", file=out)
    for row in dead:
        lead = f" lead {row.lead_id}" if row.lead_id is not None else ""
        print(
            f"  {row.id}  {row.kind}{lead} to {row.transport}:{row.address}, failed "
            f"{row.failed_at.isoformat(timespec='seconds')} after {row.attempts} attempt(s): {row.last_error}",
            file=out,
        )
    return len(dead)


async def retry(outbox: Outbox, item_ids: Sequence[int] | None, now: datetime, out: TextIO, err: TextIO) -> int:
    """Resend dead letters `item_ids`, or all of them (None); report each. Returns the exit status: 1 if
    an id named is not a dead letter, else 0."""
    revived = await outbox.retry_dead(item_ids, now=now)
    if revived:
        ids = ", ".join(str(item_id) for item_id in revived)
        print(f"{len(revived)} message(s) will be resent by `leadrelay serve`: {ids}", file=out)
    else:
        print("nothing to resend", file=out)
    missing = sorted(set(item_ids or ()) - set(revived))
    if missing:
        print(f"not dead letters (sent, pending, or unknown): {', '.join(map(str, missing))}", file=err)
        return 1
    return 0
