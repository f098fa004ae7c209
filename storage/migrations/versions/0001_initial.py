"""Initial schema: leads, offers, rep runtime state, rotation pools, audit trail and outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out here rather than imported from storage.tables: a revision must keep creating what it
# created on the day it was written, whatever the tables module says later.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
PENDING = sa.text("sent_at IS NULL AND failed_at IS NULL")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "leads",
        _id(),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(255)),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("contact", JSON, nullable=False),
        sa.Column("facts", JSON),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("offer_id", ID),
        sa.Column("team_id", sa.String(64)),
        sa.Column("sla", sa.String(64)),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("assigned_at", TIME),
        sa.Column("claimed_at", TIME),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pings", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_ping_at", TIME),
        sa.Column("thread_channel", sa.String(64)),
        sa.Column("thread_ts", sa.String(32)),
        sa.CheckConstraint(
            "state IN ('received', 'nurture', 'assigned', 'claimed', 'escalated', 'queued')",
            name=op.f("ck_leads_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_leads_source_external_id")),
    )
    op.create_index(op.f("ix_leads_received_at"), "leads", ["received_at"])
    op.create_index(op.f("ix_leads_state_next_ping_at"), "leads", ["state", "next_ping_at"])
    op.create_index(op.f("ix_leads_team_id_state"), "leads", ["team_id", "state"])

    op.create_table(
        "pools",
        sa.Column("pool_id", sa.String(64), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_pools")),
    )
    op.create_table(
        "pool_members",
        sa.Column("pool_id", sa.String(64), nullable=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("last_turn", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("credit", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.pool_id"], name=op.f("fk_pool_members_pool_id_pools")),
        sa.PrimaryKeyConstraint("pool_id", "rep_id", name=op.f("pk_pool_members")),
    )

    op.create_table(
        "rep_pto",
        _id(),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("ends_at", TIME, nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", TIME, nullable=False),
        sa.Column("cleared_by", sa.String(64)),
        sa.Column("cleared_at", TIME),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_rep_pto_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep_pto")),
    )
    op.create_index(op.f("ix_rep_pto_rep_id_ends_at"), "rep_pto", ["rep_id", "ends_at"])
    op.create_table(
        "rep_settings",
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("capacity_override", sa.Integer()),
        sa.Column("capacity_set_by", sa.String(64)),
        sa.Column("capacity_set_at", TIME),
        sa.Column("paused", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("paused_set_by", sa.String(64)),
        sa.Column("paused_set_at", TIME),
        sa.PrimaryKeyConstraint("rep_id", name=op.f("pk_rep_settings")),
    )

    op.create_table(
        "offers",
        _id(),
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer()),
        sa.Column("rule", sa.String(128)),
        sa.Column("pool", sa.String(64)),
        sa.Column("strategy", sa.String(32)),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("sla", sa.String(64)),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("offered_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("remind_at", TIME),
        sa.Column("reminded_at", TIME),
        sa.Column("claimed_at", TIME),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("ended_at", TIME),
        sa.Column("end_reason", sa.String(16)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("dm_channel", sa.String(64)),
        sa.Column("dm_ts", sa.String(32)),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('claimed', 'expired', 'reassigned', 'taken', 'released', 'withdrawn')",
            name=op.f("ck_offers_end_reason"),
        ),
        sa.CheckConstraint("state IN ('open', 'claimed', 'ended')", name=op.f("ck_offers_state")),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_offers_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_index(op.f("ix_offers_assigned_at_rep_id_state"), "offers", ["assigned_at", "rep_id", "state"])
    op.create_index(op.f("ix_offers_lead_id"), "offers", ["lead_id"])
    op.create_index(op.f("ix_offers_rep_id_state"), "offers", ["rep_id", "state"])
    op.create_index(op.f("ix_offers_state_due_at"), "offers", ["state", "due_at"])
    op.create_index(op.f("ix_offers_state_remind_at"), "offers", ["state", "remind_at"])

    op.create_table(
        "audit",
        _id(),
        sa.Column("lead_id", ID),
        sa.Column("offer_id", ID),
        sa.Column("rep_id", sa.String(64)),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("from_state", sa.String(32)),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", JSON),
        sa.CheckConstraint("actor_kind IN ('rep', 'manager', 'system')", name=op.f("ck_audit_actor_kind")),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_audit_lead_id_leads")),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name=op.f("fk_audit_offer_id_offers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_index(op.f("ix_audit_lead_id"), "audit", ["lead_id"])
    op.create_index(op.f("ix_audit_rep_id"), "audit", ["rep_id"])

    op.create_table(
        "outbox",
        _id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lead_id", ID),
        sa.Column("offer_id", ID),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("sent_at", TIME),
        sa.Column("failed_at", TIME),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("result_channel", sa.String(64)),
        sa.Column("result_ts", sa.String(32)),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_outbox_lead_id_leads")),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name=op.f("fk_outbox_offer_id_offers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
    )
    op.create_index(
        "ix_outbox_pending_target",
        "outbox",
        ["target", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(op.f("ix_outbox_sent_at_next_attempt_at"), "outbox", ["sent_at", "next_attempt_at"])
    op.create_index(op.f("ix_outbox_lead_id_kind"), "outbox", ["lead_id", "kind"])


def downgrade() -> None:
    for table in ("outbox", "audit", "offers", "rep_settings", "rep_pto", "pool_members", "pools", "leads"):
        op.drop_table(table)
