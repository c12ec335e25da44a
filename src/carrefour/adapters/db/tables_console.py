"""Tables of the console: its users, their sessions, and push delivery paused per recipient.

They sit on the same ``metadata`` as ``tables.py`` (migration 0010 creates them)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from carrefour.adapters.db.tables import metadata
from carrefour.adapters.db.types import UtcDateTime

console_users = Table(
    "console_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("institution", String(64), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("language", String(2), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
)

# One row per signed-in browser. The id itself is only in the browser's cookie; the table keeps
# its SHA-256, so a copy of the table opens no session.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(64)),
    Column("role", String(20), nullable=False),
    Column("institution", String(64), nullable=False),
    Column("language", String(2), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Index("ix_console_sessions_user_name", "user_name"),
)

# A recipient whose push delivery an operator paused: the delivery worker skips it until resumed.
paused_recipients = Table(
    "paused_recipients",
    metadata,
    Column("institution", String(64), primary_key=True),
    Column("paused_by", String(64), nullable=False),
    Column("paused_at", UtcDateTime, nullable=False),
)
