"""Backups of an SQLite database with SQLite's online backup API (consistent while the hub
writes: WAL included). PostgreSQL is backed up with ``pg_dump`` (see docs/operations.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from carrefour.domain.errors import InvalidInput


def sqlite_path(engine: Engine) -> Path:
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise InvalidInput(
            f"{engine.dialect.name} databases are backed up with pg_dump, not `carrefour "
            "backup`: pg_dump -Fc -d DATABASE -f FILE, then pg_restore (docs/operations.md)",
            dialect=engine.dialect.name,
        )
    return Path(engine.url.database)


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    copy.close()
    origin.close()


def check_copy(path: Path) -> None:
    """``InvalidInput`` unless ``path`` is an intact SQLite database holding a hub's schema."""
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file", file=str(path))
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            (result,) = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        conn.close()
    except sqlite3.DatabaseError as error:
        raise InvalidInput(f"{path} is not an SQLite database: {error}", file=str(path)) from None
    if result != "ok":
        raise InvalidInput(f"{path} fails SQLite's integrity check: {result}", file=str(path))
    if not {"alembic_version", "tracking", "mailbox"} <= tables:
        raise InvalidInput(f"{path} does not hold a Carrefour database", file=str(path))


def backup(engine: Engine, target: Path) -> None:
    """Copy the live database to ``target`` (which must not exist), then check the copy."""
    source = sqlite_path(engine)
    if target.exists():
        raise InvalidInput(f"{target} exists already: back up to a new file", file=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
    check_copy(target)


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's content with the backup ``source`` (checked first), through the
    backup API, so that the WAL of the database is replaced too. Stop the hub's processes first.
    """
    check_copy(source)
    target = sqlite_path(engine)
    engine.dispose()
    _copy(source, target)
