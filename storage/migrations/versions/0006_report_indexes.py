"""A team's leads by time, `(team_id, received_at)`: a team's report, digest and alerts read one range of
it, where the `(team_id, state)` index would have them walk every lead the team ever had.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_team_id_received_at", "leads", ["team_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_team_id_received_at", table_name="leads")
