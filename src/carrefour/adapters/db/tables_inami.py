"""Tables of the INAMI cell's case work and of L410 consultations through the network, on the
shared ``metadata`` (migration 0013). NISS first in every key, as everywhere."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table, Text

from carrefour.adapters.db.tables import metadata
from carrefour.adapters.db.types import UtcDateTime

# A document of a case (the bytes live in ``documents``, readable by the cell and the mutuality).
inami_case_documents = Table(
    "inami_case_documents",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Index("ix_inami_case_documents_case", "case_id"),
)

# The cell asks an emitter to send, correct or explain a voucher; the emitter's answer.
inami_interventions = Table(
    "inami_interventions",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), nullable=False),
    Column("emitter", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("voucher_message_id", String(32)),
    Column("note", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("request_message_id", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("answer", String(16)),
    Column("sent_message_id", String(32)),
    Column("answer_reason", Text),
    Column("answer_message_id", String(32)),
    Column("answered_at", UtcDateTime),
    Index("ix_inami_interventions_id", "id"),
    Index("ix_inami_interventions_case", "case_id"),
)

# How the cell closed a case.
inami_case_closures = Table(
    "inami_case_closures",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("case_id", String(32), primary_key=True),
    Column("outcome", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("closed_by", String(64), nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
    Index("ix_inami_case_closures_case", "case_id"),
)

# An L410 consultation forwarded to the person's CAS, and the CAS's answer.
insurability_requests = Table(
    "insurability_requests",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("quarter", String(6), nullable=False),
    Column("mutuality", String(64), nullable=False),
    Column("cas", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("request_message_id", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("answer", JSON),
    Column("answer_message_id", String(32)),
    Column("answered_at", UtcDateTime),
    Column("last_error", Text),
    Index("ix_insurability_requests_id", "id"),
    Index("ix_insurability_requests_cas", "cas", "state"),
)
