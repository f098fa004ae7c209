"""Routing load as counters: `rep_load` (per rep: open offers, claimed offers held in the load,
assignments of the current local day, latest assignment) and `load_holds` (claimed offers still
counted), kept by the transitions from now on; plus a partial index of open offers per rep and an
index of each rep's claims by time (Home and /leads show the latest), and a partial index of each
team's unclaimed leads (a manager's Home).

The counters are filled here from the offers with the default seven-day window and each day counted
in UTC; `leadrelay db check --repair` recomputes them with the configured reps' time zones.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")
UNCLAIMED = sa.text("state IN ('assigned', 'escalated', 'queued')")


def upgrade() -> None:
    op.create_index("ix_offers_open_rep", "offers", ["rep_id", "assigned_at"], sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_offers_rep_id_claimed_at", "offers", ["rep_id", "claimed_at"])
    op.create_index(
        "ix_leads_unclaimed", "leads", ["team_id", "received_at"], sqlite_where=UNCLAIMED, postgresql_where=UNCLAIMED
    )
    op.create_table(
        "rep_load",
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("open_offers", sa.Integer(), nullable=False),
        sa.Column("held_offers", sa.Integer(), nullable=False),
        sa.Column("day_start", sa.DateTime(timezone=True)),
        sa.Column("assigned_today", sa.Integer(), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("rep_id", name="pk_rep_load"),
    )
    op.create_table(
        "load_holds",
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name="fk_load_holds_offer_id_offers"),
        sa.PrimaryKeyConstraint("offer_id", name="pk_load_holds"),
    )
    op.create_index("ix_load_holds_assigned_at", "load_holds", ["assigned_at"])
    _fill()


def _fill() -> None:
    """The counters the existing offers imply (the window: the default seven days; days: UTC)."""
    is_sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite keeps naive UTC text: 'YYYY-MM-DD HH:MM:SS[.ffffff]'; both engines compare in time order.
    since = "datetime('now', '-7 days')" if is_sqlite else "now() - interval '7 days'"
    day = (
        "substr(max(o.assigned_at), 1, 10) || ' 00:00:00.000000'"
        if is_sqlite
        else ("date_trunc('day', max(o.assigned_at) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")
    )
    op.execute(
        f"INSERT INTO load_holds (offer_id, rep_id, assigned_at) SELECT id, rep_id, assigned_at FROM offers "
        f"WHERE state = 'claimed' AND assigned_at >= {since}"
    )
    op.execute(
        "INSERT INTO rep_load (rep_id, open_offers, held_offers, day_start, assigned_today, last_assigned_at) "
        "SELECT o.rep_id, sum(CASE WHEN o.state = 'open' THEN 1 ELSE 0 END), "
        "(SELECT count(*) FROM load_holds h WHERE h.rep_id = o.rep_id), "
        f"{day}, 0, max(o.assigned_at) FROM offers o GROUP BY o.rep_id"
    )
    op.execute(
        "UPDATE rep_load SET assigned_today = (SELECT count(*) FROM offers o "
        "WHERE o.rep_id = rep_load.rep_id AND o.assigned_at >= rep_load.day_start)"
    )


def downgrade() -> None:
    op.drop_index("ix_load_holds_assigned_at", table_name="load_holds")
    op.drop_table("load_holds")
    op.drop_table("rep_load")
    op.drop_index("ix_offers_open_rep", table_name="offers")
    op.drop_index("ix_offers_rep_id_claimed_at", table_name="offers")
    op.drop_index("ix_leads_unclaimed", table_name="leads")
