"""SQLAlchemy Core tables. Every table about a person has the NISS leading its key and indexes,
so that one person's data stays together and a NISS-sharded PostgreSQL can scale it out."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from carrefour.adapters.db.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# An auto-incremented position: BIGINT on PostgreSQL, INTEGER (rowid) on SQLite.
Position = BigInteger().with_variant(Integer(), "sqlite")

institutions = Table(
    "institutions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name_fr", String(200), nullable=False),
    Column("name_nl", String(200), nullable=False),
    Column("sector", Integer, nullable=False),
    Column("institution_type", Integer, nullable=False),
    Column("enterprise_number", String(10), nullable=False),
    Column("network_number", String(16)),
    Column("placeholder", Boolean, nullable=False),
    Column("push_endpoint", Text),
    Column("refreshed_at", UtcDateTime, nullable=False),
)

# Capacity codes, code lists, flows and deliberation rules, as loaded from the catalogue file:
# ``kind`` is the section of the file, ``key`` the entry's identifier, ``body`` the entry itself.
catalogue_entries = Table(
    "catalogue_entries",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("body", JSON, nullable=False),
    Column("refreshed_at", UtcDateTime, nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("institution_id", String(64), ForeignKey("institutions.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Index("ix_credentials_institution", "institution_id"),
)

person_lines = Table(
    "person_lines",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("institution_id", String(64), ForeignKey("institutions.id"), nullable=False),
    Column("capacity", String(3), nullable=False),
    Column("phase", Integer, nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date),
    Column("created_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("change", String(20), nullable=False),
    # A line cut out whole, or replaced by its remainders, is cancelled, never deleted.
    Column("cancelled_at", UtcDateTime),
    Index("ix_person_lines_niss_institution", "niss", "institution_id", "capacity"),
    Index("ix_person_lines_institution", "institution_id", "niss"),
)

niss_replacements = Table(
    "niss_replacements",
    metadata,
    Column("old_niss", String(11), primary_key=True),
    Column("new_niss", String(11), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Index("ix_niss_replacements_new", "new_niss"),
)

consultation_log = Table(
    "consultation_log",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("caller", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("flow", String(40), nullable=False),
    Column("niss", String(11)),
    Column("rule_id", String(120)),
    Column("allowed", Boolean, nullable=False),
    Column("reason_code", String(40)),
    Column("status_code", String(10), nullable=False),
    Column("detail", Text, nullable=False),
    Column("object_id", String(64)),
    Column("http_status", Integer),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Index("ix_consultation_log_niss", "niss", "at"),
    Index("ix_consultation_log_caller", "caller", "at"),
)

# --- messages, mailboxes, tracking -----------------------------------------------------------

messages = Table(
    "messages",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("flow", String(40), nullable=False),
    # A registered institution, without a foreign key: migration 0020 says what guarantees it.
    Column("sender", String(64), nullable=False),
    Column("event_date", Date),
    Column("period", String(32)),
    Column("payload", JSON, nullable=False),
    Column("in_reply_to", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    # Migration 0017 says which query needs each index of messages, mailbox and tracking.
    Index("ix_messages_id", "id"),
)

# One row per (recipient, message): the mailbox, and the delivery state of the message for it.
mailbox = Table(
    "mailbox",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    # A registered institution, without a foreign key: migration 0020 says what guarantees it.
    Column("recipient", String(64), nullable=False),
    Column("message_id", String(32), nullable=False),
    Column("niss", String(11), nullable=False),
    Column("flow", String(40), nullable=False),
    Column("sender", String(64), nullable=False),
    Column("rule_id", String(120), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Column("acknowledged_at", UtcDateTime),
    Column("ack_result", String(16)),
    Column("ack_reason", Text),
    # 0 for the first delivery; a resend replays the message under the same id with replay + 1.
    Column("replay", Integer, nullable=False, default=0),
    # One delivery per recipient and replay; the rows of one message, and a recipient's row of
    # it (migration 0021 says which query needs each mailbox index).
    UniqueConstraint("message_id", "recipient", "replay", name="uq_mailbox_message_recipient"),
    Index("ix_mailbox_recipient_position", "recipient", "position"),
    # The push worker's poll (status 'queued', a push recipient, next try due) and the dead
    # letters (status 'failed'): migration 0014.
    Index("ix_mailbox_due", "status", "recipient", "next_attempt_at"),
)

# The tracking file: append-only, one hash chain per holder (domain.messages.tracking_holder).
tracking = Table(
    "tracking",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("emitter", String(64), nullable=False),
    Column("message_id", String(32), nullable=False),
    Column("flow", String(40), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("niss", String(11), nullable=False),
    Column("event_date", Date),
    Column("rule_id", String(120)),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The tracking file the entry belongs to; NULL only on rows written before it existed.
    Column("holder", String(64)),
    # SHA-256 of the message's canonical payload; NULL only on rows written before it existed.
    Column("payload_digest", String(64)),
    # A person's history (consultation, console, corrections), through the person's messages
    # (migration 0019): WHERE message_id IN (...) ORDER BY position.
    Index("ix_tracking_message", "message_id", "position"),
    # ``carrefour verify`` reads each chain: WHERE holder = ? ORDER BY position.
    Index("ix_tracking_holder", "holder", "position"),
)

# The head of each holder's chain; its row lock orders one holder's appends. The column keeps
# its first name, ``emitter``: it holds the chain's holder.
tracking_heads = Table(
    "tracking_heads",
    metadata,
    Column("emitter", String(64), primary_key=True),
    Column("position", Position, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Signed checkpoints of the tracking file: every chain's head, signed with the hub's key.
tracking_checkpoints = Table(
    "tracking_checkpoints",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("heads", JSON, nullable=False),
    Column("signature", String(128), nullable=False),
    Column("public_key", String(64), nullable=False),
)

# --- RGTI: self-employed careers ----------------------------------------------------------------

affiliations = Table(
    "affiliations",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("cas", String(64), ForeignKey("institutions.id"), nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date),
    Column("capacity", String(20), nullable=False),
    Column("enterprise_number", String(10)),
    Column("end_reason", String(20)),
    Index("ix_affiliations_cas", "cas", "niss"),
    Index("ix_affiliations_id", "id"),
)

category_changes = Table(
    "category_changes",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("affiliation_id", String(32), primary_key=True),
    Column("begin", Date, primary_key=True),
    Column("category", String(2), nullable=False),
)

assimilations = Table(
    "assimilations",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("code", Integer, nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date),
    Column("granted", Boolean, nullable=False),
    Column("decided_on", Date, nullable=False),
)

# Who changed a career, when, and how: one row per write, kept with the write.
career_changes = Table(
    "career_changes",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("niss", String(11), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("by", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_career_changes_niss", "niss", "position"),
)

# --- contribution vouchers: documents, batches, insurability, INAMI cell ----------------------

# Paper vouchers and provisional proofs (PDF), readable by the institutions in ``readers``.
documents = Table(
    "documents",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("readers", JSON, nullable=False),
    Column("message_id", String(32)),
    Column("media_type", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_documents_id", "id"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sender", String(64), ForeignKey("institutions.id"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("idempotency_key", String(200)),
    Column("format", String(16)),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("routed", Integer, nullable=False, default=0),
    Column("paper", Integer, nullable=False, default=0),
    Column("error_code", String(40)),
    Column("error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    # Progress, committed with each chunk: the records before ``next_record`` are routed or
    # reported; the worker holding the lease (``lease_owner``) renews it with each chunk.
    Column("next_record", Integer, nullable=False, default=0),
    Column("lease_owner", String(32)),
    Column("lease_until", UtcDateTime),
    UniqueConstraint("sender", "content_hash", name="uq_batches_sender_content"),
    UniqueConstraint("sender", "idempotency_key", name="uq_batches_sender_key"),
    # The batch worker's claim: WHERE status IN ('received', 'processing') ORDER BY created_at.
    Index("ix_batches_status", "status", "created_at"),
)

# A batch's file, kept until the batch is done (a batch resumes from it after a crash): rows of
# its own, so that the batch's row, read and updated by every chunk, stays small; in pieces of a
# few MB each cut after a newline (``piece`` 0, 1, ...), so that no process ever holds the whole
# file to store it or to read it.
batch_files = Table(
    "batch_files",
    metadata,
    Column("batch_id", String(32), ForeignKey("batches.id"), primary_key=True),
    Column("piece", Integer, primary_key=True, autoincrement=False),
    Column("content", LargeBinary, nullable=False),
)

batch_errors = Table(
    "batch_errors",
    metadata,
    Column("batch_id", String(32), ForeignKey("batches.id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("code", String(40), nullable=False),
    Column("detail", Text, nullable=False),
)

# Form L410: what each CAS says of its affiliate's insurability, per quarter.
insurability = Table(
    "insurability",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("quarter", String(6), primary_key=True),
    Column("cas", String(64), ForeignKey("institutions.id"), primary_key=True),
    Column("contributor_category", String(2), nullable=False),
    Column("contributions", String(16), nullable=False),
    Column("closed", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

inami_cases = Table(
    "inami_cases",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("mutuality", String(64), ForeignKey("institutions.id"), nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_inami_cases_id", "id"),
    Index("ix_inami_cases_mutuality", "mutuality", "created_at"),
)

provisional_proofs = Table(
    "provisional_proofs",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), nullable=False),
    Column("mutuality", String(64), nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("document_id", String(32), nullable=False),
    Column("message_id", String(32), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("ended_by", String(32)),
    Index("ix_provisional_proofs_case", "case_id"),
)
