"""Engine creation: SQLite (WAL, one writer at a time) by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: Execution option of a connection whose transactions only read (see ``SqlUnitOfWork``).
READ_ONLY_OPTION = "carrefour_read_only"
BUSY_TIMEOUT_MS = 30000


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, ``synchronous=NORMAL`` and foreign keys on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
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
            read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # JIT compilation off: the hub's statements are short; PostgreSQL's estimate of a staged
    # chunk's join can pass the JIT threshold and compile for longer than the join runs.
    return create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"options": "-c jit=off"},
    )
