"""the delivery worker's poll is an index range scan: mailbox (status, recipient, next try)

Revision ID: 0014
Revises: 0009

The mailbox's indexes and the query that needs each:
- ``pk_mailbox`` (position): a row by position (push results, leases, acknowledgements);
- ``uq_mailbox_recipient_message`` (recipient, message_id, replay): one delivery per recipient
  and replay, and a recipient's row of a message;
- ``ix_mailbox_recipient_position`` (recipient, position): a recipient's pull, page after page;
- ``ix_mailbox_niss`` (niss): a person's deliveries (person page, corrections);
- ``ix_mailbox_due`` (status, recipient, next_attempt_at), replacing (status, next_attempt_at):
  the push worker's poll, ``status = 'queued' AND recipient IN (the push recipients) AND
  next_attempt_at <= now``, reads only the due rows of push recipients instead of every queued
  row of every pulled mailbox; the dead letters (``status = 'failed'``) use its first column.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_mailbox_due", table_name="mailbox")
    op.create_index("ix_mailbox_due", "mailbox", ["status", "recipient", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_due", table_name="mailbox")
    op.create_index("ix_mailbox_due", "mailbox", ["status", "next_attempt_at"])
