"""the bulk road: tracking holders and payload digests, resumable batches

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carrefour.adapters.db.types

revision: str = "0007"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _without_append_only(statement: str) -> None:
    """Run ``statement`` on the tracking file with its append-only guard lifted, then restored
    (a migration is the one writer allowed to fill a new column of past entries)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE tracking DISABLE TRIGGER tracking_append_only")
        op.execute(statement)
        op.execute("ALTER TABLE tracking ENABLE TRIGGER tracking_append_only")
        return
    op.execute("DROP TRIGGER tracking_no_update")
    op.execute(statement)
    op.execute(
        "CREATE TRIGGER tracking_no_update BEFORE UPDATE ON tracking "
        "BEGIN SELECT RAISE(ABORT, 'tracking is append-only: UPDATE refused'); END"
    )


def upgrade() -> None:
    # Plain ALTER TABLE (never a table copy): the append-only triggers stay in place.
    op.add_column("tracking", sa.Column("holder", sa.String(length=64), nullable=True))
    op.add_column("tracking", sa.Column("payload_digest", sa.String(length=64), nullable=True))
    # Entries written before: their holder is their emitter (their hash is unchanged).
    _without_append_only("UPDATE tracking SET holder = emitter")
    op.drop_index("ix_tracking_emitter", table_name="tracking")
    op.create_index("ix_tracking_holder", "tracking", ["holder", "position"], unique=False)
    op.add_column(
        "batches", sa.Column("next_record", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("batches", sa.Column("lease_owner", sa.String(length=32), nullable=True))
    op.add_column(
        "batches",
        sa.Column(
            "lease_until", carrefour.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("next_record")
    op.drop_index("ix_tracking_holder", table_name="tracking")
    op.create_index("ix_tracking_emitter", "tracking", ["emitter", "position"], unique=False)
    op.execute("ALTER TABLE tracking DROP COLUMN payload_digest")
    op.execute("ALTER TABLE tracking DROP COLUMN holder")
