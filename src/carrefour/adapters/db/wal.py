"""SQLite: the write-ahead log checkpointed beside the writers, not by their commits.

SQLite checkpoints the log inside the commit that makes it pass 1,000 pages: the committing
transaction copies every page the log holds into the database file and waits for the disk.
A batch's chunk writes thousands of pages, so every chunk's commit paid for one (about an
eighth of a batch's time). A writer that leaves its checkpoints to ``WalCheckpoints``
(``wal_autocheckpoint=0`` while it holds its connection: ``auto_checkpoints``) reports
its commits, and a thread of the engine's own runs a passive checkpoint, which never blocks a
writer, while the writer goes on with its next transaction on the other core. Once a
checkpoint has copied the whole log and no reader still reads it, a writer that begins then
starts the log over from its beginning (``WalCheckpoints.before_write``), so it stays a few
chunks long. The consultation log's group commits (``hot_path``) leave theirs to the same
scheduler, every hundred commits, with the other policy: as their writer is the event loop,
which must not wait, the checkpoint thread itself restarts the log.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from sqlalchemy import Engine

from carrefour.adapters.db.engine import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

#: SQLite's own automatic checkpoint (pages), given back to a connection returned to the pool.
AUTO_CHECKPOINT_PAGES = 1000
#: Commits of the writers between two restarts of the log (a batch's chunks: the log holds at
#: most about this many chunks, and one chunk in this many waits for the rest of a checkpoint).
RESTART_EVERY = 4


class WalCheckpoints:
    """Passive checkpoints of one SQLite database on a thread of their own, one after every
    ``every`` commits reported (at most one running: commits reported meanwhile are covered by
    the next), and the log started over from its beginning once in a while, by one of two
    policies:

    - by the next writer (``restart_wait_ms`` None: a batch's chunks, whose writer may wait):
      a checkpoint that runs beside the next transaction never finds the log whole in the
      database when that transaction begins, and a log is started over only by a transaction
      that begins so; every ``restart_every`` commits, ``before_write`` waits for the log to be
      copied whole first, so the log holds at most about that many transactions;
    - by the checkpoint itself (``restart_wait_ms``: the consultation log's commits, made on the
      event loop, which must not wait): every ``restart_every`` checkpoints, the checkpoint
      thread restarts the log, waiting that long at most for the write lock and for the readers
      of the old log (beyond, it is left to a later one)."""

    def __init__(
        self,
        engine: Engine,
        *,
        every: int = 1,
        restart_every: int = RESTART_EVERY,
        restart_wait_ms: int | None = None,
    ) -> None:
        self._engine = engine
        self._every = every
        self._restart_every = restart_every
        self._restart_wait_ms = restart_wait_ms
        self._lock = threading.Lock()
        self._commits = 0  # commits reported
        self._unchecked = 0  # commits reported since the last checkpoint began
        self._covered = 0  # commits a finished checkpoint copied
        self._since_restart = 0  # commits since the log last started over (by the writer)
        self._checkpoints = 0  # checkpoints begun
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Count one commit; start a checkpoint when one is due and none is running."""
        with self._lock:
            self._commits += 1
            self._unchecked += 1
            self._since_restart += 1
            if self._thread is not None or self._unchecked < self._every:
                return
            self._unchecked = 0
            self._checkpoints += 1
            restart = (
                self._restart_wait_ms is not None and self._checkpoints % self._restart_every == 0
            )
            self._thread = threading.Thread(
                target=self._run,
                args=(self._commits, restart),
                name="wal-checkpoint",
                daemon=True,
            )
        self._thread.start()

    def before_write(self) -> None:
        """Before a writer's transaction (by the writer's policy): once ``restart_every``
        commits were reported since the log last started over, wait until every page of it is
        in the database (the running checkpoint, and one more if a commit came after it began),
        so that this transaction starts the log over."""
        with self._lock:
            if self._restart_wait_ms is not None or self._since_restart < self._restart_every:
                return
        self.wait()
        with self._lock:
            uncovered = self._covered < self._commits
            upto = self._commits
        if uncovered:
            self._checkpoint(upto, restart=False)
        with self._lock:
            self._since_restart = 0

    def _run(self, upto: int, restart: bool) -> None:
        try:
            self._checkpoint(upto, restart=restart)
        finally:
            with self._lock:
                self._thread = None

    def _checkpoint(self, upto: int, *, restart: bool) -> None:
        """A passive checkpoint, which copies the commits up to ``upto`` (and any later), then
        with ``restart`` the log's restart."""
        wait_ms = self._restart_wait_ms if restart else None
        if checkpoint(self._engine, restart_wait_ms=wait_ms):
            with self._lock:
                self._covered = max(self._covered, upto)

    def wait(self) -> None:
        """Wait for a running checkpoint to end."""
        with self._lock:
            running = self._thread
        if running is not None:
            running.join()


def checkpoint(engine: Engine, *, restart_wait_ms: int | None = None) -> bool:
    """A passive checkpoint of ``engine``'s database on a connection of its pool (it never
    blocks a writer); with ``restart_wait_ms``, then a restart of the log, which waits that long
    at most for the write lock and the readers of the old log. Whether the passive checkpoint
    copied the log (not when another connection was checkpointing, nor when it failed: the next
    one tries again, and a writer's own checkpoints still run)."""
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if restart_wait_ms is not None:
                    cursor.execute(f"PRAGMA busy_timeout={restart_wait_ms}")
                    cursor.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            finally:
                if restart_wait_ms is not None:
                    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cursor.close()
        finally:
            connection.close()
    except Exception:
        log.exception("the write-ahead log could not be checkpointed")
        return False
    return not busy


_OF_ENGINE: weakref.WeakKeyDictionary[Engine, WalCheckpoints] = weakref.WeakKeyDictionary()
_OF_ENGINE_LOCK = threading.Lock()


def checkpoints_of(engine: Engine) -> WalCheckpoints:
    """The checkpoints of ``engine``'s database, one for every writer of the process."""
    with _OF_ENGINE_LOCK:
        found = _OF_ENGINE.get(engine)
        if found is None:
            found = _OF_ENGINE[engine] = WalCheckpoints(engine)
        return found


def auto_checkpoints(dbapi_connection: Any, *, on: bool) -> None:
    """Turn SQLite's automatic checkpoints of a driver connection off (its writer reports its
    commits to ``checkpoints_of``) or back on (before it goes back to the pool)."""
    pages = AUTO_CHECKPOINT_PAGES if on else 0
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={pages}").fetchall()
