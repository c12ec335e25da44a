"""Revision 0021 keeps one mailbox index where two held the same key in two orders: the unique
(message_id, recipient, replay) answers a message's rows and a recipient's row of it, and still
refuses a second delivery of a message to one recipient under the same replay. The stored rows
survive the upgrade and the downgrade (SQLite rebuilds the table)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from carrefour.adapters.db import tables as t
from carrefour.adapters.db.engine import make_engine
from tests.integration.test_batch_files_migration import _catalogue
from tests.integration.test_evidence_log_migration import empty_url, migrate
from tests.support import mailbox_row, message_row

__all__ = ["empty_url"]  # the fixture of an empty database on each backend

BEFORE = {
    "uq_mailbox_recipient_message": ["recipient", "message_id", "replay"],
    "ix_mailbox_message": ["message_id"],
}
AFTER = {"uq_mailbox_message_recipient": ["message_id", "recipient", "replay"]}
KEPT = {
    "ix_mailbox_recipient_position": ["recipient", "position"],
    "ix_mailbox_due": ["status", "recipient", "next_attempt_at"],
}


def _shape(engine: Engine) -> dict[str, list[str]]:
    """The mailbox's indexes and unique constraints, by name (SQLite lists a table's unique
    constraint among both; PostgreSQL its backing index among the indexes)."""
    found = inspect(engine)
    shape = {i["name"] or "": list(i["column_names"]) for i in found.get_indexes("mailbox")}
    for unique in found.get_unique_constraints("mailbox"):
        shape[unique["name"] or ""] = list(unique["column_names"])
    return shape


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    b = t.mailbox.c
    with engine.connect() as conn:
        query = select(b.position, b.recipient, b.message_id, b.replay).order_by(b.position)
        return [tuple(row) for row in conn.execute(query)]


def _twice(engine: Engine) -> None:
    """m1's delivery to mut-100, replay 0, a second time."""
    with engine.begin() as conn:
        conn.execute(insert(t.mailbox).values(mailbox_row("m1", "mut-100")))


def test_one_index_holds_a_messages_deliveries_and_refuses_a_second_one(empty_url: str) -> None:
    migrate(empty_url, "0020")
    _catalogue(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(insert(t.messages), [message_row("m1", "inasti"), message_row("m2", "onss")])
        deliveries = (("m1", "mut-100"), ("m1", "mut-200"), ("m2", "mut-100"))
        conn.execute(insert(t.mailbox), [mailbox_row(m, to) for m, to in deliveries])
        conn.execute(insert(t.mailbox).values({**mailbox_row("m1", "mut-100"), "replay": 1}))
    before = _rows(engine)
    assert _shape(engine).items() >= {**BEFORE, **KEPT}.items()
    engine.dispose()

    migrate(empty_url, "0021")
    engine = make_engine(empty_url)
    assert _rows(engine) == before
    shape = _shape(engine)
    assert shape.items() >= {**AFTER, **KEPT}.items()
    assert not set(BEFORE) & set(shape)
    with pytest.raises(IntegrityError):
        _twice(engine)
    with engine.connect() as conn:  # a message's rows, through the index's first column
        b = t.mailbox.c
        query = select(b.recipient, b.replay).where(b.message_id == "m1").order_by(b.position)
        assert [tuple(r) for r in conn.execute(query)] == [
            ("mut-100", 0), ("mut-200", 0), ("mut-100", 1),
        ]  # fmt: skip
    engine.dispose()

    migrate(empty_url, "0020", step=command.downgrade)
    engine = make_engine(empty_url)
    assert _rows(engine) == before
    shape = _shape(engine)
    assert shape.items() >= {**BEFORE, **KEPT}.items()
    assert not set(AFTER) & set(shape)
    with pytest.raises(IntegrityError):
        _twice(engine)
    engine.dispose()
