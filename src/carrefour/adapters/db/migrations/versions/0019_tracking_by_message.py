"""a person's tracking entries found through their messages, not through a NISS index

Revision ID: 0019
Revises: 0018

``ix_tracking_niss`` (niss, position) took every new tracking entry at a random place: at a
million entries a batch chunk of 20,000 touched most of its leaf pages, and each commit wrote
them again to the WAL (SQLite) or as full-page images (PostgreSQL). A person's entries are
found instead through the person's messages: ``messages`` keeps its key (niss, id), NISS first
as the storage design asks, and ``ix_tracking_message`` (message_id, position) takes the
entries of those messages. Message ids are time-ordered (``services.ids``), so this index grows
at its end. Every tracking entry tracks a stored message (the entry's NISS is its message's),
so the same entries are found. ``tracking.niss`` stays: an entry is self-contained for the hash
chain and the bundles.

tracking, each index and the query that needs it:
- ``pk_tracking`` (position): the chain order;
- ``ix_tracking_message`` (message_id, position), new: a person's history (consultation,
  console, bundles: ``WHERE message_id IN (the person's messages) ORDER BY position``) and a
  message's entries;
- ``ix_tracking_holder`` (holder, position): ``carrefour verify`` reads each chain.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tracking_message", "tracking", ["message_id", "position"])
    op.drop_index("ix_tracking_niss", table_name="tracking")


def downgrade() -> None:
    op.create_index("ix_tracking_niss", "tracking", ["niss", "position"])
    op.drop_index("ix_tracking_message", table_name="tracking")
