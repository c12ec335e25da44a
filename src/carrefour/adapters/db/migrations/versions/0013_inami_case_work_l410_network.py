"""INAMI cell case documents, interventions and closures; L410 requests to the CAS

Revision ID: 0013
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from carrefour.adapters.db.types import UtcDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inami_case_documents",
        sa.Column("niss", sa.String(11), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("niss", "id", name=op.f("pk_inami_case_documents")),
    )
    op.create_index("ix_inami_case_documents_case", "inami_case_documents", ["case_id"])

    op.create_table(
        "inami_interventions",
        sa.Column("niss", sa.String(11), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("emitter", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("voucher_message_id", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request_message_id", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("sent_message_id", sa.String(32), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.Column("answer_message_id", sa.String(32), nullable=True),
        sa.Column("answered_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("niss", "id", name=op.f("pk_inami_interventions")),
    )
    op.create_index("ix_inami_interventions_id", "inami_interventions", ["id"])
    op.create_index("ix_inami_interventions_case", "inami_interventions", ["case_id"])

    op.create_table(
        "inami_case_closures",
        sa.Column("niss", sa.String(11), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=False),
        sa.Column("closed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("niss", "case_id", name=op.f("pk_inami_case_closures")),
    )
    op.create_index("ix_inami_case_closures_case", "inami_case_closures", ["case_id"])

    op.create_table(
        "insurability_requests",
        sa.Column("niss", sa.String(11), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("quarter", sa.String(6), nullable=False),
        sa.Column("mutuality", sa.String(64), nullable=False),
        sa.Column("cas", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("request_message_id", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("answer_message_id", sa.String(32), nullable=True),
        sa.Column("answered_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("niss", "id", name=op.f("pk_insurability_requests")),
    )
    op.create_index("ix_insurability_requests_id", "insurability_requests", ["id"])
    op.create_index("ix_insurability_requests_cas", "insurability_requests", ["cas", "state"])


def downgrade() -> None:
    op.drop_table("insurability_requests")
    op.drop_table("inami_case_closures")
    op.drop_table("inami_interventions")
    op.drop_table("inami_case_documents")
