"""Set-based routing of a chunk of messages by the person directory, in SQL.

The chunk is staged (a temporary table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL), its
recipients are found by joining the stage with ``person_lines`` and the granted kinds of line
(``route_grants``, decided by the domain), and its messages and mailbox rows are written by
``INSERT ... SELECT`` from the stage: a few statements a chunk, whatever its size. The
temporary tables live as long as the connection and are emptied at each ``stage``.

``stage`` -> ``pick`` -> ``publish`` run in the caller's transaction (``services.vouchers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection

from carrefour.adapters.db import staging
from carrefour.adapters.db.messaging import lock_mailbox_positions
from carrefour.services.unit_of_work import Grant, LineKind, Pick, StagedMessage

_STAGE_COLUMNS: Final = (
    "seq", "niss", "message_id", "day1", "day2", "event_date", "period", "payload", "in_reply_to",
)  # fmt: skip

_SQLITE_TABLES: Final = (
    "CREATE TEMP TABLE IF NOT EXISTS route_stage (seq INTEGER PRIMARY KEY, niss TEXT NOT NULL,"
    " message_id TEXT NOT NULL, day1 TEXT NOT NULL, day2 TEXT NOT NULL, event_date TEXT,"
    " period TEXT, payload TEXT NOT NULL, in_reply_to TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS route_grants (institution TEXT NOT NULL,"
    " capacity TEXT NOT NULL, phase INTEGER NOT NULL, rule_id TEXT NOT NULL,"
    " fields TEXT NOT NULL, PRIMARY KEY (institution, capacity, phase))",
    "CREATE TEMP TABLE IF NOT EXISTS route_found (seq INTEGER NOT NULL, rank INTEGER NOT NULL,"
    " institution TEXT NOT NULL, lines INTEGER NOT NULL, rule_id TEXT, fields TEXT,"
    " PRIMARY KEY (seq, rank, institution))",
    "CREATE TEMP TABLE IF NOT EXISTS route_pick (seq INTEGER PRIMARY KEY, rank INTEGER NOT NULL)",
)
_POSTGRES_TABLES: Final = (
    "CREATE TEMP TABLE IF NOT EXISTS route_stage (seq INTEGER PRIMARY KEY, niss VARCHAR(11)"
    " NOT NULL, message_id VARCHAR(32) NOT NULL, day1 DATE NOT NULL, day2 DATE NOT NULL,"
    " event_date DATE, period VARCHAR(32), payload JSON NOT NULL, in_reply_to VARCHAR(32))",
    "CREATE TEMP TABLE IF NOT EXISTS route_grants (institution VARCHAR(64) NOT NULL,"
    " capacity VARCHAR(3) NOT NULL, phase INTEGER NOT NULL, rule_id VARCHAR(120) NOT NULL,"
    " fields JSON NOT NULL, PRIMARY KEY (institution, capacity, phase))",
    "CREATE TEMP TABLE IF NOT EXISTS route_found (seq INTEGER NOT NULL, rank INTEGER NOT NULL,"
    " institution VARCHAR(64) NOT NULL, lines INTEGER NOT NULL, rule_id VARCHAR(120),"
    " fields TEXT, PRIMARY KEY (seq, rank, institution))",
    "CREATE TEMP TABLE IF NOT EXISTS route_pick (seq INTEGER PRIMARY KEY, rank INTEGER NOT NULL)",
)

# A directory line in force on the stage's day ``{day}`` (``person_lines`` as ``l``).
_IN_FORCE: Final = (
    'l.cancelled_at IS NULL AND l.begin <= s.{day} AND (l."end" IS NULL OR l."end" >= s.{day})'
)
# The lines of each staged person: through the (niss, id) key one person at a time on
# PostgreSQL, whatever the statistics of the temporary table say (see ``staging._probe``).
_SQLITE_LINES: Final = "route_stage s JOIN person_lines l ON l.niss = s.niss AND {in_force}"
_POSTGRES_LINES: Final = (
    "route_stage s CROSS JOIN LATERAL (SELECT * FROM person_lines l WHERE l.niss = s.niss"
    " AND {in_force} OFFSET 0) l"
)

_KINDS: Final = (
    "SELECT DISTINCT l.institution_id, l.capacity, l.phase FROM {lines1} UNION "
    "SELECT DISTINCT l.institution_id, l.capacity, l.phase FROM {lines2}"
)
# Each institution with a line in force on the day of ``rank``: how many lines, and the grant
# of its kind when it has one line (``max`` of the one row).
_FOUND: Final = (
    "INSERT INTO route_found (seq, rank, institution, lines, rule_id, fields) "
    "SELECT s.seq, {rank}, l.institution_id, count(*), max(g.rule_id), max(g.fields{cast}) "
    "FROM {lines} LEFT JOIN route_grants g ON g.institution = l.institution_id "
    "AND g.capacity = l.capacity AND g.phase = l.phase {where}"
    "GROUP BY s.seq, l.institution_id"
)
# The second day only for the messages the first one decided nothing for.
_UNDECIDED: Final = (
    "WHERE s.seq NOT IN (SELECT seq FROM route_found WHERE rank = 1 "
    "AND (lines > 1 OR rule_id IS NOT NULL)) "
)
_PICK: Final = (
    "INSERT INTO route_pick (seq, rank) SELECT seq, min(rank) FROM route_found "
    "WHERE lines = 1 AND rule_id IS NOT NULL "
    "AND seq NOT IN (SELECT seq FROM route_found WHERE lines > 1) GROUP BY seq"
)
_AMBIGUOUS: Final = "SELECT DISTINCT seq FROM route_found WHERE lines > 1"
_PICKED: Final = (
    "FROM route_pick p JOIN route_found f ON f.seq = p.seq AND f.rank = p.rank "
    "AND f.lines = 1 AND f.rule_id IS NOT NULL JOIN route_stage s ON s.seq = p.seq"
)


class SqlRoutingStage:
    """``services.unit_of_work.RoutingStage`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pg = staging.is_postgres(conn)

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

    def _lines(self, day: str) -> str:
        lines = _POSTGRES_LINES if self._pg else _SQLITE_LINES
        return lines.format(in_force=_IN_FORCE.format(day=day))

    def stage(self, rows: Sequence[StagedMessage]) -> list[LineKind]:
        for statement in _POSTGRES_TABLES if self._pg else _SQLITE_TABLES:
            self._run(statement)
        for table in ("route_stage", "route_grants", "route_found", "route_pick"):
            self._run(f"DELETE FROM {table}")  # noqa: S608 - names of this module
        if not rows:
            return []
        day = staging.as_is if self._pg else staging.sqlite_date
        staging.write_rows(
            self._conn,
            "route_stage",
            _STAGE_COLUMNS,
            [
                (seq, niss, message_id, day(day1), day(day2), day(event), period, payload, reply)
                for seq, niss, message_id, day1, day2, event, period, payload, reply in rows
            ],
        )
        if self._pg:
            self._run("ANALYZE route_stage")
        kinds = _KINDS.format(lines1=self._lines("day1"), lines2=self._lines("day2"))
        return [(str(i), str(c), int(p)) for i, c, p in self._run(kinds)]

    def pick(self, grants: Sequence[Grant]) -> tuple[list[Pick], set[int]]:
        if grants:
            staging.write_rows(
                self._conn,
                "route_grants",
                ("institution", "capacity", "phase", "rule_id", "fields"),
                [(i, c, p, rule, staging.fields_text(f)) for i, c, p, rule, f in grants],
            )
        cast = "::text" if self._pg else ""
        self._run(_FOUND.format(rank=1, lines=self._lines("day1"), cast=cast, where=""))
        self._run(_FOUND.format(rank=2, lines=self._lines("day2"), cast=cast, where=_UNDECIDED))
        self._run(_PICK)
        ambiguous = {int(seq) for (seq,) in self._run(_AMBIGUOUS)}
        picks = self._run(f"SELECT f.seq, f.institution, f.rule_id {_PICKED} ORDER BY 1, 2")
        return [(int(seq), str(i), str(rule)) for seq, i, rule in picks], ambiguous

    def publish(self, *, flow: str, sender: str, status: str, at: datetime) -> None:
        instant: Any = at if self._pg else staging.sqlite_instant(at)
        self._run(
            "INSERT INTO messages (niss, id, flow, sender, event_date, period, payload,"
            " in_reply_to, created_at) SELECT s.niss, s.message_id, ?, ?, s.event_date, s.period,"
            " s.payload, s.in_reply_to, ? FROM route_stage s JOIN route_pick p ON p.seq = s.seq"
            " ORDER BY s.seq",
            (flow, sender, instant),
        )
        if self._pg:
            lock_mailbox_positions(self._conn)
        fields = "f.fields::json" if self._pg else "f.fields"
        self._run(
            "INSERT INTO mailbox (recipient, message_id, niss, flow, sender, rule_id, fields,"
            " status, next_attempt_at, created_at, attempts, replay)"
            f" SELECT f.institution, s.message_id, s.niss, ?, ?, f.rule_id, {fields}, ?, ?, ?, 0, 0"
            f" {_PICKED} ORDER BY p.seq, f.institution",
            (flow, sender, status, instant, instant),
        )
