"""Keeping App Home tabs current. Every message the sender delivers says whose Home changed: the rep of
a new or closed offer, and the managers of the lead's team (their team's loads and unclaimed leads).
Of those, the people who have opened their Home lately (Slack says nothing when the tab closes) get it
republished a moment later, once however many changes came meanwhile: a burst of leads costs each
viewer one `views.publish`, and reps who never look cost nothing, which keeps us inside Slack's rate
limit for `views.publish`.

The Home is a view of the database; publishing is best effort, and opening the tab always rebuilds it.
With several replicas, a viewer is known to the replica that saw them open the tab.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot.kinds import KINDS
from routing import RoutingConfig
from storage.model import LeadView, OutboxItem

GAP = 2.0  # seconds a change waits for others to publish with it
VIEWING = 3600.0  # seconds after opening the Home that a person still counts as looking at it

Publish = Callable[[str], Awaitable[None]]


def touched(config: RoutingConfig, item: OutboxItem, view: LeadView | None) -> set[str]:
    """The people whose Home shows what delivering `item` reports."""
    kind = KINDS.get(item.kind)
    if kind is None:
        return set()
    people = {item.address} if kind.rep_home else set()
    team = view.lead.team_id if view is not None else item.payload.get("team_id")
    if kind.team_homes and isinstance(team, str) and team in config.teams:
        people.update(config.escalation_chain(team))
    return people


class HomeRefresher:
    """Republishes the Homes deliveries touched, coalesced over `gap` seconds. `publish` is set by the
    Home feature, which knows how to build one."""

    def __init__(self, config: RoutingConfig, *, gap: float = GAP) -> None:
        self.config, self.gap = config, gap
        self.publish: Publish | None = None
        self._dirty: set[str] = set()
        self._pending: asyncio.Task[None] | None = None
        self._opened: dict[str, float] = {}  # person: when they last opened their Home (loop time)

    def opened(self, person: str) -> None:
        """`person` opened their Home (or used it): keep it current for a while."""
        self._opened[person] = asyncio.get_running_loop().time()

    def delivered(self, item: OutboxItem, view: LeadView | None) -> None:
        """The sender delivered `item`: republish the Homes it touched that someone is looking at, soon."""
        if self.publish is None or not self._opened:
            return  # nobody is looking: nothing to work out, on every delivery
        since = asyncio.get_running_loop().time() - VIEWING
        people = {person for person in touched(self.config, item, view) if self._opened.get(person, since) > since}
        if not people:
            return
        self._dirty |= people
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._after_gap(), name="home-refresh")

    async def flush(self) -> None:
        """Republish every Home waiting to be, now."""
        dirty, self._dirty = self._dirty, set()
        if self.publish is not None:
            for person in sorted(dirty):
                await self.publish(person)

    async def close(self) -> None:
        """Drop what is waiting: those Homes are rebuilt when next opened."""
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending

    async def _after_gap(self) -> None:
        await asyncio.sleep(self.gap)
        await self.flush()
