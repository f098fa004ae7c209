"""Held leads: the deadline of a lead the `off_hours: hold` policy keeps until the first shift.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "held_leads",
        sa.Column("lead_id", ID, autoincrement=False, nullable=False),
        sa.Column("team_id", sa.String(64)),
        sa.Column("held_at", TIME, nullable=False),
        sa.Column("release_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_held_leads_lead_id_leads")),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_held_leads")),
    )
    op.create_index(op.f("ix_held_leads_release_at"), "held_leads", ["release_at"])
    op.create_index(op.f("ix_held_leads_team_id"), "held_leads", ["team_id"])


def downgrade() -> None:
    op.drop_table("held_leads")
