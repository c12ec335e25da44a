"""no foreign key from messages.sender and mailbox.recipient to institutions

Revision ID: 0020
Revises: 0019

Every routed voucher writes one ``messages`` row and one ``mailbox`` row, and each checked its
institution through a foreign key: on PostgreSQL one RI trigger per row (without them, the
backend's CPU time for a batch of 200,000 vouchers fell from about 16 s to 12 s), on SQLite
(``PRAGMA foreign_keys=ON``) one probe of ``institutions`` per row. The values are registered
institutions by construction:

- ``messages.sender`` is the caller, an institution of the catalogue: authenticated by its
  credential (``services.institutions``), or named with ``--as`` and found in the catalogue,
  for one message as for every voucher of its batch;
- ``mailbox.recipient`` comes from a directory line (``person_lines.institution_id``, which
  keeps its foreign key) or from a catalogue rule's fixed recipient.

Institutions are never deleted (the catalogue refresh inserts and updates). ``carrefour
verify`` checks both columns, one set-based query per table, and names any value that is not a
registered institution. SQLite drops a constraint by rebuilding the table (batch mode), with
its rows and indexes; the downgrade puts both keys back.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, the key's name under the naming convention of ``tables.metadata``)
_KEYS = (
    ("messages", "sender", "fk_messages_sender_institutions"),
    ("mailbox", "recipient", "fk_mailbox_recipient_institutions"),
)


def upgrade() -> None:
    for table, _column, name in _KEYS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, column, name in _KEYS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(name, "institutions", [column], ["id"])
