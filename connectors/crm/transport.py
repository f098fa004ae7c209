"""The CRM transport: writes each owner row (`connectors.crm.relay`) through a `CrmApi`, and reads its
errors into the fault taxonomy (`connectors.delivery`).

The official clients are synchronous: each call runs in a worker thread, bounded by `CALL_TIMEOUT`
(a call still running past it is abandoned, and the row retried: `write_owner` is idempotent, so a
write that landed late is written again to the same value).

    written                                  Delivered (`ts`: the CRM record's id)
    CrmAuthError (token revoked, a scope     WorkspaceFault: every CRM row waits; /healthz names it
    missing)                                 with the fix; a probe (`check`) every 30 s resumes them
    CrmRateLimited                           Transient, after the CRM's wait (`rate_limited`)
    CrmUnavailable, no answer in time        Transient: the dispatcher's backoff and outage circuit
    CrmRejected                              Permanent: dead-lettered (`leadrelay outbox retry`)
    the owner has no CRM user                AddressFault on that person: their writes wait (the lead
                                             is routed and worked in Slack as ever), /healthz names
                                             them, and a re-check every minute resumes them once the
                                             CRM has a user with their email
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from connectors.crm.api import CrmApi, CrmAuthError, CrmError, CrmRateLimited, CrmRejected, OwnerWrite
from connectors.delivery import (
    CALL_TIMEOUT,
    AddressFault,
    Delivered,
    Outcome,
    Permanent,
    RetrySchedule,
    Transient,
    WorkspaceFault,
)
from routing import RoutingConfig
from storage.model import LeadView, OutboxItem

_T = TypeVar("_T")

# A CRM outage ends, and the owner must still land: back off to every 10 minutes, never give up.
CRM_SCHEDULE = RetrySchedule(delays=(5, 30, 120, 600))
USER_TTL = timedelta(minutes=15)  # how long a rep's CRM user id is trusted before it is looked up again


class CrmCallFailed(Exception):
    """A CRM call ended in `outcome` (a fault, already classified)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(str(outcome))
        self.outcome = outcome


async def call(fn: Callable[..., _T], *args: object, timeout: float = CALL_TIMEOUT) -> _T:  # noqa: ASYNC109
    """Run one synchronous CRM call in a worker thread within `timeout` (a parameter rather than the
    caller's `asyncio.timeout`: every CRM call has the same bound). Raises CrmCallFailed with its error
    read into the fault taxonomy; raises nothing else a CRM can cause."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(fn, *args), timeout)
    except TimeoutError:
        raise CrmCallFailed(Transient(error=f"no answer within {timeout:g}s")) from None
    except CrmError as exc:
        raise CrmCallFailed(classify(exc)) from exc


def classify(error: CrmError) -> Outcome:
    """The outcome of a CRM error, as the module docstring's table says."""
    match error:
        case CrmAuthError():
            return WorkspaceFault(error=str(error), fix=error.fix)
        case CrmRateLimited():
            return Transient(error=str(error), after=error.after, rate_limited=True)
        case CrmRejected():
            return Permanent(error=str(error))
        case _:
            return Transient(error=str(error))


class CrmUsers:
    """Each person's CRM user id, looked up by their email and kept for `USER_TTL`.

    In memory rather than in a table: a team has a few dozen reps, one lookup each per quarter hour is
    nothing against the CRM's limits, and a table would have to be kept in step with the CRM (a user
    deactivated, an email changed) where a short TTL simply asks again. A miss is not kept: the person's
    writes are held, and the hold's re-check asks again."""

    def __init__(self, api: CrmApi, config: RoutingConfig, *, now: Callable[[], datetime], timeout: float) -> None:
        self.api, self.config, self.now, self.timeout = api, config, now, timeout
        self._found: dict[str, tuple[str, datetime]] = {}  # email: (user id, trusted until)

    def email(self, person_id: str) -> str | None:
        person = self.config.reps.get(person_id) or self.config.managers.get(person_id)
        return person.email if person is not None else None

    async def user(self, person_id: str, *, fresh: bool = False) -> str:
        """The CRM user id of `person_id`. Raises CrmCallFailed: an AddressFault naming what is missing
        when the config has no email for them or the CRM no user with it, else the call's fault."""
        email = self.email(person_id)
        if email is None:
            fix = f"give {person_id} an `email` in the config (the address of their {self.api.name} user)"
            raise CrmCallFailed(AddressFault(error=f"{person_id} has no email in the config", fix=fix))
        now = self.now()
        cached = self._found.get(email)
        if cached is not None and cached[1] > now and not fresh:
            return cached[0]
        found = await call(self.api.find_user, email, timeout=self.timeout)
        if found is None:
            self._found.pop(email, None)
            error = f"no {self.api.name} user has the email {email} ({person_id})"
            fix = (
                f"add {email} as a user in {self.api.name} (or correct {person_id}'s email in the config); "
                "their leads are routed meanwhile, and the owner is written once the user exists"
            )
            raise CrmCallFailed(AddressFault(error=error, fix=fix))
        self._found[email] = (found, now + USER_TTL)
        return found


class CrmTransport:
    """The `crm` transport for one `CrmApi`. `now`: the injected clock, for the user cache. `holder`:
    who has a lead now (`storage.views.Views.holder`), so a write held back (a rep without a CRM user
    yet) never overwrites the owner of a lead that has moved on to someone else meanwhile."""

    retry_schedule = CRM_SCHEDULE

    def __init__(
        self,
        api: CrmApi,
        config: RoutingConfig,
        *,
        now: Callable[[], datetime],
        holder: Callable[[int], Awaitable[str | None]] | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> None:
        self.api, self.timeout, self.holder = api, timeout, holder
        self.users = CrmUsers(api, config, now=now, timeout=timeout)

    async def deliver(self, item: OutboxItem, view: LeadView | None) -> Outcome:
        """Make the row's person the owner of its lead's CRM record and say how it went; a row whose
        lead is someone else's by now has nothing left to write (`Delivered` with no record)."""
        payload = item.payload
        if self.holder is not None and item.lead_id is not None:
            now_with = await self.holder(item.lead_id)
            if now_with is not None and now_with != item.address:
                return Delivered()
        try:
            owner_id = await self.users.user(item.address)
            write = OwnerWrite(
                record_id=payload.get("record_id"),
                email=payload.get("email"),
                lead=payload.get("lead") or {},
                owner_id=owner_id,
                fields=payload.get("fields") or {},
            )
            record_id = await call(self.api.write_owner, write, timeout=self.timeout)
        except CrmCallFailed as failed:
            return failed.outcome
        return Delivered(channel=self.api.name, ts=record_id[:32])

    async def probe(self, fault: WorkspaceFault | None) -> Outcome:
        """Whether the CRM answers and takes the token (`check`, one cheap call). The scopes `check`
        lists as missing are not read here: one Leadrelay needs only for outcomes must not hold the owner
        writes, and a scope a write needs that is still missing fails that write again, which holds
        again with HubSpot's own word for it."""
        try:
            await call(self.api.check, timeout=self.timeout)
        except CrmCallFailed as failed:
            return failed.outcome
        return Delivered()

    async def recheck(self, address: str, fault: AddressFault) -> Outcome:
        """Whether the person at `address` has a CRM user now (asked afresh, not from the cache)."""
        try:
            await self.users.user(address, fresh=True)
        except CrmCallFailed as failed:
            return failed.outcome
        return Delivered()
