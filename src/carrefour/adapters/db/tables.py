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
    MetaData,
    String,
    Table,
    Text,
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
    Index("ix_consultation_log_niss", "niss", "at"),
    Index("ix_consultation_log_caller", "caller", "at"),
)
