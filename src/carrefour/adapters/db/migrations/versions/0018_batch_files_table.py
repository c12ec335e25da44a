"""a batch's file in its own table, beside the batch row

Revision ID: 0018
Revises: 0017

A batch kept its file (tens to hundreds of MB) in the ``content`` column of its row, which every
chunk reads (the lease renewal reads the batch back) and rewrites (the progress update): on
SQLite any UPDATE of a row rewrites its blob's overflow pages, so each chunk wrote the file
twice. From this revision the file is a row of ``batch_files`` (one per batch, kept until the
batch is done), written once and read only when a batch is resumed. The files already stored
are moved over, and back on downgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_files",
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_files_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_batch_files")),
    )
    op.execute(
        "INSERT INTO batch_files (batch_id, content) "
        "SELECT id, content FROM batches WHERE content IS NOT NULL"
    )
    # SQLite (3.35 on) drops the column in place: the table is not rebuilt, so the rows that
    # refer to a batch (its errors, its file) are left as they are.
    op.drop_column("batches", "content")


def downgrade() -> None:
    op.add_column("batches", sa.Column("content", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE batches SET content = "
        "(SELECT content FROM batch_files WHERE batch_files.batch_id = batches.id)"
    )
    op.drop_table("batch_files")
