"""Bulk writes of the routing path through the driver itself: ``COPY`` on PostgreSQL,
``executemany`` on SQLite, with the values converted once here rather than by SQLAlchemy's
per-row parameter processing.

The rows are those SQLAlchemy would write (same columns, same stored forms: a SQLite instant is
the UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, a date ISO 8601, a JSON column its JSON text), so
every other repository reads them back unchanged. The statements run on the unit of work's own
connection, inside its transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection

from carrefour.domain.directory import IntegrationLine
from carrefour.domain.periods import Period


def driver(conn: Connection) -> Any:
    """The DBAPI connection under ``conn`` (sqlite3 or psycopg), in the same transaction: the
    transaction is begun here when no statement began it yet (SQLAlchemy begins lazily, at its
    first statement), so a statement sent through the driver is never committed on its own."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.driver_connection


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


@lru_cache(maxsize=64)
def sqlite_instant(value: datetime | None) -> str | None:
    """An aware instant as SQLAlchemy stores it in SQLite (UTC, naive text, microseconds).
    Cached: the rows of one chunk share a few instants."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@lru_cache(maxsize=4096)
def sqlite_date(value: date | None) -> str | None:
    """A date as SQLite stores it (ISO 8601); cached: a chunk's dates repeat."""
    return None if value is None else value.isoformat()


@lru_cache(maxsize=256)
def fields_text(fields: tuple[str, ...]) -> str:
    """A mailbox row's granted fields as its JSON column stores them (cached: few distinct)."""
    return json.dumps(list(fields))


def json_text(value: Any) -> str:
    """A JSON column's stored text (SQLAlchemy's default serialiser)."""
    return json.dumps(value)


def write_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    types: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` (values in ``columns`` order, already in the dialect's stored form: see
    ``sqlite_instant``; on PostgreSQL aware datetimes and dates as they are, JSON as text) into
    ``table``: one ``COPY`` on PostgreSQL, one ``executemany`` on SQLite.

    ``types``: on PostgreSQL, the type of each column's values (``int4``, ``int8``, ``date``,
    ``timestamptz``, ``text`` for any text or JSON column): the rows are sent in COPY's binary
    form, dumped by the driver's compiled code (about a sixth of the client time of the text
    form). Ignored on SQLite."""
    names = ", ".join(columns)
    raw = driver(conn)
    if is_postgres(conn):
        form = " (FORMAT BINARY)" if types else ""
        # Sent by a thread of the driver's as the rows are formatted here: the server inserts
        # the first rows while the next ones are formatted.
        with (
            raw.cursor() as cursor,
            cursor.copy(
                f"COPY {table} ({names}) FROM STDIN{form}", writer=QueuedLibpqWriter(cursor)
            ) as copy,
        ):
            if types:
                copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - names of this module
    finally:
        cursor.close()


def next_positions(conn: Connection, table: str, count: int) -> list[int]:
    """``count`` new ascending positions of ``table`` (its auto-incremented key), reserved for
    this transaction: from the column's sequence on PostgreSQL; on SQLite after the highest one
    (the transaction holds the write lock from ``BEGIN IMMEDIATE``, so no other writer can take
    them)."""
    if count <= 0:
        return []
    raw = driver(conn)
    if is_postgres(conn):
        # The sequence named once (not looked up for each value), and the range only, when no
        # other transaction took values meanwhile (the usual case), rather than every value.
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL "
                "ELSE array_agg(v ORDER BY v) END FROM (SELECT nextval(q.seq) AS v FROM "
                "(SELECT pg_get_serial_sequence(%s, 'position')::regclass AS seq OFFSET 0) q, "
                "generate_series(1, %s)) s",
                (table, count),
            )
            low, high, scattered = cursor.fetchone()
        if scattered is not None:
            return [int(value) for value in scattered]
        return list(range(int(low), int(high) + 1))
    cursor = raw.cursor()
    try:
        cursor.execute(f"SELECT coalesce(max(position), 0) FROM {table}")  # noqa: S608
        last = int(cursor.fetchone()[0])
    finally:
        cursor.close()
    return list(range(last + 1, last + 1 + count))


def rows_keyed(
    conn: Connection, table: str, columns: str, key: str, keys: Sequence[str], where: str = ""
) -> list[tuple[Any, ...]]:
    """The ``columns`` of the rows of ``table`` whose ``key`` is one of ``keys`` (and that meet
    ``where``, SQL of this package's constants), in one statement whatever the number of keys:
    the set sent as one parameter (a JSON array read by ``json_each`` on SQLite; on PostgreSQL
    one text split by ``string_to_array``, cheaper to send than an array, when no key holds a
    comma) and joined with the table, the rows read through the driver."""
    if not keys:
        return []
    raw = driver(conn)
    extra = f" AND {where}" if where else ""
    if is_postgres(conn):
        joined = ",".join(keys)
        split = bool(joined) and joined.count(",") == len(keys) - 1  # no key holds a comma
        keyed = "ANY(string_to_array(%s, ','))" if split else "ANY(%s)"
        with raw.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {key} = {keyed}{extra}",  # noqa: S608 - constants
                (joined if split else list(keys),),
            )
            return list(cursor.fetchall())
    cursor = raw.cursor()
    try:
        cursor.execute(
            f"SELECT {columns} FROM json_each(?) s JOIN {table} ON {key} = s.value "  # noqa: S608 - constants
            f"WHERE 1 = 1{extra}",
            (json.dumps(list(keys)),),
        )
        return list(cursor.fetchall())
    finally:
        cursor.close()


def lines_of_many(conn: Connection, nisses: Sequence[str]) -> list[IntegrationLine]:
    """The directory lines in force (not cancelled) of every NISS in ``nisses``, in (NISS,
    begin, id) order: the set sent as one parameter (a JSON array read by ``json_each`` on
    SQLite, an array on PostgreSQL) and joined with ``person_lines`` in one statement, the rows
    read through the driver."""
    if not nisses:
        return []
    raw = driver(conn)
    columns = 'l.id, l.niss, l.institution_id, l.capacity, l.phase, l.begin, l."end"'
    order = "ORDER BY l.niss, l.begin, l.id"
    if is_postgres(conn):
        with raw.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM person_lines l "  # noqa: S608 - constant text
                f"WHERE l.niss = ANY(%s) AND l.cancelled_at IS NULL {order}",
                (list(nisses),),
            )
            rows = cursor.fetchall()
        period = _pg_period
    else:
        cursor = raw.cursor()
        try:
            cursor.execute(
                f"SELECT {columns} FROM json_each(?) s "  # noqa: S608 - constant text
                "JOIN person_lines l ON l.niss = s.value "
                f"WHERE l.cancelled_at IS NULL {order}",
                (json.dumps(list(nisses)),),
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
        period = _sqlite_period
    return [
        IntegrationLine(
            id=row[0],
            niss=row[1],
            institution=row[2],
            capacity=row[3],
            phase=int(row[4]),
            period=period(row[5], row[6]),
        )
        for row in rows
    ]


@lru_cache(maxsize=4096)
def _pg_period(begin: date, end: date | None) -> Period:
    """A directory line's period (shared: the lines of a chunk repeat a few periods)."""
    return Period(begin, end)


@lru_cache(maxsize=4096)
def _sqlite_period(begin: str, end: str | None) -> Period:
    """``_pg_period`` from SQLite's stored text."""
    return Period(_iso_date(begin), None if end is None else _iso_date(end))


def as_is(value: Any) -> Any:
    """A value PostgreSQL's driver takes as it is (the counterpart of ``sqlite_instant``)."""
    return value


def _iso_date(value: str) -> date:
    return date.fromisoformat(value[:10])


def replacements_of_many(conn: Connection, nisses: Sequence[str]) -> dict[str, str]:
    """``{old: new}`` for those of ``nisses`` (valid NISS) that were replaced, in one statement
    whatever their number (see ``_probe``)."""
    rows = _probe(
        conn,
        "SELECT r.old_niss, r.new_niss FROM {nisses} CROSS JOIN LATERAL (SELECT old_niss, "
        "new_niss FROM niss_replacements WHERE old_niss = s.value OFFSET 0) r",
        "SELECT r.old_niss, r.new_niss FROM {nisses} "
        "JOIN niss_replacements r ON r.old_niss = s.value",
        nisses,
    )
    return {str(old): str(new) for old, new in rows}


def lines_held(conn: Connection, institution: str, nisses: Sequence[str]) -> list[IntegrationLine]:
    """The directory lines in force (not cancelled) of ``institution`` for each of ``nisses``
    (valid NISS), in (NISS, begin, id) order, in one statement (see ``_probe``): what a bulk
    load of that institution checks its new lines against."""
    rows = _probe(
        conn,
        'SELECT l.id, l.niss, l.capacity, l.phase, l.begin, l."end" FROM {nisses} '
        "CROSS JOIN LATERAL (SELECT * FROM person_lines WHERE niss = s.value "
        "AND institution_id = %s AND cancelled_at IS NULL OFFSET 0) l "
        "ORDER BY l.niss, l.begin, l.id",
        'SELECT l.id, l.niss, l.capacity, l.phase, l.begin, l."end" FROM {nisses} '
        "JOIN person_lines l ON l.niss = s.value "
        "WHERE l.institution_id = ? AND l.cancelled_at IS NULL ORDER BY l.niss, l.begin, l.id",
        nisses,
        institution,
    )
    day = as_is if is_postgres(conn) else _iso_date
    return [
        IntegrationLine(
            line_id,
            niss,
            institution,
            capacity,
            int(phase),
            Period(day(begin), None if end is None else day(end)),
        )
        for line_id, niss, capacity, phase, begin, end in rows
    ]


def _probe(
    conn: Connection, postgres: str, sqlite: str, nisses: Sequence[str], *values: str
) -> list[tuple[Any, ...]]:
    """The rows of a statement (``postgres`` or ``sqlite``) for the set ``nisses``, sent as one
    text parameter, the relation ``{nisses}`` with the column ``value``: split by
    ``string_to_array`` on PostgreSQL (an array parameter costs more to send than the query),
    a JSON array read by ``json_each`` on SQLite. On PostgreSQL the rows of each NISS are read
    through an index one NISS at a time (a lateral subquery kept apart by ``OFFSET 0``)
    whatever the statistics of a table a load is filling say: a hash join would read the whole
    table for every chunk. ``values`` are the statement's other parameters."""
    if not nisses:
        return []
    if is_postgres(conn):
        text = postgres.format(nisses="unnest(string_to_array(%s, ',')) s(value)")
        result = conn.exec_driver_sql(text, (",".join(nisses), *values))
    else:
        text = sqlite.format(nisses="json_each(?) s")
        result = conn.exec_driver_sql(text, (json.dumps(list(nisses)), *values))
    return [tuple(row) for row in result]
