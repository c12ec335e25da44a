"""signed checkpoints of the tracking file (append-only)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carrefour.adapters.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tracking_checkpoints",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", carrefour.adapters.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_tracking_checkpoints")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER tracking_checkpoints_append_only BEFORE UPDATE OR DELETE "
            "ON tracking_checkpoints FOR EACH ROW EXECUTE FUNCTION carrefour_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER tracking_checkpoints_no_{action.lower()} BEFORE {action} "
                "ON tracking_checkpoints BEGIN SELECT RAISE(ABORT, "
                f"'tracking_checkpoints is append-only: {action} refused'); END"
            )


def downgrade() -> None:
    op.drop_table("tracking_checkpoints")
