"""Revision 0020 drops the foreign keys from ``messages.sender`` and ``mailbox.recipient`` to
``institutions``: the messages and mailbox rows already stored stay as they were (SQLite
rebuilds both tables), with their indexes; a value no institution registers, refused before,
is stored from then on (``carrefour verify`` names it); a downgrade puts both keys back."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, delete, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from carrefour.adapters.db import tables as t
from carrefour.adapters.db.engine import make_engine
from tests.integration.test_batch_files_migration import _catalogue
from tests.integration.test_evidence_log_migration import empty_url, migrate
from tests.support import mailbox_row, message_row, stray_rows

__all__ = ["empty_url"]  # the fixture of an empty database on each backend

KEYS = {
    "messages": ("fk_messages_sender_institutions", "sender"),
    "mailbox": ("fk_mailbox_recipient_institutions", "recipient"),
}


def _rows(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    m, b = t.messages.c, t.mailbox.c
    with engine.connect() as conn:
        messages = conn.execute(
            select(m.id, m.sender, m.payload, m.created_at).order_by(m.id)
        ).all()
        mailbox = conn.execute(
            select(b.position, b.recipient, b.message_id, b.status).order_by(b.position)
        ).all()
    return [tuple(r) for r in messages], [tuple(r) for r in mailbox]


def _keys(engine: Engine) -> dict[str, list[tuple[str | None, list[str], str]]]:
    found = inspect(engine)
    return {
        table: [
            (fk["name"], fk["constrained_columns"], fk["referred_table"])
            for fk in found.get_foreign_keys(table)
        ]
        for table in KEYS
    }


def _indexes(engine: Engine) -> dict[str, list[str | None]]:
    found = inspect(engine)
    return {table: sorted(i["name"] or "" for i in found.get_indexes(table)) for table in KEYS}


def _stray(engine: Engine) -> None:
    """A message from, and a delivery to, an institution the catalogue does not hold."""
    stray_rows(engine, sender="ghost", messages=1, recipient="ghost", rows=1)


def test_the_stored_rows_survive_the_upgrade_and_the_keys_come_back_on_downgrade(
    empty_url: str,
) -> None:
    migrate(empty_url, "0019")
    _catalogue(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(insert(t.messages), [message_row("m1", "inasti"), message_row("m2", "onss")])
        deliveries = (("m1", "mut-100"), ("m1", "mut-200"), ("m2", "mut-100"))
        conn.execute(insert(t.mailbox), [mailbox_row(m, to) for m, to in deliveries])
    before, indexes = _rows(engine), _indexes(engine)
    assert _keys(engine) == {
        table: [(name, [column], "institutions")] for table, (name, column) in KEYS.items()
    }
    with pytest.raises(IntegrityError):
        _stray(engine)
    engine.dispose()

    migrate(empty_url, "0020")
    engine = make_engine(empty_url)
    assert _rows(engine) == before
    assert _indexes(engine) == indexes
    assert _keys(engine) == {"messages": [], "mailbox": []}
    _stray(engine)  # no key refuses it any more
    with engine.begin() as conn:
        conn.execute(delete(t.mailbox).where(t.mailbox.c.recipient == "ghost"))
        conn.execute(delete(t.messages).where(t.messages.c.sender == "ghost"))
    engine.dispose()

    migrate(empty_url, "0019", step=command.downgrade)
    engine = make_engine(empty_url)
    assert _rows(engine) == before
    assert _indexes(engine) == indexes
    assert _keys(engine) == {
        table: [(name, [column], "institutions")] for table, (name, column) in KEYS.items()
    }
    with pytest.raises(IntegrityError):
        _stray(engine)
    engine.dispose()
