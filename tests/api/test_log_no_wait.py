"""SQLite: a commit of the consultation log that must not wait (the event loop's) fails at once
while another writer holds the write lock; one that may wait still waits for it. The event loop
tries a refused group again itself, and hands it to the writer thread only when the lock stays
held."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from carrefour.adapters.db.engine import BUSY_TIMEOUT_MS
from carrefour.adapters.db.hot_path import HotPath
from carrefour.api import consultation_log
from carrefour.api.consultation_log import GroupCommit
from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from tests.api.test_log_checkpoints import entry
from tests.support import make_niss


def sqlite_only(hub: Hub) -> None:
    if hub.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")


def busy_timeout(connection: object) -> int:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout")
    return int(cursor.fetchone()[0])


def test_a_no_wait_commit_fails_at_once_while_a_waiting_one_waits(hub: Hub) -> None:
    sqlite_only(hub)
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


def test_a_group_waits_on_the_loop_for_a_lock_held_briefly(hub: Hub) -> None:
    # another writer (a worker's heartbeat, a checkpoint starting the log over) holds the lock a
    # few milliseconds: the loop tries again and commits the group once it is released, every
    # request gathered meanwhile in the same transaction, with no writer thread
    sqlite_only(hub)
    hot_path = HotPath(hub.engine)
    group = GroupCommit(hub, hot_path)
    persons = [make_niss() for _ in range(3)]
    other = hub.engine.raw_connection()

    async def main() -> float:
        loop = asyncio.get_running_loop()
        other.cursor().execute("BEGIN IMMEDIATE")
        first = group.submit([entry(persons[0])])
        await asyncio.sleep(0.01)  # the first attempt was refused; it is tried again
        assert not first.done()
        rest = [group.submit([entry(niss)]) for niss in persons[1:]]
        released = loop.time()
        other.rollback()
        await asyncio.gather(first, *rest)
        return loop.time() - released

    try:
        waited = asyncio.run(main())
    finally:
        other.close()
        hot_path.close()
    assert waited < 0.5  # within a few of the loop's attempts, not SQLite's busy sleeps
    assert group.commits == 1
    assert not group._running  # the writer thread never started
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        assert {line.niss for line in uow.consultations.select(limit=1000)} >= set(persons)


def test_a_lock_held_longer_sends_the_group_to_the_writer_thread(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_only(hub)
    monkeypatch.setattr(consultation_log, "GROUP_LOCK_RETRY_FOR_SECONDS", 0.05)
    hot_path = HotPath(hub.engine)
    group = GroupCommit(hub, hot_path)
    niss = make_niss()
    other = hub.engine.raw_connection()  # a batch chunk

    async def main() -> None:
        other.cursor().execute("BEGIN IMMEDIATE")
        committed = group.submit([entry(niss)])
        await asyncio.sleep(0.2)
        assert group._running  # handed to the writer thread, which waits for the lock
        assert not committed.done()
        other.rollback()
        await committed

    try:
        asyncio.run(main())
        hot_path.commit_lines([entry(make_niss())], no_wait=True)  # the loop's connection kept
    finally:
        other.close()
        hot_path.close()
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        assert niss in {line.niss for line in uow.consultations.select(limit=1000)}
