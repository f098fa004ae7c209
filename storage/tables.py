"""The schema, as SQLAlchemy Core tables. Migrations in `storage/migrations` create exactly this.

Times are `UtcDateTime`: aware UTC in and out on both engines (SQLite keeps fixed-width UTC text, so
comparisons stay correct). Indexes serve the hot paths: open and due offers `(state, due_at)`,
recent offers `(assigned_at, rep_id, state)` (covering), a rep's offers `(rep_id, state)` and open
ones `(rep_id, assigned_at) WHERE state = 'open'`, load holds by `assigned_at`, a lead's offers
`(lead_id)`, the sender's queue `(sent_at, next_attempt_at)` plus pending rows per (transport,
address), escalated leads `(state, next_ping_at)`, and the reports' ranges:
leads by `(received_at)` and `(team_id, received_at)`, offers by `(assigned_at, …)`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; a naive value is a bug and raises ValueError."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: storage takes aware UTC times only")
        value = value.astimezone(UTC)
        # SQLite has no time zones: keep naive UTC so the stored text compares in time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid
Json = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


LEAD_STATES = ("received", "nurture", "assigned", "claimed", "escalated", "queued")
# A lead nobody owns yet (offered, escalated or queued): the condition of a partial index, and the very
# text a query must repeat for SQLite to use that index (it matches the terms, not their meaning).
UNCLAIMED = text("state IN ('assigned', 'escalated', 'queued')")
OFFER_STATES = ("open", "claimed", "ended")
OUTCOME_STATES = ("working", "won", "lost", "disqualified", "reopened")
END_REASONS = ("claimed", "expired", "reassigned", "taken", "released", "withdrawn")
ACTOR_KINDS = ("rep", "manager", "system")

leads = Table(
    "leads",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(255)),  # NULL: never deduplicated
    Column("payload", Json, nullable=False),  # what the source sent, as received
    Column("contact", Json, nullable=False),  # the validated routing.Lead
    Column("facts", Json),  # enrichment facts of the latest routing decision
    Column("state", String(16), nullable=False),
    # The open or claimed offer. No foreign key: leads and offers reference each other, which SQLite
    # cannot create with constraints; transitions keep it consistent.
    Column("offer_id", Id),
    Column("team_id", String(64)),  # the team whose channel and managers hear about this lead
    Column("sla", String(64)),  # SLA policy of the latest decision: the re-ping period
    Column("received_at", UtcDateTime, nullable=False),
    Column("assigned_at", UtcDateTime),  # first assignment: speed to lead
    Column("claimed_at", UtcDateTime),
    Column("claimed_by", String(64)),  # the owner
    Column("attempts", Integer, nullable=False, server_default="0"),  # offers made so far
    Column("escalation_level", Integer, nullable=False, server_default="0"),  # index in the chain
    Column("pings", Integer, nullable=False, server_default="0"),  # pings at the current level
    Column("next_ping_at", UtcDateTime),
    Column("thread_channel", String(64)),  # the lead's thread in the team channel, once posted
    Column("thread_ts", String(32)),
    Column("outcome", String(16)),  # the current outcome: the latest to occur (None: none recorded)
    Column("outcome_at", UtcDateTime),  # when the current outcome occurred
    Column("email_key", String(255)),  # the email as people are matched (`Dedupe.email_key`)
    UniqueConstraint("source", "external_id"),
    CheckConstraint(_one_of("state", LEAD_STATES), name="state"),
    Index(None, "state", "next_ping_at"),
    Index(None, "team_id", "state"),
    Index(None, "team_id", "received_at"),  # a team's report: one range per team
    Index(None, "received_at"),
    Index(None, "email_key", "received_at"),  # a person's latest lead
    Index(None, "outcome_at"),  # the report's win rates: outcomes of a period
    Index("ix_leads_unclaimed", "team_id", "received_at", sqlite_where=UNCLAIMED, postgresql_where=UNCLAIMED),
)

# Leads held off hours (`off_hours: hold`): the lead stays `received`, unrouted, until `release_at`,
# when the timers route it. A table of its own rather than lead columns: the deadline is all it adds.
held_leads = Table(
    "held_leads",
    metadata,
    Column("lead_id", Id, ForeignKey("leads.id"), primary_key=True, autoincrement=False),
    Column("team_id", String(64)),
    Column("held_at", UtcDateTime, nullable=False),
    Column("release_at", UtcDateTime, nullable=False),
    Index(None, "release_at"),
    Index(None, "team_id"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id"), nullable=False),
    Column("rep_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("turn", Integer),
    Column("rule", String(128)),
    Column("pool", String(64)),
    Column("strategy", String(32)),
    Column("fallback", Boolean, nullable=False),
    Column("sla", String(64)),
    Column("summary", Text, nullable=False),
    Column("reasons", Json, nullable=False),  # [{code, text, rep}], in the engine's order
    Column("offered_by", String(64), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("remind_at", UtcDateTime),
    Column("reminded_at", UtcDateTime),
    Column("claimed_at", UtcDateTime),
    Column("claimed_by", String(64)),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(16)),
    Column("state", String(16), nullable=False),
    Column("dm_channel", String(64)),
    Column("dm_ts", String(32)),
    CheckConstraint(_one_of("state", OFFER_STATES), name="state"),
    CheckConstraint(f"end_reason IS NULL OR {_one_of('end_reason', END_REASONS)}", name="end_reason"),
    Index(None, "state", "due_at"),
    Index(None, "state", "remind_at"),  # reminders due, and the earliest one for the wake-up
    Index(None, "rep_id", "state"),
    Index(None, "rep_id", "claimed_at"),  # a rep's latest claims (Home, /leads), newest first
    Index(None, "assigned_at", "rep_id", "state"),
    Index(None, "lead_id"),
    # Open offers only: a rep's open offers, and the latest still open from before the load window.
    Index(
        "ix_offers_open_rep",
        "rep_id",
        "assigned_at",
        sqlite_where=text("state = 'open'"),
        postgresql_where=text("state = 'open'"),
    ),
)

# Each rep's routing load as counters, kept by the transitions that change them (see `storage.load`).
rep_load = Table(
    "rep_load",
    metadata,
    Column("rep_id", String(64), primary_key=True),
    Column("open_offers", Integer, nullable=False),
    Column("held_offers", Integer, nullable=False),  # claimed offers with a row in `load_holds`
    Column("day_start", UtcDateTime),  # the rep's local midnight of their latest assignment
    Column("assigned_today", Integer, nullable=False),  # offers since `day_start`
    Column("last_assigned_at", UtcDateTime),
)

# Claimed offers still counted in their rep's load: each leaves when the load window passes it.
load_holds = Table(
    "load_holds",
    metadata,
    Column("offer_id", Id, ForeignKey("offers.id"), primary_key=True),
    Column("rep_id", String(64), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Index(None, "assigned_at"),
)

# Every outcome reported for a lead, append-only: a repeat of (lead, state, occurred_at) adds nothing.
outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("amount", Float),
    Column("rep_id", String(64)),  # the lead's owner when it was recorded
    Column("source", String(64), nullable=False),  # api, import, a CRM
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    UniqueConstraint("lead_id", "state", "occurred_at"),
    CheckConstraint(_one_of("state", OUTCOME_STATES), name="state"),
)

# Leads that came back: a person's new submission attached to their lead still open or claimed, instead
# of routed again (`dedupe`). Unique like leads on (source, external_id), so a retried webhook attaches once.
lead_repeats = Table(
    "lead_repeats",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("external_id", String(255)),
    Column("payload", Json, nullable=False),
    Column("contact", Json, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "external_id"),
    Index(None, "lead_id"),
)

# Each rep's won and closed leads within the performance window, as counters (see `storage.results`).
rep_results = Table(
    "rep_results",
    metadata,
    Column("rep_id", String(64), primary_key=True),
    Column("won", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
)

# Leads whose current outcome closes them, counted in their owner's results until the window passes.
closed_leads = Table(
    "closed_leads",
    metadata,
    Column("lead_id", Id, ForeignKey("leads.id"), primary_key=True, autoincrement=False),
    Column("rep_id", String(64), nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
    Column("won", Boolean, nullable=False),
    Index(None, "closed_at"),
)

rep_pto = Table(
    "rep_pto",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rep_id", String(64), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Column("cleared_by", String(64)),
    Column("cleared_at", UtcDateTime),
    CheckConstraint("ends_at > starts_at", name="window"),
    Index(None, "rep_id", "ends_at"),
)

rep_settings = Table(
    "rep_settings",
    metadata,
    Column("rep_id", String(64), primary_key=True),
    Column("capacity_override", Integer),
    Column("capacity_set_by", String(64)),
    Column("capacity_set_at", UtcDateTime),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("paused_set_by", String(64)),
    Column("paused_set_at", UtcDateTime),
)

pools = Table(
    "pools",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("turn", Integer, nullable=False),
)

pool_members = Table(
    "pool_members",
    metadata,
    Column("pool_id", String(64), ForeignKey("pools.pool_id"), primary_key=True),
    Column("rep_id", String(64), primary_key=True),
    Column("last_turn", Integer, nullable=False),
    Column("assigned", Integer, nullable=False),
    Column("credit", Float, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id")),
    Column("offer_id", Id, ForeignKey("offers.id")),
    Column("rep_id", String(64)),  # the rep a PTO / capacity / pause change is about
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Json),  # the decision trace, a reassignment note, …
    CheckConstraint(_one_of("actor_kind", ACTOR_KINDS), name="actor_kind"),
    Index(None, "lead_id"),
    Index(None, "rep_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("lead_id", Id, ForeignKey("leads.id")),
    Column("offer_id", Id, ForeignKey("offers.id")),
    Column("transport", String(16), nullable=False, server_default="slack"),  # a `Transport`
    Column("address", String(2000), nullable=False),  # where the transport delivers: a Slack user or channel, a URL
    Column("payload", Json, nullable=False),
    Column("dedup_key", String(200), nullable=False, unique=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("failed_at", UtcDateTime),  # given up (a permanent error): no longer pending
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("result_channel", String(64)),
    Column("result_ts", String(32)),
    Index(None, "sent_at", "next_attempt_at"),
    Index(None, "lead_id", "kind"),  # a lead's escalation posts, to rewrite when someone takes it
    # Pending rows per address, oldest first: what keeps delivery in order per address.
    Index(
        "ix_outbox_pending_address",
        "transport",
        "address",
        "id",
        sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
        postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
    ),
)

identity_checks = Table(  # the last check of each person and channel the config names, against Slack
    "identity_checks",
    metadata,
    Column("subject", String(200), primary_key=True),  # "person alice", "team sales's channel C0…", "token"
    Column("ok", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
    Column("fix", Text),
    Column("checked_at", UtcDateTime, nullable=False),
)

poll_cursors = Table(  # where each poll of an outside system (a CRM's outcomes) got to, so a restart resumes there
    "poll_cursors",
    metadata,
    Column("name", String(64), primary_key=True),  # "crm:hubspot"
    Column("cursor", Text, nullable=False),  # opaque: as the poller gave it
    Column("updated_at", UtcDateTime, nullable=False),
)
