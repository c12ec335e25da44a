"""Repositories over one SQLAlchemy connection: the SQL behind the ports of ``services``."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    insert,
    literal_column,
    or_,
    select,
    update,
)

from carrefour.adapters.db import (
    staging,
    tables_evidence,  # noqa: F401  (credentials.expires_at)
)
from carrefour.adapters.db import tables as t
from carrefour.adapters.db.tables_consultations import consultation_log_head
from carrefour.domain.catalogue import Catalogue, catalogue_from_mapping
from carrefour.domain.directory import IntegrationLine, LineShape, NewLine
from carrefour.domain.messages import GENESIS_HASH
from carrefour.domain.periods import Period
from carrefour.services.consultations import chained
from carrefour.services.unit_of_work import ConsultationEntry, CredentialRecord, LineHistory

# Sections of the catalogue file kept in ``catalogue_entries``, with the field that keys them.
CATALOGUE_SECTIONS: Mapping[str, tuple[str, ...]] = {
    "capacities": ("sector", "code"),
    "contributor_categories": ("code",),
    "assimilation_codes": ("code",),
    "flows": ("name",),
    "deliberations": ("id",),
    "insurability_feeds": ("cas",),
    "phases": ("value",),
    "retroactivity": ("sector",),
    "tracking_holders": ("sector",),
}
INSTITUTION_FIELDS = (
    "id",
    "name_fr",
    "name_nl",
    "sector",
    "institution_type",
    "enterprise_number",
    "network_number",
    "placeholder",
)


class SqlCatalogueStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def load(self) -> Catalogue:
        data: dict[str, list[dict[str, Any]]] = {section: [] for section in CATALOGUE_SECTIONS}
        data["institutions"] = [
            {k: v for k, v in row._mapping.items() if k in INSTITUTION_FIELDS and v is not None}
            for row in self._conn.execute(select(t.institutions).order_by(t.institutions.c.id))
        ]
        query = select(t.catalogue_entries).order_by(
            t.catalogue_entries.c.kind, t.catalogue_entries.c.key
        )
        for row in self._conn.execute(query):
            data.setdefault(row.kind, []).append(dict(row.body))
        return catalogue_from_mapping(data)

    def refresh(self, data: Mapping[str, Any], at: datetime) -> dict[str, int]:
        counts: dict[str, int] = {}
        known = {row.id for row in self._conn.execute(select(t.institutions.c.id))}
        institutions = list(data.get("institutions", []))
        for entry in institutions:
            values = {field: entry.get(field) for field in INSTITUTION_FIELDS}
            values["placeholder"] = bool(entry.get("placeholder", False))
            values["refreshed_at"] = at
            if entry["id"] in known:
                self._conn.execute(
                    update(t.institutions).where(t.institutions.c.id == entry["id"]).values(values)
                )
            else:
                self._conn.execute(insert(t.institutions).values(values))
        counts["institutions"] = len(institutions)
        self._conn.execute(delete(t.catalogue_entries))
        for section, key_fields in CATALOGUE_SECTIONS.items():
            entries = list(data.get(section, []))
            if entries:
                self._conn.execute(
                    insert(t.catalogue_entries),
                    [
                        {
                            "kind": section,
                            "key": "/".join(str(entry[field]) for field in key_fields),
                            "body": dict(entry),
                            "refreshed_at": at,
                        }
                        for entry in entries
                    ],
                )
            counts[section] = len(entries)
        return counts

    def push_endpoint(self, institution_id: str) -> str | None:
        query = select(t.institutions.c.push_endpoint).where(t.institutions.c.id == institution_id)
        value = self._conn.execute(query).scalar_one_or_none()
        return str(value) if value else None

    def set_push_endpoint(self, institution_id: str, url: str | None) -> None:
        self._conn.execute(
            update(t.institutions)
            .where(t.institutions.c.id == institution_id)
            .values(push_endpoint=url)
        )


# Statements of the request path, built once: building a statement costs more than running it.
_CREDENTIAL_BY_ID = select(t.credentials).where(t.credentials.c.id == bindparam("credential_id"))


class SqlCredentialRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: CredentialRecord) -> None:
        self._conn.execute(
            insert(t.credentials).values(
                id=record.id,
                institution_id=record.institution_id,
                secret_hash=record.secret_hash,
                created_at=record.created_at,
                revoked_at=record.revoked_at,
                expires_at=record.expires_at,
            )
        )

    def get(self, credential_id: str) -> CredentialRecord | None:
        row = self._conn.execute(_CREDENTIAL_BY_ID, {"credential_id": credential_id}).first()
        if row is None:
            return None
        return CredentialRecord(
            id=row.id,
            institution_id=row.institution_id,
            secret_hash=row.secret_hash,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            expires_at=row.expires_at,
        )

    def revoke_all(self, institution_id: str, at: datetime) -> int:
        result = self._conn.execute(
            update(t.credentials)
            .where(t.credentials.c.institution_id == institution_id)
            .where(t.credentials.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)


def _line(row: Row[Any]) -> IntegrationLine:
    return IntegrationLine(
        id=row.id,
        niss=row.niss,
        institution=row.institution_id,
        capacity=row.capacity,
        phase=row.phase,
        period=Period(row.begin, row.end),
    )


def _new_line_row(line: IntegrationLine, at: datetime) -> dict[str, Any]:
    return {
        "niss": line.niss,
        "id": line.id,
        "institution_id": line.institution,
        "capacity": line.capacity,
        "phase": line.phase,
        "begin": line.period.begin,
        "end": line.period.end,
        "created_at": at,
        "changed_at": at,
        "change": "integrated",
    }


#: The columns ``_new_line_rows`` fills, in its order.
_NEW_LINE_COLUMNS = (
    "niss",
    "id",
    "institution_id",
    "capacity",
    "phase",
    "begin",
    '"end"',
    "created_at",
    "changed_at",
    "change",
)


def _new_line_rows(
    pg: bool, institution: str, lines: Sequence[NewLine], at: datetime
) -> Iterator[tuple[Any, ...]]:
    """The ``person_lines`` rows of new lines in the dialect's stored form (``staging``); for
    PostgreSQL's ``COPY`` every value is the text the server reads (a date ISO 8601, the instant
    with its offset), which the driver sends as it is. What a shape's lines share is converted
    once per shape."""
    moment = at.isoformat() if pg else staging.sqlite_instant(at)
    tails: dict[int, tuple[Any, ...]] = {}
    for niss, line_id, shape in lines:
        tail = tails.get(id(shape))
        if tail is None:
            period = shape.period
            tail = tails[id(shape)] = (
                institution,
                shape.capacity,
                str(shape.phase) if pg else shape.phase,
                period.begin.isoformat(),
                staging.sqlite_date(period.end),
                moment,
                moment,
                "integrated",
            )
        yield (niss, line_id, *tail)


_LINE_ORDER = (t.person_lines.c.niss, t.person_lines.c.begin, t.person_lines.c.id)
_LINES_OF_NISS = (
    select(t.person_lines)
    .where(t.person_lines.c.niss == bindparam("niss"), t.person_lines.c.cancelled_at.is_(None))
    .order_by(*_LINE_ORDER)
)


class SqlDirectoryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lines_of(self, niss: str) -> list[IntegrationLine]:
        return [_line(row) for row in self._conn.execute(_LINES_OF_NISS, {"niss": niss})]

    def history_of(self, niss: str) -> list[LineHistory]:
        c = t.person_lines.c
        query = select(t.person_lines).where(c.niss == niss).order_by(*_LINE_ORDER)
        return [
            LineHistory(
                line=_line(row),
                change=row.change,
                created_at=row.created_at,
                changed_at=row.changed_at,
                cancelled_at=row.cancelled_at,
            )
            for row in self._conn.execute(query)
        ]

    def cancel(self, niss: str, line_id: str, at: datetime, change: str) -> None:
        c = t.person_lines.c
        self._conn.execute(
            update(t.person_lines)
            .where(c.niss == niss, c.id == line_id)
            .values(cancelled_at=at, changed_at=at, change=change)
        )

    def lines_of_many(self, nisses: Sequence[str]) -> list[IntegrationLine]:
        return staging.lines_of_many(self._conn, nisses)

    def lines_held(self, institution: str, nisses: Sequence[str]) -> list[IntegrationLine]:
        return staging.lines_held(self._conn, institution, nisses)

    def persons_of(
        self, institution_id: str, *, at: date | None, after: str | None, limit: int
    ) -> list[IntegrationLine]:
        c = t.person_lines.c
        query = select(t.person_lines).where(
            c.institution_id == institution_id, c.cancelled_at.is_(None)
        )
        if at is not None:
            query = query.where(and_(c.begin <= at, or_(c.end.is_(None), c.end >= at)))
        if after is not None:
            after_niss, _, after_id = after.partition(":")
            query = query.where(
                or_(c.niss > after_niss, and_(c.niss == after_niss, c.id > after_id))
            )
        query = query.order_by(c.niss, c.id).limit(limit)
        return [_line(row) for row in self._conn.execute(query)]

    def get(self, niss: str, line_id: str) -> IntegrationLine | None:
        c = t.person_lines.c
        row = self._conn.execute(
            select(t.person_lines).where(c.niss == niss, c.id == line_id, c.cancelled_at.is_(None))
        ).first()
        return None if row is None else _line(row)

    def add(self, line: IntegrationLine, at: datetime) -> None:
        self._conn.execute(insert(t.person_lines).values(_new_line_row(line, at)))

    def add_many(self, lines: Sequence[IntegrationLine], at: datetime) -> None:
        """Insert new lines in one bulk write (``COPY`` on PostgreSQL, ``executemany`` on
        SQLite), in the same stored form as ``add``."""
        for institution in dict.fromkeys(line.institution for line in lines):
            self.add_new(
                institution,
                [
                    (line.niss, line.id, LineShape(line.capacity, line.phase, line.period))
                    for line in lines
                    if line.institution == institution
                ],
                at,
            )

    def add_new(self, institution: str, lines: Sequence[NewLine], at: datetime) -> None:
        """Insert new lines of ``institution`` integrated ``at`` in one bulk write through the
        driver: the values a shape's lines share are converted once per shape."""
        if lines:
            rows = _new_line_rows(staging.is_postgres(self._conn), institution, lines, at)
            staging.write_rows(self._conn, "person_lines", _NEW_LINE_COLUMNS, rows)

    def set_end(self, niss: str, line_id: str, end: date, at: datetime, change: str) -> None:
        c = t.person_lines.c
        self._conn.execute(
            update(t.person_lines)
            .where(c.niss == niss, c.id == line_id)
            .values(end=end, changed_at=at, change=change)
        )


class SqlReplacementRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def replacement_of(self, niss: str) -> str | None:
        c = t.niss_replacements.c
        value = self._conn.execute(select(c.new_niss).where(c.old_niss == niss)).scalar()
        return None if value is None else str(value)

    def replacements_of(self, nisses: Sequence[str]) -> dict[str, str]:
        return staging.replacements_of_many(self._conn, nisses)

    def record(self, old_niss: str, new_niss: str, by: str, at: datetime) -> None:
        self._conn.execute(
            insert(t.niss_replacements).values(
                old_niss=old_niss, new_niss=new_niss, recorded_by=by, recorded_at=at
            )
        )


class SqlConsultationLog:
    """The consultation log. Lines wait in ``pending`` until ``write`` puts them on the given
    connection, chained: the head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite has one
    writer), each line gets the previous line's hash, and the head moves to the last line."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.pending: list[ConsultationEntry] = []

    def append(self, entry: ConsultationEntry) -> None:
        self.pending.append(entry)

    def write(self, conn: Connection) -> None:
        """Write the pending lines in ``conn``'s transaction (they stay pending until the unit
        of work has committed it)."""
        if self.pending:
            write_consultation_lines(conn, self.pending)

    def select(
        self,
        *,
        niss: str | None = None,
        caller: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[ConsultationEntry]:
        c = t.consultation_log.c
        query = select(t.consultation_log)
        if niss is not None:
            query = query.where(c.niss == niss)
        if caller is not None:
            query = query.where(c.caller == caller)
        if before is not None:
            query = query.where(c.position < before)
        query = query.order_by(c.position.desc()).limit(limit)
        return [_consultation_entry(row) for row in self._conn.execute(query)]

    def chain(self) -> Iterator[ConsultationEntry]:
        c = t.consultation_log.c
        query = select(t.consultation_log).where(c.hash.is_not(None)).order_by(c.position)
        for row in self._conn.execute(query):
            yield _consultation_entry(row)

    def head(self) -> tuple[int, str]:
        h = consultation_log_head.c
        row = self._conn.execute(select(h.lines, h.hash).where(h.id == 1)).first()
        return (0, GENESIS_HASH) if row is None else (int(row.lines), str(row.hash))

    def niss_of(self, object_id: str) -> str | None:
        for table in (t.documents, t.inami_cases, t.affiliations, t.messages):
            query = select(table.c.niss).where(table.c.id == object_id).limit(1)
            found = self._conn.execute(query).scalar()
            if found is not None:
                return str(found)
        return None


#: The columns of a consultation line, in the order of the insert's placeholders.
_LINE_COLUMNS = (
    "at",
    "caller",
    "action",
    "flow",
    "niss",
    "rule_id",
    "allowed",
    "reason_code",
    "status_code",
    "detail",
    "object_id",
    "http_status",
    "prev_hash",
    "hash",
)


class _LineStatements:
    """The consultation log's statements for one dialect, compiled by SQLAlchemy to the
    driver's SQL, with the parameter converters of the column types."""

    def __init__(self, dialect: Any) -> None:
        h = consultation_log_head.c
        head = select(h.lines, h.hash).where(h.id == literal_column("1"))
        self.peek_head = str(head.compile(dialect=dialect))
        if dialect.name == "postgresql":
            head = head.with_for_update()
        self.read_head = str(head.compile(dialect=dialect))
        insert_line = (
            insert(t.consultation_log)
            .inline()
            .compile(dialect=dialect, column_keys=list(_LINE_COLUMNS))
        )
        move_head = (
            update(consultation_log_head)
            .where(h.id == literal_column("1"))
            .values(lines=bindparam("new_lines"), hash=bindparam("new_hash"))
            .compile(dialect=dialect)
        )
        self.insert, self.move_head = str(insert_line), str(move_head)
        new_head = insert(consultation_log_head).values(id=1, lines=0, hash=GENESIS_HASH)
        self.new_head = str(
            new_head.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        )
        self._dialect = dialect
        self._after_head: dict[int, str] = {}
        self.named = dialect.paramstyle in ("named", "pyformat")
        if not self.named and (
            tuple(insert_line.positiontup or ()) != _LINE_COLUMNS
            or tuple(move_head.positiontup or ()) != ("new_lines", "new_hash")
        ):
            raise RuntimeError("unexpected parameter order in the consultation log's statements")
        columns = t.consultation_log.c
        converters = (
            columns[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in _LINE_COLUMNS
        )
        #: (position, converter) of the columns whose type converts its value
        self.converters = tuple(
            (position, convert)
            for position, convert in enumerate(converters)
            if convert is not None
        )
        self.values_of = attrgetter(*_LINE_COLUMNS)

    def row(self, line: ConsultationEntry) -> Any:
        values = self.values(line)
        return dict(zip(_LINE_COLUMNS, values, strict=True)) if self.named else tuple(values)

    def head(self, lines: int, digest: str) -> Any:
        return {"new_lines": lines, "new_hash": digest} if self.named else (lines, digest)

    def values(self, line: ConsultationEntry) -> list[Any]:
        """The insert's values of ``line``, in ``_LINE_COLUMNS`` order, converted."""
        values = list(self.values_of(line))
        for position, convert in self.converters:
            if values[position] is not None:
                values[position] = convert(values[position])
        return values

    def after_head(self, count: int) -> str:
        """PostgreSQL: one statement that moves the head from the hash it was read with
        (third placeholder) to the new line count and hash (first two) and inserts ``count``
        lines after it; or, if another writer moved the head meanwhile, does nothing (0 rows).
        The head's row lock is taken before the lines are numbered, and released at the
        statement's commit: no lock outlives a round trip."""
        sql = self._after_head.get(count)
        if sql is None:
            quote = self._dialect.identifier_preparer.quote
            columns = ", ".join(quote(name) for name in _LINE_COLUMNS)
            kinds = [
                t.consultation_log.c[name].type.compile(dialect=self._dialect)
                for name in _LINE_COLUMNS
            ]
            typed = ", ".join(f"CAST(%s AS {kind})" for kind in kinds)
            plain = ", ".join("%s" for _ in kinds)
            rows = ", ".join(f"({n}, {typed if n == 0 else plain})" for n in range(count))
            # ordered by the chain: the positions follow the hashes' order
            sql = self._after_head[count] = (
                f"WITH moved AS (UPDATE {consultation_log_head.name} SET lines = %s, hash = %s"  # noqa: S608 - names and placeholders
                " WHERE id = 1 AND hash = %s RETURNING id) "
                f"INSERT INTO {t.consultation_log.name} ({columns})"
                f" SELECT {', '.join('v.' + quote(name) for name in _LINE_COLUMNS)}"
                f" FROM (VALUES {rows}) AS v (chain_order, {columns}) CROSS JOIN moved"
                " ORDER BY v.chain_order"
            )
        return sql


_STATEMENTS: dict[str, _LineStatements] = {}


def write_consultation_lines(conn: Connection, entries: Sequence[ConsultationEntry]) -> None:
    """Chain ``entries`` after the log's head and insert them, in ``conn``'s transaction (see
    ``write_lines_on_driver``)."""
    if not entries:
        return
    if not conn.in_transaction():
        conn.begin()
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        write_lines_on_driver(cursor, conn.dialect, entries)
    finally:
        cursor.close()


def write_lines_on_driver(cursor: Any, dialect: Any, entries: Sequence[ConsultationEntry]) -> None:
    """Chain ``entries`` after the log's head and insert them with the driver's ``cursor``, in
    its open transaction: the head read (locked on PostgreSQL; SQLite has one writer), one
    multi-row insert, the head moved. SQLAlchemy's execution costs more than the statements."""
    statements = line_statements(dialect)
    cursor.execute(statements.read_head)
    head = cursor.fetchone()
    if head is None:  # the log's first lines: its head is created
        cursor.execute(statements.new_head, ())
        count, previous = 0, GENESIS_HASH
    else:
        count, previous = int(head[0]), str(head[1])
    lines = chained(entries, previous)
    cursor.executemany(statements.insert, [statements.row(line) for line in lines])
    cursor.execute(statements.move_head, statements.head(count + len(lines), lines[-1].hash))


#: PostgreSQL: statements of ``write_lines_after`` whose head another writer had moved, in a
#: row, before it gives up (each reads the head again: only a steady stream of other writers'
#: commits in between makes it fail).
HEAD_ATTEMPTS = 50
#: Lines inserted by one statement at most (14 placeholders each; PostgreSQL takes 65,535).
LINES_PER_STATEMENT = 1_000


#: A statement of ``lines_after``, to run, and what its cursor gave back: the row count, and
#: the first row if it returns rows.
Statement = tuple[str, Sequence[Any]]
Outcome = tuple[int, Any]


def write_lines_after(
    cursor: Any, dialect: Any, entries: Sequence[ConsultationEntry], head: tuple[int, str] | None
) -> tuple[int, str]:
    """``lines_after`` run on a blocking autocommit ``cursor``; returns the head it left."""
    steps = lines_after(dialect, entries, head)
    try:
        sql, params = next(steps)
        while True:
            cursor.execute(sql, params)
            row = cursor.fetchone() if cursor.description is not None else None
            sql, params = steps.send((cursor.rowcount, row))
    except StopIteration as done:
        return cast(tuple[int, str], done.value)


def lines_after(
    dialect: Any, entries: Sequence[ConsultationEntry], head: tuple[int, str] | None
) -> Generator[Statement, Outcome, tuple[int, str]]:
    """PostgreSQL: the statements that chain ``entries`` after the log's head and commit them,
    each on an autocommit connection (its own transaction, one round trip), one for each
    ``LINES_PER_STATEMENT`` lines. ``head``: the head (line count, hash) as this writer last
    left it, or None to read it. A statement that finds the head moved by another writer (a use
    case's transaction, another process) inserts nothing; the head is read again and the lines
    chained after it. No lock outlives a statement, so a caller on an event loop may run them
    with the loop turning in between. Returns the head after the last line."""
    statements = line_statements(dialect)
    for start in range(0, len(entries), LINES_PER_STATEMENT):
        part = entries[start : start + LINES_PER_STATEMENT]
        for _attempt in range(HEAD_ATTEMPTS):
            if head is None:
                head = yield from _peek_head(statements)
            count, previous = head
            lines = chained(part, previous)
            moved = (count + len(lines), lines[-1].hash)
            params: list[Any] = [moved[0], moved[1], previous]
            for line in lines:
                params += statements.values(line)
            inserted, _ = yield statements.after_head(len(lines)), params
            if inserted == len(lines):
                head = moved
                break
            head = None
        else:
            raise RuntimeError(
                f"the consultation log's head moved under {HEAD_ATTEMPTS} writes in a row"
            )
    if head is None:
        head = yield from _peek_head(statements)
    return head


def _peek_head(statements: _LineStatements) -> Generator[Statement, Outcome, tuple[int, str]]:
    _, row = yield statements.peek_head, ()
    if row is None:  # the log's first lines: its head is created (once, whoever is first)
        yield statements.new_head + " ON CONFLICT DO NOTHING", ()
        _, row = yield statements.peek_head, ()
    return int(row[0]), str(row[1])


def line_statements(dialect: Any) -> _LineStatements:
    """The consultation log's statements for ``dialect`` (compiled once per process)."""
    statements = _STATEMENTS.get(dialect.name)
    if statements is None:
        statements = _STATEMENTS[dialect.name] = _LineStatements(dialect)
    return statements


def _consultation_entry(row: Row[Any]) -> ConsultationEntry:
    return ConsultationEntry(
        at=row.at,
        caller=row.caller,
        action=row.action,
        flow=row.flow,
        niss=row.niss,
        rule_id=row.rule_id,
        allowed=row.allowed,
        reason_code=row.reason_code,
        status_code=row.status_code,
        detail=row.detail,
        position=row.position,
        object_id=row.object_id,
        http_status=row.http_status,
        prev_hash=row.prev_hash or "",
        hash=row.hash or "",
    )
