"""poll_cursors: where each poll of an outside system got to (a CRM's outcomes, `connectors.crm.poll`),
so a restarted process reads on from there instead of from scratch or from now.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_poll_cursors"),
    )


def downgrade() -> None:
    op.drop_table("poll_cursors")
