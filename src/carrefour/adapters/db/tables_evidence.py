"""Tables of the status chain, and the columns that chain the tracking checkpoints."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from carrefour.adapters.db.tables import Position, metadata
from carrefour.adapters.db.types import UtcDateTime

# Every change of a mailbox row's status, append-only, one hash chain per holder (recipient).
status_log = Table(
    "status_log",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("holder", String(64), nullable=False),
    Column("message_id", String(32), nullable=False),
    Column("replay", Integer, nullable=False),
    Column("niss", String(11), nullable=False),
    Column("status", String(20), nullable=False),
    Column("ack_result", String(20)),
    Column("event", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_status_log_niss", "niss", "position"),
    Index("ix_status_log_holder", "holder", "position"),
)

status_heads = Table(
    "status_heads",
    metadata,
    Column("holder", String(64), primary_key=True),
    Column("position", Position, nullable=False),
    Column("hash", String(64), nullable=False),
)

# The checkpoints' own chain: the status heads they sign and the checkpoint before them (both
# null on a checkpoint made before checkpoints were chained).
tracking_checkpoints = Table(
    "tracking_checkpoints",
    metadata,
    Column("status_heads", JSON),
    Column("previous", String(64)),
    # The consultation log's head it signed: [lines, last hash] (null on older checkpoints).
    Column("log_head", JSON),
    extend_existing=True,
)

# --- credentials and transport ------------------------------------------------------------

# A credential may expire (null: it does not).
credentials = Table(
    "credentials", metadata, Column("expires_at", UtcDateTime), extend_existing=True
)

# Client certificates (mutual TLS) and the institution each one stands for, by SHA-256
# fingerprint of the DER certificate; ``subject`` is the RFC 4514 subject, for reading.
client_certificates = Table(
    "client_certificates",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("institution_id", String(64), ForeignKey("institutions.id"), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Index("ix_client_certificates_institution", "institution_id"),
)

# --- operations ---------------------------------------------------------------------------

# The last round of each background worker (``delivery@host:pid``): ``/readyz`` needs a recent one.
worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker", String(120), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)
