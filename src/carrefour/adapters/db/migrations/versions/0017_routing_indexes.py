"""only the indexes a query needs on messages, mailbox and tracking

Revision ID: 0017
Revises: 0016

Message ids are time-ordered from this revision on (``services.ids``): the indexes that hold
them grow at their end. Each index that remains, and the query that needs it:

messages
- ``pk_messages`` (niss, id): a person's messages (``of_niss``: ``WHERE niss = ? ORDER BY
  created_at, id``), the mailbox page's join on (niss, id) and the payload purge by key;
- ``ix_messages_id`` (id): a message by id (``get``, ``payloads``, ``niss_of``).

mailbox
- ``pk_mailbox`` (position): a row by position (``update``, ``lease``, ``record_push``,
  ``mark_delivered``, the evidence reads);
- ``uq_mailbox_recipient_message`` (recipient, message_id, replay): one delivery per recipient
  and replay, and a recipient's row of a message (``get``, the dead letters of one message);
- ``ix_mailbox_recipient_position`` (recipient, position): a recipient's pull, page after page;
- ``ix_mailbox_due`` (status, recipient, next_attempt_at): the push worker's poll and the dead
  letters (migration 0014);
- ``ix_mailbox_message`` (message_id), new: the recipients of one message (``of_message``:
  the console's message page, resends, corrections), which read every row before.

tracking
- ``pk_tracking`` (position): the chain order;
- ``ix_tracking_niss`` (niss, position): a person's history (consultation, console, bundles);
- ``ix_tracking_holder`` (holder, position): ``carrefour verify`` reads each chain.

Dropped, no query needing them: ``ix_messages_in_reply_to`` (the answers to a message are
found among its person's messages, never by ``in_reply_to``) and ``ix_mailbox_niss`` (no query
reads mailbox rows by NISS).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_messages_in_reply_to", table_name="messages")
    op.drop_index("ix_mailbox_niss", table_name="mailbox")
    op.create_index("ix_mailbox_message", "mailbox", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_message", table_name="mailbox")
    op.create_index("ix_mailbox_niss", "mailbox", ["niss"])
    op.create_index("ix_messages_in_reply_to", "messages", ["in_reply_to"])
