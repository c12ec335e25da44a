"""Tables of the classic connector: the registered clients and the request journal (tickets).

On the shared ``metadata`` of ``tables.py``; created by migration ``0009``."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from carrefour.adapters.db.tables import metadata
from carrefour.adapters.db.types import UtcDateTime

# The address blocks the connector recognises an institution by: ``kind`` ``address``, ``value``
# a CIDR block the client calls from. (Client certificates live in the API's one mapping,
# ``client_certificates``; ``certificate`` rows are no longer written nor read.)
gateway_clients = Table(
    "gateway_clients",
    metadata,
    Column("institution_id", String(64), ForeignKey("institutions.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", String(100), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# The request journal: one row per call that reached an SSDN document, keyed by its BCSS ticket.
# A caller's Message Reference is unique: a request sent again gets the first reply and ticket.
gateway_requests = Table(
    "gateway_requests",
    metadata,
    Column("ticket", String(32), primary_key=True),
    Column("caller", String(64), nullable=False),
    Column("reference", String(200)),
    Column("service_id", String(80)),
    Column("version", String(16)),
    Column("action", String(16)),
    Column("niss", String(11)),
    Column("return_code", Integer),
    Column("received_at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime),
    Column("request_xml", Text, nullable=False),
    Column("reply_xml", Text),
    UniqueConstraint("caller", "reference", name="uq_gateway_requests_caller_reference"),
    Index("ix_gateway_requests_niss", "niss", "received_at"),
    Index("ix_gateway_requests_caller", "caller", "received_at"),
)
