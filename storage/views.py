"""Read models for the UI (App Home, the lead card, the channel); the report's numbers are in `reports`.

Reads never take the write lock: on SQLite they see one consistent WAL snapshot, on PostgreSQL the
latest committed state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from routing import RoutingConfig, Window
from storage.db import Database
from storage.errors import LeadNotFound, OfferNotFound
from storage.model import AuditEntry, LeadRecord, LeadState, LeadView, Offer, PtoRecord, RepRuntime
from storage.rows import audit_entry, lead_record, offer
from storage.tables import UNCLAIMED, audit, held_leads, leads, offers, rep_pto, rep_settings


def _read_lead_view(conn: Connection, lead_id: int) -> LeadView:
    """`Views.lead_view` on an open connection."""
    row = conn.execute(select(leads).where(leads.c.id == lead_id)).one_or_none()
    if row is None:
        raise LeadNotFound(lead_id)
    made = conn.execute(select(offers).where(offers.c.lead_id == lead_id).order_by(offers.c.id))
    history = conn.execute(select(audit).where(audit.c.lead_id == lead_id).order_by(audit.c.id))
    return LeadView(
        lead=lead_record(row),
        offers=tuple(offer(r) for r in made),
        history=tuple(audit_entry(r) for r in history),
    )


class Views:
    """Queries that return domain objects, on one `Database` under one routing config."""

    def __init__(self, db: Database, config: RoutingConfig) -> None:
        self.db = db
        self.config = config

    async def offer(self, offer_id: int) -> Offer:
        """The offer. Raises OfferNotFound."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(offers).where(offers.c.id == offer_id))).one_or_none()
        if row is None:
            raise OfferNotFound(offer_id)
        return offer(row)

    async def holder(self, lead_id: int) -> str | None:
        """Who has the lead now: its owner once claimed, the rep offered it while assigned, else None
        (nobody, or it is gone)."""
        stmt = (
            select(leads.c.state, leads.c.claimed_by, offers.c.rep_id)
            .select_from(leads.outerjoin(offers, offers.c.id == leads.c.offer_id))
            .where(leads.c.id == lead_id)
        )
        async with self.db.read() as conn:
            row = (await conn.execute(stmt)).one_or_none()
        if row is None:
            return None
        if row.state == LeadState.CLAIMED.value:
            return str(row.claimed_by) if row.claimed_by else None
        return str(row.rep_id) if row.state == LeadState.ASSIGNED.value and row.rep_id else None

    async def lead_view(self, lead_id: int) -> LeadView:
        """The lead with its offers and its audit trail, both oldest first. Raises LeadNotFound."""
        async with self.db.read() as conn:
            return await conn.run_sync(_read_lead_view, lead_id)

    async def lead_views(self, lead_ids: Sequence[int]) -> list[LeadView]:
        """Several leads with their offers and audit trails, in `lead_ids` order, in three queries
        (a digest of hundreds of leads must not cost hundreds of round trips). Unknown ids are skipped."""
        wanted = list(dict.fromkeys(lead_ids))
        async with self.db.read() as conn:
            rows = {r.id: r for r in await conn.execute(select(leads).where(leads.c.id.in_(wanted)))}
            made = await conn.execute(select(offers).where(offers.c.lead_id.in_(wanted)).order_by(offers.c.id))
            history = await conn.execute(select(audit).where(audit.c.lead_id.in_(wanted)).order_by(audit.c.id))
            offers_of: dict[int, list[Offer]] = {}
            for r in made:
                offers_of.setdefault(r.lead_id, []).append(offer(r))
            history_of: dict[int, list[AuditEntry]] = {}
            for r in history:
                history_of.setdefault(r.lead_id, []).append(audit_entry(r))
        return [
            LeadView(
                lead=lead_record(rows[lead_id]),
                offers=tuple(offers_of.get(lead_id, ())),
                history=tuple(history_of.get(lead_id, ())),
            )
            for lead_id in wanted
            if lead_id in rows
        ]

    async def open_offers_for(self, rep_id: str) -> list[Offer]:
        """The rep's open offers, the one due first first."""
        stmt = (
            select(offers)
            .where(offers.c.rep_id == rep_id, offers.c.state == "open")
            .order_by(offers.c.due_at, offers.c.id)
        )
        async with self.db.read() as conn:
            return [offer(r) for r in await conn.execute(stmt)]

    async def recent_claims(self, rep_id: str, *, limit: int = 10) -> list[Offer]:
        """The rep's last `limit` accepted offers (released ones included), newest first."""
        stmt = (
            select(offers)
            .where(offers.c.rep_id == rep_id, offers.c.claimed_at.is_not(None))
            .order_by(offers.c.claimed_at.desc(), offers.c.id.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            return [offer(r) for r in await conn.execute(stmt)]

    async def unclaimed_for_team(self, team_id: str) -> list[LeadRecord]:
        """The team's leads that nobody owns yet (offered, escalated or queued), oldest first."""
        stmt = (
            select(leads)
            .where(leads.c.team_id == team_id, UNCLAIMED)  # the partial index's own condition
            .order_by(leads.c.received_at, leads.c.id)
        )
        async with self.db.read() as conn:
            return [lead_record(r) for r in await conn.execute(stmt)]

    async def held_for_team(self, team_id: str) -> list[tuple[LeadRecord, datetime]]:
        """The team's leads held for the first shift (`off_hours: hold`), each with its release time,
        earliest release first; a lead someone assigned meanwhile is no longer held."""
        stmt = (
            select(leads, held_leads.c.release_at)
            .join(held_leads, held_leads.c.lead_id == leads.c.id)
            .where(held_leads.c.team_id == team_id, leads.c.state == LeadState.RECEIVED.value)
            .order_by(held_leads.c.release_at, leads.c.id)
        )
        async with self.db.read() as conn:
            return [(lead_record(r), r.release_at) for r in await conn.execute(stmt)]

    async def rep_runtime(self, rep_id: str, now: datetime) -> RepRuntime:
        """The rep's PTO windows not over at `now` (cleared ones included) and settings overrides."""
        async with self.db.read() as conn:
            pto = await conn.execute(
                select(rep_pto)
                .where(rep_pto.c.rep_id == rep_id, rep_pto.c.ends_at > now)
                .order_by(rep_pto.c.starts_at, rep_pto.c.id)
            )
            windows = tuple(
                PtoRecord(
                    id=r.id,
                    rep_id=r.rep_id,
                    window=Window(r.starts_at, r.ends_at),
                    set_by=r.set_by,
                    set_at=r.set_at,
                    cleared_by=r.cleared_by,
                    cleared_at=r.cleared_at,
                )
                for r in pto
            )
            settings = (await conn.execute(select(rep_settings).where(rep_settings.c.rep_id == rep_id))).one_or_none()
        return RepRuntime(
            rep_id=rep_id,
            pto=windows,
            capacity_override=settings.capacity_override if settings else None,
            capacity_set_by=settings.capacity_set_by if settings else None,
            capacity_set_at=settings.capacity_set_at if settings else None,
            paused=bool(settings.paused) if settings else False,
            paused_set_by=settings.paused_set_by if settings else None,
            paused_set_at=settings.paused_set_at if settings else None,
        )
