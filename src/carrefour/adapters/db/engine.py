"""Engine creation: SQLite (WAL, one writer at a time) by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: Execution option of a connection whose transactions only read (see ``SqlUnitOfWork``).
READ_ONLY_OPTION = "carrefour_read_only"
#: Execution option of a connection whose write transactions take ``WriterTurns`` (SQLite).
TURNS_OPTION = "carrefour_writer_turns"
BUSY_TIMEOUT_MS = 30000
#: Connections the pool keeps, and those it may open beyond them at a peak (closed once given
#: back). Room for every holder a server process has at once: the API's routes that write
#: (``api.deps.WRITE_SLOTS``, 32), the threads of the read path and of the group commit, the
#: delivery and batch workers, a batch's read-ahead and the checkpoints. A checkout that finds
#: the pool empty waits, and on the event loop that wait would stop the requests that are to
#: give connections back.
POOL_SIZE = 8
POOL_OVERFLOW = 56


def lock_held(error: BaseException) -> bool:
    """Whether ``error`` is SQLite refusing the write lock because another writer holds it
    (``SQLITE_BUSY``: "database is locked"), which leaves the connection as it was."""
    return (
        isinstance(error, sqlite3.OperationalError)
        and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
    )


class WriterTurns:
    """SQLite: the write transactions of one process take turns on a lock of the process before
    their ``BEGIN IMMEDIATE``. A writer waiting for its turn wakes as soon as the one before it
    ends, where SQLite's busy handler sleeps 1, 2, 5, 10... up to 100 ms between its tries: four
    callers declaring at once waited up to half a second for one another. Writers of other
    processes (a ``carrefour batch submit``) still meet at SQLite's own lock.

    The API's routes that write take it on the event loop without waiting
    (``SqlUnitOfWork.try_begin``), trying again a moment later; a thread waits for it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None

    def take(self, connection: object) -> None:
        """Take the turn for ``connection``'s transaction, waiting up to the busy timeout."""
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError(
                "database is locked: another write transaction of this process holds the turn"
            )
        self._holder = connection

    def try_take(self, connection: object) -> bool:
        """Take the turn for ``connection`` if it is free, without waiting."""
        if not self._lock.acquire(blocking=False):
            return False
        self._holder = connection
        return True

    def holds(self, connection: object) -> bool:
        return self._holder is connection

    def give_back(self, connection: object) -> None:
        """End ``connection``'s turn, if it holds it (after its commit or rollback)."""
        if self._holder is connection:
            self._holder = None
            self._lock.release()


_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()


def writer_turns(engine: Engine) -> WriterTurns | None:
    """The write turns of ``engine``'s process (SQLite; None elsewhere)."""
    if engine.dialect.name != "sqlite":
        return None
    found = _TURNS.get(engine)
    if found is None:
        found = _TURNS[engine] = WriterTurns()
    return found


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, ``synchronous=NORMAL`` and foreign keys on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # SQLite starts a transaction lazily; BEGIN IMMEDIATE on writes is left to the
            # unit of work. Autocommit off at the driver level so SQLAlchemy controls BEGIN.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A read-only unit of work begins DEFERRED: it takes no write lock, so it never waits
            # behind a writer (a batch chunk) and never makes one wait. Every other transaction
            # takes the write lock at BEGIN, so that it cannot fail later upgrading a read.
            options = connection.get_execution_options()
            if options.get(READ_ONLY_OPTION, False):
                connection.exec_driver_sql("BEGIN")
                return
            turns: WriterTurns | None = options.get(TURNS_OPTION)
            if turns is None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            if not turns.holds(connection):  # (``SqlUnitOfWork.try_begin`` took it)
                turns.take(connection)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                turns.give_back(connection)
                raise

        return engine
    # JIT compilation off: the hub's statements are short; PostgreSQL's estimate of a staged
    # chunk's join can pass the JIT threshold and compile for longer than the join runs.
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_pre_ping=True,
        connect_args={"options": "-c jit=off"},
    )
