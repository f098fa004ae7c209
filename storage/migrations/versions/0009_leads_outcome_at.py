"""Leads by the time their current outcome occurred, `(outcome_at)`: the report's win rates read one
range of it, where without it they would walk every lead ever stored.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_outcome_at", "leads", ["outcome_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_outcome_at", table_name="leads")
