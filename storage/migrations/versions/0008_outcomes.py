"""Outcomes: `outcomes` (every outcome reported for a lead, append-only, one per lead, state and
time), the lead's current outcome on `leads` (`outcome`, `outcome_at`), the lead's email as matched
(`email_key`, lower case, indexed with `received_at`: an outcome or a repeat finds a person's lead),
`lead_repeats` (a person's later submissions attached to their lead rather than routed again), and
each rep's results as counters, `rep_results` (won and closed within the performance window) with
`closed_leads` (the leads counted, which leave as the window passes them). No outcome existed before;
`email_key` is filled from the leads' contacts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_STATES = "state IN ('working', 'won', 'lost', 'disqualified', 'reopened')"


def upgrade() -> None:
    op.add_column("leads", sa.Column("outcome", sa.String(16)))
    op.add_column("leads", sa.Column("outcome_at", sa.DateTime(timezone=True)))
    op.add_column("leads", sa.Column("email_key", sa.String(255)))
    is_sqlite = op.get_bind().dialect.name == "sqlite"
    email = "json_extract(contact, '$.email')" if is_sqlite else "contact->>'email'"
    op.execute(f"UPDATE leads SET email_key = lower({email})")
    op.create_index("ix_leads_email_key_received_at", "leads", ["email_key", "received_at"])
    op.create_table(
        "outcomes",
        sa.Column("id", _ID, nullable=False, autoincrement=True),
        sa.Column("lead_id", _ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Float()),
        sa.Column("rep_id", sa.String(64)),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.CheckConstraint(_STATES, name="ck_outcomes_state"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_outcomes_lead_id_leads"),
        sa.PrimaryKeyConstraint("id", name="pk_outcomes"),
        sa.UniqueConstraint("lead_id", "state", "occurred_at", name="uq_outcomes_lead_id_state_occurred_at"),
    )
    op.create_table(
        "lead_repeats",
        sa.Column("id", _ID, nullable=False, autoincrement=True),
        sa.Column("lead_id", _ID, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(255)),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("contact", _JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_lead_repeats_lead_id_leads"),
        sa.PrimaryKeyConstraint("id", name="pk_lead_repeats"),
        sa.UniqueConstraint("source", "external_id", name="uq_lead_repeats_source_external_id"),
    )
    op.create_index("ix_lead_repeats_lead_id", "lead_repeats", ["lead_id"])
    op.create_table(
        "rep_results",
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("rep_id", name="pk_rep_results"),
    )
    op.create_table(
        "closed_leads",
        sa.Column("lead_id", _ID, nullable=False, autoincrement=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_closed_leads_lead_id_leads"),
        sa.PrimaryKeyConstraint("lead_id", name="pk_closed_leads"),
    )
    op.create_index("ix_closed_leads_closed_at", "closed_leads", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_closed_leads_closed_at", table_name="closed_leads")
    op.drop_table("closed_leads")
    op.drop_table("rep_results")
    op.drop_index("ix_lead_repeats_lead_id", table_name="lead_repeats")
    op.drop_table("lead_repeats")
    op.drop_table("outcomes")
    op.drop_index("ix_leads_email_key_received_at", table_name="leads")
    op.drop_column("leads", "email_key")
    op.drop_column("leads", "outcome_at")  # SQLite 3.35+ drops an unindexed column in place
    op.drop_column("leads", "outcome")
