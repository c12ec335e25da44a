"""a batch's file in its own table, beside the batch row

Revision ID: 0018
Revises: 0017

A batch kept its file (tens to hundreds of MB) in the ``content`` column of its row, which every
chunk reads (the lease renewal reads the batch back) and rewrites (the progress update): on
SQLite any UPDATE of a row rewrites its blob's overflow pages, so each chunk wrote the file
twice. From this revision the file is in ``batch_files`` (kept until the batch is done), in
pieces of a few MB each cut after a newline, written once and read a piece at a time: no process
holds a whole file to store or read it. The files already stored are moved over (as one piece),
and back on downgrade.
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
        sa.Column("piece", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_files_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", "piece", name=op.f("pk_batch_files")),
    )
    op.execute(
        "INSERT INTO batch_files (batch_id, piece, content) "
        "SELECT id, 0, content FROM batches WHERE content IS NOT NULL"
    )
    # SQLite (3.35 on) drops the column in place: the table is not rebuilt, so the rows that
    # refer to a batch (its errors, its file) are left as they are.
    op.drop_column("batches", "content")


def downgrade() -> None:
    op.add_column("batches", sa.Column("content", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    files = sa.table("batch_files", sa.column("batch_id"), sa.column("piece"), sa.column("content"))
    batches = sa.table("batches", sa.column("id"), sa.column("content"))
    ids = bind.execute(sa.select(files.c.batch_id).distinct()).scalars().all()
    for batch_id in ids:  # each file put back whole, its pieces in order
        pieces = bind.execute(
            sa.select(files.c.content).where(files.c.batch_id == batch_id).order_by(files.c.piece)
        ).scalars()
        content = b"".join(bytes(piece) for piece in pieces)
        bind.execute(sa.update(batches).where(batches.c.id == batch_id).values(content=content))
    op.drop_table("batch_files")
