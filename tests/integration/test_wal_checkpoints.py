"""A batch's chunks leave the checkpoints of SQLite's write-ahead log to a thread of their own:
their commits do not copy the log into the database, the log stays about one chunk long, and a
connection given back to the pool checkpoints by itself again. On PostgreSQL (no such log to
checkpoint) a chunk's unit of work is an ordinary one: the same batch routes the same way."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carrefour.adapters.db import tables as t
from carrefour.adapters.db.wal import AUTO_CHECKPOINT_PAGES, WalCheckpoints, checkpoints_of
from carrefour.bootstrap import Hub
from carrefour.services import batches
from tests.support import employee, integrate_all, make_niss


def _auto_pages(dbapi_connection: object) -> int:
    return int(dbapi_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0])  # type: ignore[attr-defined]


def test_a_bulk_unit_of_work_does_not_checkpoint_and_gives_its_connection_back_as_it_was(
    hub: Hub,
) -> None:
    with hub.uow(bulk=True) as uow:
        uow.connection.execute(select(func.count()).select_from(t.institutions))
        driver = uow.connection.connection.dbapi_connection
        sqlite = hub.engine.dialect.name == "sqlite"
        if sqlite:
            assert _auto_pages(driver) == 0
        uow.commit()
    if sqlite:
        assert _auto_pages(driver) == AUTO_CHECKPOINT_PAGES
    with hub.uow() as uow:  # an ordinary one checkpoints by itself
        if sqlite:
            assert _auto_pages(uow.connection.connection.dbapi_connection) > 0


def _integrated(hub: Hub, count: int) -> list[str]:
    nisses = [make_niss() for _ in range(count)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    return nisses


def _batch(hub: Hub, nisses: list[str]) -> batches.BatchOutcome:
    """A voucher for each of ``nisses``, in chunks of 30."""
    return batches.submit_batch(
        hub.uow,
        caller=hub.catalogue.institution("onss"),
        content=b"".join(json.dumps(employee(n)).encode() + b"\n" for n in nisses),
        file_format=None,
        idempotency_key=None,
        parser=hub.batch_parser,
        renderer=hub.renderer,
        chunk=30,
    )


def _log_bytes_of_a_batch(hub: Hub, count: int) -> int:
    """The size the write-ahead log reached while a batch of ``count`` vouchers was routed,
    from an empty log (the file only grows: its size is the most it held at once)."""
    database = Path(str(hub.engine.url.database))
    nisses = _integrated(hub, count)
    with hub.engine.connect() as conn:
        conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # type: ignore[union-attr]
    assert os.path.getsize(f"{database}-wal") == 0
    outcome = _batch(hub, nisses)
    assert (outcome.batch.status, outcome.batch.routed, outcome.batch.rejected) == (
        "done", count, 0,
    )  # fmt: skip
    checkpoints_of(hub.engine).wait()
    return os.path.getsize(f"{database}-wal")


def test_a_batch_of_many_chunks_keeps_the_log_short_and_routes_every_voucher(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    if hub.engine.dialect.name != "sqlite":  # an ordinary transaction a chunk
        outcome = _batch(hub, _integrated(hub, 300))
        assert (outcome.batch.status, outcome.batch.routed) == ("done", 300)
        return
    checkpointed = _log_bytes_of_a_batch(hub, 600)
    with monkeypatch.context() as patched:  # the same batch with no thread to checkpoint
        patched.setattr(WalCheckpoints, "committed", lambda self: None)
        unchecked = _log_bytes_of_a_batch(hub, 600)
    # 20 chunks: the log held all of them, or, started over every few checkpoints, a few
    assert 0 < checkpointed < unchecked / 2, (checkpointed, unchecked)
    with hub.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(t.mailbox)).scalar_one()
    assert rows == 1200
