"""SQLite: a commit of the consultation log that must not wait (the event loop's) fails at once
while another writer holds the write lock; one that may wait still waits for it."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from carrefour.adapters.db.engine import BUSY_TIMEOUT_MS
from carrefour.adapters.db.hot_path import HotPath
from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from tests.api.test_log_checkpoints import entry
from tests.support import make_niss


def busy_timeout(connection: object) -> int:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout")
    return int(cursor.fetchone()[0])


def test_a_no_wait_commit_fails_at_once_while_a_waiting_one_waits(hub: Hub) -> None:
    if hub.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    hot_path = HotPath(hub.engine)
    first, refused, waited = make_niss(), make_niss(), make_niss()
    other = hub.engine.raw_connection()  # another writer (a batch chunk)
    try:
        hot_path.commit_lines([entry(first)], no_wait=True)
        other.cursor().execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            hot_path.commit_lines([entry(refused)], no_wait=True)
        assert time.monotonic() - started < 1.0  # at once, not after the busy timeout
        threading.Timer(0.3, other.rollback).start()
        started = time.monotonic()
        hot_path.commit_lines([entry(waited)])  # waits for the other writer, then commits
        assert time.monotonic() - started >= 0.25
        hot_path.commit_lines([entry(make_niss())], no_wait=True)  # the lock is free again
        no_wait = hot_path._no_wait_writes._connection().dbapi_connection  # kept, given back
        assert busy_timeout(no_wait) == 0
    finally:
        other.close()
        hot_path.close()
    assert busy_timeout(no_wait) == BUSY_TIMEOUT_MS  # given back to the pool as it was taken
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        logged = {line.niss for line in uow.consultations.select(limit=1000)}
    assert {first, waited} <= logged
    assert refused not in logged
