"""Outbox rows carry a transport and an address: `transport` (every existing row is a Slack message,
so the default is 'slack') and `address`, today's `target` renamed (a Slack user or channel now; a
webhook endpoint or a CRM record later). Pending rows stay ordered per (transport, address).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending_target", table_name="outbox")
    # Plain ALTERs, which SQLite (3.25+) and PostgreSQL both run in place: no table copy, and the rows
    # already there keep their ids, leases and attempts.
    op.execute("ALTER TABLE outbox RENAME COLUMN target TO address")
    op.add_column("outbox", sa.Column("transport", sa.String(16), server_default="slack", nullable=False))
    op.create_index(
        "ix_outbox_pending_address",
        "outbox",
        ["transport", "address", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_address", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("transport")
    op.execute("ALTER TABLE outbox RENAME COLUMN address TO target")
    op.create_index(
        "ix_outbox_pending_target", "outbox", ["target", "id"], sqlite_where=PENDING, postgresql_where=PENDING
    )
