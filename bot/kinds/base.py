"""What a message kind is: how one outbox row of that kind reaches Slack, and whose Home it changes.

A kind's module holds all of it in one place: its docstring says who receives it; its `deliver`
renders the row for its surface (`bot.render`) and sends it through an `Outlet`; its `MessageKind`
says whether a backlog of it may fold into one digest and which Homes a delivery changes. The rows
themselves are written by the storage transitions (`storage.messages`), in the same transaction as
the change they report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.render.kit import Rendered
from bot.slack import Upload
from routing import RoutingConfig
from storage.model import LeadView, Offer, OutboxItem, OutboxKind

Landed = tuple[str, str]  # (channel, ts) of the message a delivery posted or rewrote; ("", "") for none


class Outlet(Protocol):
    """The Slack side of delivery, as the Slack transport (`bot.delivery.slack`) offers it to every kind."""

    @property
    def config(self) -> RoutingConfig: ...

    def dm(self, person_id: str) -> str:
        """The Slack user to DM for config id `person_id`; raises RecipientGone if there is none."""
        ...

    async def post(
        self,
        item: OutboxItem,
        channel: str,
        rendered: Rendered,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> Landed:
        """Post `rendered` for `item`, exactly once across retries (the row's dedup key)."""
        ...

    async def update(self, channel: str, ts: str, rendered: Rendered) -> Landed:
        """Rewrite the message at (`channel`, `ts`)."""
        ...

    async def upload(self, item: OutboxItem, channel: str, files: Sequence[Upload], *, thread_ts: str) -> None:
        """Share `files` in the thread of `thread_ts`, exactly once across retries of `item`."""
        ...


Deliver = Callable[[Outlet, OutboxItem, LeadView | None, datetime], Awaitable[Landed]]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageKind:
    """One kind of outbox row.

    `deliver(outlet, item, view, now)` sends it, given the lead the row names as it is at `now` (None
    for a row about no lead), and raises NotDeliverable for a row it cannot deliver. `digestible`:
    a backlog of such channel posts may go out as one digest. `rep_home`: the addressed rep's Home
    changes (their open offers); `team_homes`: the Homes of the lead's team managers change.
    """

    kind: OutboxKind
    deliver: Deliver
    digestible: bool = False
    rep_home: bool = False
    team_homes: bool = True


class NotDeliverable(LookupError):
    """The row cannot be delivered as it stands: it names no lead, or an offer that is not part of its lead."""


def lead_of(view: LeadView | None) -> LeadView:
    """The lead a row is about; raises NotDeliverable for a row that names none."""
    if view is None:
        raise NotDeliverable("the row names no lead")
    return view


def offer_of(view: LeadView, offer_id: int | None) -> Offer:
    """The offer a row is about, from its lead; raises NotDeliverable if the lead has no such offer."""
    for offer in view.offers:
        if offer.id == offer_id:
            return offer
    raise NotDeliverable(f"offer {offer_id} is not part of lead {view.lead.id}")


def thread_of(item: OutboxItem) -> str | None:
    """The lead's thread in the row's channel, once its first channel post went out; None before."""
    return item.thread_ts if item.thread_ts and item.thread_channel == item.address else None
