"""A transport's availability as the dispatcher sees it: a circuit that opens when it fails across messages.

    closed ──(OPEN_AFTER transient failures in a row, from at least two messages)──► open
    open ───(a probe, or any delivery, gets an answer from Slack)──────────────────► closed

Transient failures are the other side's, not a message's: for Slack, 429, 5xx, timeouts, connection
resets. A message's own error (a recipient who is gone, an argument Slack rejects) is an answer, so it
counts as the other side being up; and one message failing again and again cannot open the circuit on
its own, since that may be its own trouble rather than the other side's. While the circuit is open the
dispatcher sends nothing of that transport and probes every `probe_every` (or after a probe's
`Retry-After`, if the other side asks for longer).

Pure bookkeeping: every method takes `now`, and the dispatcher makes the calls.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

OPEN_AFTER = 3  # transient failures in a row: one is a blip, three across messages is Slack
PROBE_EVERY = timedelta(seconds=1)  # how soon after Slack recovers the backlog starts moving


@dataclass(frozen=True, slots=True, kw_only=True)
class Outage:
    """`transport` has failed every call since `since`; `last_error` is the latest failure."""

    transport: str
    since: datetime
    last_error: str

    def describe(self) -> str:
        """The `/healthz` problem line: `slack: unavailable since <ISO time>: <last error>`."""
        return f"{self.transport}: unavailable since {self.since.isoformat(timespec='seconds')}: {self.last_error}"


class Circuit:
    """Counts a transport's transient failures across messages and says when to stop sending and when to probe."""

    def __init__(self, transport: str, *, open_after: int = OPEN_AFTER, probe_every: timedelta = PROBE_EVERY) -> None:
        if open_after < 1 or probe_every <= timedelta(0):
            raise ValueError("open_after must be >= 1 and probe_every positive")
        self.transport = transport
        self.open_after, self.probe_every = open_after, probe_every
        self._streak = 0
        self._streak_since: datetime | None = None
        self._messages: set[int] = set()
        self._outage: Outage | None = None
        self._probe_at: datetime | None = None

    @property
    def outage(self) -> Outage | None:
        """The current outage, or None while the circuit is closed."""
        return self._outage

    def failed(self, now: datetime, error: str, *, message: int) -> bool:
        """A call for outbox row `message` failed transiently. Returns True if this failure opened the circuit."""
        if self._streak == 0:
            self._streak_since = now
        self._streak += 1
        self._messages.add(message)
        if self._outage is not None:
            self._outage = replace(self._outage, last_error=error)
            return False
        if self._streak < self.open_after or len(self._messages) < 2:
            return False
        self._outage = Outage(transport=self.transport, since=self._streak_since or now, last_error=error)
        self._probe_at = now + self.probe_every
        return True

    def answered(self) -> bool:
        """Slack answered a call (success or a message's own error). Returns True if this closed the circuit."""
        self._streak, self._streak_since, self._messages = 0, None, set()
        was_open, self._outage, self._probe_at = self._outage is not None, None, None
        return was_open

    @property
    def probe_at(self) -> datetime | None:
        """When to probe next; None while the circuit is closed."""
        return self._probe_at

    def probe_due(self, now: datetime) -> bool:
        """Whether the circuit is open and it is time to ask Slack whether it is back."""
        return self._probe_at is not None and now >= self._probe_at

    def probe_failed(self, now: datetime, error: str, *, retry_after: timedelta = timedelta(0)) -> None:
        """A probe failed: stay open and probe again after `probe_every`, or `retry_after` if that is longer."""
        if self._outage is None:
            return
        self._outage = replace(self._outage, last_error=error)
        self._probe_at = now + max(self.probe_every, retry_after)
