"""one mailbox index for a message's deliveries and their uniqueness

Revision ID: 0021
Revises: 0020

Two mailbox indexes held the same key in two orders: ``uq_mailbox_recipient_message``
(recipient, message_id, replay), one delivery per recipient and replay, and
``ix_mailbox_message`` (message_id), the recipients of one message. One unique index
``uq_mailbox_message_recipient`` (message_id, recipient, replay) answers both: the rows of one
message by its first column (``of_message``: the console's message page, resends,
corrections), a recipient's row of a message by its first two (``get``, the dead letters of one
message), and the uniqueness. Every routed voucher wrote one entry in each; it writes one now.
The other mailbox indexes stay, each for its query (migration 0017).

SQLite drops a table's unique constraint by rebuilding the table (batch mode), with its rows
and other indexes; the downgrade puts both back.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_mailbox_message", table_name="mailbox")
    with op.batch_alter_table("mailbox") as batch_op:
        batch_op.drop_constraint("uq_mailbox_recipient_message", type_="unique")
        batch_op.create_unique_constraint(
            "uq_mailbox_message_recipient", ["message_id", "recipient", "replay"]
        )


def downgrade() -> None:
    with op.batch_alter_table("mailbox") as batch_op:
        batch_op.drop_constraint("uq_mailbox_message_recipient", type_="unique")
        batch_op.create_unique_constraint(
            "uq_mailbox_recipient_message", ["recipient", "message_id", "replay"]
        )
    op.create_index("ix_mailbox_message", "mailbox", ["message_id"])
