"""Faults that hold delivery until someone fixes them: the whole transport, or one address of it.

Pure bookkeeping, one `Holds` per transport: every method takes `now`, and the dispatcher makes the
calls (a probe for the transport, a re-check per address) when `due` says so. In memory: a restarted
process meets the fault again on its first delivery and holds again, losing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from connectors.delivery import Fault

PROBE_EVERY = timedelta(seconds=30)  # a held transport: someone is reinstalling the app, not a blip
RECHECK_EVERY = timedelta(seconds=60)  # a held address: someone is unarchiving or inviting


@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """Delivery held by `fault` since `since` for `transport` (`address` None: all of it); the next
    probe or re-check is at `check_at`."""

    transport: str
    address: str | None
    fault: Fault
    since: datetime
    check_at: datetime

    def describe(self) -> str:
        """The `/healthz` problem line: `slack: held since …: token_revoked: reinstall the app …`."""
        where = f"{self.transport} {self.address}" if self.address else self.transport
        return f"{where}: held since {self.since.isoformat(timespec='seconds')}: {self.fault.error}: {self.fault.fix}"

    def document(self) -> dict[str, Any]:
        """The hold as `/healthz` lists it under `held`."""
        return {
            "transport": self.transport,
            "address": self.address,
            "error": self.fault.error,
            "fix": self.fault.fix,
            "since": self.since.isoformat(),
        }


class Holds:
    """The holds of one transport."""

    def __init__(
        self, transport: str, *, probe_every: timedelta = PROBE_EVERY, recheck_every: timedelta = RECHECK_EVERY
    ) -> None:
        self.transport = transport
        self.probe_every, self.recheck_every = probe_every, recheck_every
        self.workspace: Held | None = None
        self._addresses: dict[str, Held] = {}

    def hold(self, fault: Fault, now: datetime, *, address: str | None = None) -> Held:
        """Hold the transport (`address` None) or one address for `fault`; a hold already there keeps
        its `since` and next check, and takes the newer fault. Returns the hold."""
        current = self.workspace if address is None else self._addresses.get(address)
        if current is not None:
            held = replace(current, fault=fault)
        else:
            every = self.probe_every if address is None else self.recheck_every
            held = Held(transport=self.transport, address=address, fault=fault, since=now, check_at=now + every)
        if address is None:
            self.workspace = held
        else:
            self._addresses[address] = held
        return held

    def address(self, address: str) -> Held | None:
        """The hold on `address`, if any."""
        return self._addresses.get(address)

    def due(self, now: datetime) -> list[Held]:
        """The holds whose probe or re-check is due, the transport's first."""
        return [held for held in self.all() if held.check_at <= now]

    def checked(self, held: Held, now: datetime, *, still: Fault | None) -> None:
        """A probe or re-check of `held` ran: lift it (`still` None) or check again a period later."""
        if held.address is None:
            self.workspace = None if still is None else replace(held, fault=still, check_at=now + self.probe_every)
        elif still is None:
            self._addresses.pop(held.address, None)
        else:
            self._addresses[held.address] = replace(held, fault=still, check_at=now + self.recheck_every)

    def next_check(self) -> datetime | None:
        """When the next probe or re-check is due; None without holds."""
        return min((held.check_at for held in self.all()), default=None)

    def all(self) -> list[Held]:
        """Every hold, the transport's first, then by address."""
        holds = [self.workspace] if self.workspace is not None else []
        return [*holds, *(self._addresses[address] for address in sorted(self._addresses))]
