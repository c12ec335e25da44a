"""The head of the consultation log's hash chain: one row, the last line's hash and the count."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from carrefour.adapters.db.tables import metadata

consultation_log_head = Table(
    "consultation_log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("lines", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
