"""SQLite: the consultation log's commits leave the write-ahead log's checkpoints to a thread of
their own, and the log still starts over, so that it does not grow while the API serves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carrefour.adapters.db import hot_path as hot_path_module
from carrefour.adapters.db.hot_path import HotPath
from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from carrefour.services.unit_of_work import ConsultationEntry
from tests.support import make_niss


def entry(niss: str) -> ConsultationEntry:
    return ConsultationEntry(
        at=datetime(2026, 6, 1, 12, tzinfo=UTC),
        caller="mut-100",
        action="consult",
        flow="directory",
        niss=niss,
        rule_id="directory-consult-network",
        allowed=True,
        reason_code=None,
        status_code="MSG00000",
        detail="mut-100 may consult flow 'directory'",
    )


def log_frames(hub: Hub) -> int:
    """Pages the write-ahead log holds (a checkpoint that copies none of them)."""
    raw = hub.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return int(cursor.fetchone()[1])
    finally:
        raw.close()


def autocheckpoint(connection: object) -> int:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA wal_autocheckpoint")
    return int(cursor.fetchone()[0])


def test_the_log_is_checkpointed_off_the_commits_and_starts_over(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    if hub.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no write-ahead log of the application's to checkpoint")
    monkeypatch.setattr(hot_path_module, "CHECKPOINT_COMMITS", 5)
    monkeypatch.setattr(hot_path_module, "RESTART_EVERY", 2)
    hot_path = HotPath(hub.engine)
    persons = [make_niss() for _ in range(60)]
    try:
        hot_path.commit_lines([entry(persons[0])])
        writer = hot_path._writes._connection().dbapi_connection  # kept, then given back
        assert autocheckpoint(writer) == 0  # its commits do not checkpoint
        before = log_frames(hub)
        for niss in persons[1:]:
            hot_path.commit_lines([entry(niss)])
            hot_path._checkpoints.wait()  # type: ignore[union-attr]
    finally:
        hot_path.close()
    # 59 commits write several pages each, far below SQLite's own 1,000-page checkpoint: only
    # a restart of the log leaves it this short
    assert log_frames(hub) < before + 59
    assert autocheckpoint(writer) == hot_path_module.AUTO_CHECKPOINT_PAGES  # given back
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        assert {line.niss for line in uow.consultations.select(limit=1000)} >= set(persons)
