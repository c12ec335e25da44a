"""Upgrading a database with a batch still running: revision 0018 moves each stored file out of
its batch's row into ``batch_files``, so the batch resumes from the same bytes; a downgrade
puts the file back in the row."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import column, insert, select, table

from carrefour.adapters.catalogue_file import load_catalogue_data
from carrefour.adapters.db import tables as t
from carrefour.adapters.db.engine import make_engine
from carrefour.adapters.db.repositories import SqlCatalogueStore
from carrefour.adapters.db.vouchers import SqlBatchRepository
from tests.integration.test_evidence_log_migration import empty_url, migrate

__all__ = ["empty_url"]  # the fixture of an empty database on each backend

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FILE = b'{"kind": "employee", "niss": "68060105329"}\n' * 1000 + b"\x00\xff"
COUNTS = ("total", "accepted", "rejected", "routed", "paper", "next_record")
OLD_BATCHES = table(
    "batches",
    *(column(name) for name in ("id", "sender", "content_hash", "status", "created_at")),
    *(column(name) for name in COUNTS),
    column("content"),
)


def _catalogue(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        SqlCatalogueStore(conn).refresh(load_catalogue_data(None), AT)
    engine.dispose()


def _old_batches(url: str) -> None:
    """Two batches as revision 0017 stored them: one running with its file, one done without."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(OLD_BATCHES),
            [
                {"id": "b-running", "sender": "onss", "content_hash": "h1", "status": "processing",
                 "created_at": AT, **dict.fromkeys(COUNTS, 0), "next_record": 20, "content": FILE},
                {"id": "b-done", "sender": "onss", "content_hash": "h2", "status": "done",
                 "created_at": AT, **dict.fromkeys(COUNTS, 0), "content": None},
            ],
        )  # fmt: skip
    engine.dispose()


def test_a_stored_file_survives_the_upgrade_and_the_downgrade(empty_url: str) -> None:
    migrate(empty_url, "0017")
    _catalogue(empty_url)
    _old_batches(empty_url)

    migrate(empty_url, "0018")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        batches = SqlBatchRepository(conn)
        assert batches.content("b-running") == FILE
        assert batches.content("b-done") is None
        running = batches.get("b-running")
        assert running is not None
        assert (running.status, running.next_record) == ("processing", 20)
        assert conn.execute(select(t.batch_files.c.batch_id)).scalars().all() == ["b-running"]
    engine.dispose()

    migrate(empty_url, "0017", step=command.downgrade)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(OLD_BATCHES.c.id, OLD_BATCHES.c.content).order_by(OLD_BATCHES.c.id)
        ).all()
        assert [(row.id, None if row.content is None else bytes(row.content)) for row in rows] == [
            ("b-done", None),
            ("b-running", FILE),
        ]
    engine.dispose()


def test_a_file_stored_dropped_and_stored_again_is_the_last_one(empty_url: str) -> None:
    migrate(empty_url, "head")
    _catalogue(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            insert(t.batches).values(
                id="b1", sender="onss", content_hash="h", status="received", created_at=AT
            )
        )
        batches = SqlBatchRepository(conn)
        batches.store_content("b1", FILE)
        assert batches.content("b1") == FILE
        batches.store_content("b1", b"second")
        assert batches.content("b1") == b"second"
        batches.store_content("b1", None)
        assert batches.content("b1") is None
        assert conn.execute(select(t.batch_files)).all() == []
        batches.store_content("b1", None)  # dropping it again changes nothing
        assert batches.content("b1") is None
    engine.dispose()
