"""Set-based routing of a chunk of messages by the person directory, in SQL.

The chunk is staged (a temporary table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL), its
recipients are found by joining the stage with ``person_lines`` and the granted kinds of line
(``route_grants``, decided by the domain), and its messages and mailbox rows are written by
``INSERT ... SELECT`` from the stage: a few statements a chunk, whatever its size.

The temporary tables live as long as the connection: each ``stage`` creates them if they are
not there (``IF NOT EXISTS``, on PostgreSQL all four in one round trip), so a creation that
was rolled back is simply made again. On PostgreSQL they are ``ON COMMIT DELETE ROWS``: empty
at the start of every transaction, with no ``DELETE`` (whose dead rows a temporary table keeps,
no vacuum reaching it); a second ``stage`` in the same transaction truncates them. On SQLite
each ``stage`` deletes their rows.

``stage`` -> ``pick`` -> ``publish`` run in the caller's transaction (``services.vouchers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Connection

from carrefour.adapters.db import staging
from carrefour.adapters.db.messaging import lock_mailbox_positions
from carrefour.services.unit_of_work import Grant, LineKind, Pick, StagedMessage

_STAGE_COLUMNS: Final = (
    "seq", "niss", "message_id", "day1", "day2", "event_date", "period", "payload", "in_reply_to",
)  # fmt: skip
#: Their types on PostgreSQL (``staging.write_rows``; the payload, JSON, as text).
_STAGE_TYPES: Final = (
    "int4", "text", "text", "date", "date", "date", "text", "text", "text",
)  # fmt: skip

_SQLITE_TABLES: Final = (
    "CREATE TEMP TABLE IF NOT EXISTS route_stage (seq INTEGER PRIMARY KEY, niss TEXT NOT NULL,"
    " message_id TEXT NOT NULL, day1 TEXT NOT NULL, day2 TEXT NOT NULL, event_date TEXT,"
    " period TEXT, payload TEXT NOT NULL, in_reply_to TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS route_grants (institution TEXT NOT NULL,"
    " capacity TEXT NOT NULL, phase INTEGER NOT NULL, rule_id TEXT NOT NULL,"
    " fields TEXT NOT NULL, PRIMARY KEY (institution, capacity, phase))",
    "CREATE TEMP TABLE IF NOT EXISTS route_found (seq INTEGER NOT NULL, rank INTEGER NOT NULL,"
    " institution TEXT NOT NULL, lines INTEGER NOT NULL, capacity TEXT NOT NULL,"
    " phase INTEGER NOT NULL, PRIMARY KEY (seq, rank, institution))",
    "CREATE TEMP TABLE IF NOT EXISTS route_pick (seq INTEGER NOT NULL, institution TEXT NOT NULL,"
    " rule_id TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (seq, institution))",
)
_POSTGRES_TABLES: Final = (
    "CREATE TEMP TABLE IF NOT EXISTS route_stage (seq INTEGER PRIMARY KEY, niss VARCHAR(11)"
    " NOT NULL, message_id VARCHAR(32) NOT NULL, day1 DATE NOT NULL, day2 DATE NOT NULL,"
    " event_date DATE, period VARCHAR(32), payload JSON NOT NULL, in_reply_to VARCHAR(32))"
    " ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS route_grants (institution VARCHAR(64) NOT NULL,"
    " capacity VARCHAR(3) NOT NULL, phase INTEGER NOT NULL, rule_id VARCHAR(120) NOT NULL,"
    " fields JSON NOT NULL, PRIMARY KEY (institution, capacity, phase)) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS route_found (seq INTEGER NOT NULL, rank INTEGER NOT NULL,"
    " institution VARCHAR(64) NOT NULL, lines INTEGER NOT NULL, capacity VARCHAR(3) NOT NULL,"
    " phase INTEGER NOT NULL)"
    " ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS route_pick (seq INTEGER NOT NULL, institution VARCHAR(64)"
    " NOT NULL, rule_id VARCHAR(120) NOT NULL, fields JSON NOT NULL,"
    " PRIMARY KEY (seq, institution)) ON COMMIT DELETE ROWS",
)

_TABLES: Final = ("route_stage", "route_grants", "route_found", "route_pick")

# A directory line in force on either of the stage's days (``person_lines`` as ``l``).
_IN_FORCE: Final = (
    "l.cancelled_at IS NULL AND l.begin <= CASE WHEN s.day1 > s.day2 THEN s.day1 ELSE s.day2 END"
    ' AND (l."end" IS NULL OR l."end" >= CASE WHEN s.day1 < s.day2 THEN s.day1 ELSE s.day2 END)'
)
# The lines of each staged person: through the (niss, id) key one person at a time on
# PostgreSQL, whatever the statistics of the temporary table say (see ``staging._probe``).
_SQLITE_LINES: Final = f"route_stage s JOIN person_lines l ON l.niss = s.niss AND {_IN_FORCE}"
_POSTGRES_LINES: Final = (
    "route_stage s CROSS JOIN LATERAL (SELECT * FROM person_lines l WHERE l.niss = s.niss"  # noqa: S608 - constants
    f" AND {_IN_FORCE} OFFSET 0) l"
)

# Each institution with a line in force on a staged message's day of ``rank`` (1: ``day1``,
# 2: ``day2``): how many lines, and the kind of its line when it has one (``max`` of the one
# row). Each person's lines are read once (``{lines}``: in force on either day) for both days.
_FOUND: Final = (
    "INSERT INTO route_found (seq, rank, institution, lines, capacity, phase) "
    "SELECT s.seq, d.rank, l.institution_id, count(*), max(l.capacity), max(l.phase) "
    "FROM {lines} JOIN (SELECT 1 AS rank UNION ALL SELECT 2) d "
    'ON l.begin <= CASE d.rank WHEN 1 THEN s.day1 ELSE s.day2 END AND (l."end" IS NULL '
    'OR l."end" >= CASE d.rank WHEN 1 THEN s.day1 ELSE s.day2 END) '
    "GROUP BY s.seq, d.rank, l.institution_id"
)
_KINDS: Final = "SELECT DISTINCT institution, capacity, phase FROM route_found WHERE lines = 1"


def _granted(found: str, grant: str) -> str:
    """The join of ``route_found`` (as ``found``) with the grant of each kind of line (as
    ``grant``)."""
    return (
        f"JOIN route_grants {grant} ON {grant}.institution = {found}.institution"
        f" AND {grant}.capacity = {found}.capacity AND {grant}.phase = {found}.phase"
    )


# The messages for which an institution has several lines in force on a day: the domain
# decides them.
_AMBIGUOUS: Final = "SELECT DISTINCT seq FROM route_found WHERE lines > 1"
# Each recipient picked, with its grant: the granted institutions with one line in force on
# the first day on which a message finds any (``rank`` 1, or 2 when day 1 finds none). Day 1's
# finds of a message are probed through the key of ``route_found`` (seq, rank, institution):
# no window over the whole chunk, no sort.
_PICK: Final = (
    "INSERT INTO route_pick (seq, institution, rule_id, fields) "  # noqa: S608 - constants
    f"SELECT f.seq, f.institution, g.rule_id, g.fields FROM route_found f {_granted('f', 'g')} "
    f"WHERE f.lines = 1 AND f.seq NOT IN ({_AMBIGUOUS}) AND (f.rank = 1 OR NOT EXISTS ("
    f"SELECT 1 FROM route_found f1 {_granted('f1', 'g1')} "
    "WHERE f1.seq = f.seq AND f1.rank = 1 AND f1.lines = 1))"
)


class SqlRoutingStage:
    """``services.unit_of_work.RoutingStage`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pg = staging.is_postgres(conn)
        self._staged = False

    def _run(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raw = staging.driver(self._conn)
        if self._pg:
            with raw.cursor() as cursor:
                cursor.execute(statement.replace("?", "%s"), tuple(params))
                return list(cursor.fetchall()) if cursor.description else []
        cursor = raw.cursor()
        try:
            cursor.execute(statement, tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _empty_tables(self) -> None:
        """The temporary tables, created if need be (``IF NOT EXISTS``: the first stage of a
        connection creates them, a rolled-back creation is made again), without rows."""
        if self._pg:  # in one round trip (no parameter: the simple protocol)
            with staging.driver(self._conn).cursor() as cursor:
                cursor.execute("; ".join(_POSTGRES_TABLES))
            if self._staged:  # this transaction staged before; otherwise they are empty
                self._run(f"TRUNCATE {', '.join(_TABLES)}")
        else:
            for statement in _SQLITE_TABLES:
                self._run(statement)
            for table in _TABLES:
                self._run(f"DELETE FROM {table}")  # noqa: S608 - names of this module
        self._staged = True

    def stage(self, rows: Sequence[StagedMessage]) -> list[LineKind]:
        self._empty_tables()
        if not rows:
            return []
        if self._pg:  # the rows as they are: dates are sent as dates
            staging.write_rows(self._conn, "route_stage", _STAGE_COLUMNS, rows, types=_STAGE_TYPES)
        else:
            day = staging.sqlite_date
            staging.write_rows(
                self._conn,
                "route_stage",
                _STAGE_COLUMNS,
                [
                    (seq, niss, message_id, day(day1), day(day2), day(event), period, payload,
                     reply)
                    for seq, niss, message_id, day1, day2, event, period, payload, reply in rows
                ],
            )  # fmt: skip
        if self._pg:
            # The stage's statistics, and room to sort a chunk's rows in memory (the picked
            # recipients by message; not on disk), for this transaction.
            with staging.driver(self._conn).cursor() as cursor:
                cursor.execute("ANALYZE route_stage; SET LOCAL work_mem = '64MB'")
        self._run(_FOUND.format(lines=_POSTGRES_LINES if self._pg else _SQLITE_LINES))
        return [(str(i), str(c), int(p)) for i, c, p in self._run(_KINDS)]

    def pick(self, grants: Sequence[Grant]) -> tuple[list[Pick], set[int]]:
        if grants:
            staging.write_rows(
                self._conn,
                "route_grants",
                ("institution", "capacity", "phase", "rule_id", "fields"),
                [(i, c, p, rule, staging.fields_text(f)) for i, c, p, rule, f in grants],
            )
        if self._pg:  # with the statistics of the picks, for the plans of ``publish``
            with staging.driver(self._conn).cursor() as cursor:
                cursor.execute(f"{_PICK}; ANALYZE route_pick")
        else:
            self._run(_PICK)
        ambiguous = {int(seq) for (seq,) in self._run(_AMBIGUOUS)}
        picks = self._run("SELECT seq, institution, rule_id FROM route_pick ORDER BY 1, 2")
        return cast(list[Pick], picks), ambiguous  # (int, str, str) rows, from both drivers

    def publish(self, *, flow: str, sender: str, status: str, at: datetime) -> None:
        instant: Any = at if self._pg else staging.sqlite_instant(at)
        self._run(
            "INSERT INTO messages (niss, id, flow, sender, event_date, period, payload,"
            " in_reply_to, created_at) SELECT s.niss, s.message_id, ?, ?, s.event_date, s.period,"
            " s.payload, s.in_reply_to, ? FROM route_stage s"
            " WHERE EXISTS (SELECT 1 FROM route_pick p WHERE p.seq = s.seq) ORDER BY s.seq",
            (flow, sender, instant),
        )
        if self._pg:
            lock_mailbox_positions(self._conn)
        self._run(
            "INSERT INTO mailbox (recipient, message_id, niss, flow, sender, rule_id, fields,"
            " status, next_attempt_at, created_at, attempts, replay)"
            " SELECT p.institution, s.message_id, s.niss, ?, ?, p.rule_id, p.fields, ?, ?, ?, 0, 0"
            " FROM route_pick p JOIN route_stage s ON s.seq = p.seq ORDER BY p.seq, p.institution",
            (flow, sender, status, instant, instant),
        )
