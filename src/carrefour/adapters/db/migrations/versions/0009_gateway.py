"""the classic connector: registered clients and the request journal

Revision ID: 0009
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from carrefour.adapters.db.types import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_clients",
        sa.Column("institution_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name="fk_gateway_clients_institution_id_institutions",
        ),
        sa.PrimaryKeyConstraint("institution_id", "kind", "value", name="pk_gateway_clients"),
    )
    op.create_table(
        "gateway_requests",
        sa.Column("ticket", sa.String(32), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("service_id", sa.String(80), nullable=True),
        sa.Column("version", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("niss", sa.String(11), nullable=True),
        sa.Column("return_code", sa.Integer(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("request_xml", sa.Text(), nullable=False),
        sa.Column("reply_xml", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("ticket", name="pk_gateway_requests"),
        sa.UniqueConstraint("caller", "reference", name="uq_gateway_requests_caller_reference"),
    )
    op.create_index("ix_gateway_requests_niss", "gateway_requests", ["niss", "received_at"])
    op.create_index("ix_gateway_requests_caller", "gateway_requests", ["caller", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_gateway_requests_caller", table_name="gateway_requests")
    op.drop_index("ix_gateway_requests_niss", table_name="gateway_requests")
    op.drop_table("gateway_requests")
    op.drop_table("gateway_clients")
