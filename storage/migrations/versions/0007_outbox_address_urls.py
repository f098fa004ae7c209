"""An outbox address can be a webhook endpoint's URL: `address` grows from 64 characters (a Slack user
or channel id) to 2000 (the longest URL `webhooks[].url` accepts).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL widens a varchar in place (no rewrite, no index rebuild); SQLite needs the batch copy to
    # change the declared type, and keeps the rows, their ids and the partial index.
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("address", type_=sa.String(2000), existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("address", type_=sa.String(64), existing_type=sa.String(2000), existing_nullable=False)
