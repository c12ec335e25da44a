"""consultation log: every line names its object and HTTP status and is chained to the previous
line; one head row records the chain's last hash

Revision ID: 0011
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): the append-only triggers of 0004 stay in place.
    op.add_column("consultation_log", sa.Column("object_id", sa.String(64), nullable=True))
    op.add_column("consultation_log", sa.Column("http_status", sa.Integer(), nullable=True))
    op.add_column("consultation_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("consultation_log", sa.Column("hash", sa.String(64), nullable=True))
    head = op.create_table(
        "consultation_log_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_log_head")),
    )
    op.bulk_insert(head, [{"id": 1, "lines": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    op.drop_table("consultation_log_head")
    for column in ("hash", "prev_hash", "http_status", "object_id"):
        op.drop_column("consultation_log", column)
