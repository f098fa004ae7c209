"""`leadrelay webhooks replay`: send again every webhook queued in a recent period, for a receiver that
lost them (it was down past the retry schedule, or restored a backup).

A replay queues new outbox rows, copies of the originals (sent, pending or given up on) with the same
`webhook-id` and body, so a receiver that already has one can drop it. One run of the command queues
each original once: the copies carry the run's tag in their dedup key, and copies are never copied
again. A running `leadrelay serve` delivers them, in order per endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from routing import RoutingConfig
from storage.model import Transport
from storage.outbox import Outbox


async def replay(
    outbox: Outbox,
    config: RoutingConfig,
    *,
    since: timedelta,
    events: Sequence[str] | None,
    now: datetime,
    out: TextIO,
) -> int:
    """Queue again the webhooks of the last `since` (only `events`, if given) for the endpoints the
    config has now; report how many. Returns the exit status (0)."""
    urls = [hook.url for hook in config.webhooks]
    if not urls:
        print("no webhooks in the config: nothing to replay", file=out)
        return 0
    tag = now.strftime("%Y%m%dT%H%M%S.%fZ")
    queued = await outbox.replay(
        transport=Transport.WEBHOOK, since=now - since, addresses=urls, kinds=events, tag=tag, now=now
    )
    which = f" ({', '.join(events)})" if events else ""
    print(f"{queued} webhook(s){which} since {(now - since).isoformat(timespec='seconds')} queued again", file=out)
    if queued:
        print("`leadrelay serve` delivers them, with the webhook-id they had the first time", file=out)
    return 0
