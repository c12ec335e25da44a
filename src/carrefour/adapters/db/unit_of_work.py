"""The SQL unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from carrefour.adapters.db.careers import SqlCareerRepository
from carrefour.adapters.db.case_work import (
    SqlCaseWorkRepository,
    SqlInsurabilityRequestRepository,
)
from carrefour.adapters.db.console import SqlConsoleRepository
from carrefour.adapters.db.engine import (
    BUSY_TIMEOUT_MS,
    READ_ONLY_OPTION,
    TURNS_OPTION,
    lock_held,
    writer_turns,
)
from carrefour.adapters.db.evidence import SqlCertificateRepository, SqlHeartbeats, SqlStatusLog
from carrefour.adapters.db.gateway import SqlGatewayRepository
from carrefour.adapters.db.messaging import (
    SqlMailboxRepository,
    SqlMessageRepository,
    SqlTrackingLog,
)
from carrefour.adapters.db.repositories import (
    SqlCatalogueStore,
    SqlConsultationLog,
    SqlCredentialRepository,
    SqlDirectoryRepository,
    SqlReplacementRepository,
)
from carrefour.adapters.db.routing import SqlRoutingStage
from carrefour.adapters.db.vouchers import (
    SqlBatchRepository,
    SqlDocumentStore,
    SqlInamiRepository,
    SqlInsurabilityRepository,
)
from carrefour.adapters.db.wal import auto_checkpoints, checkpoints_of
from carrefour.domain.catalogue import Catalogue
from carrefour.services.consultations import defer_lines, note_error
from carrefour.services.unit_of_work import Clock


class SqlUnitOfWork:
    """One connection; its transaction begins at the first statement (not at ``with``).

    ``read_only=True`` is for work that only reads (authentication, health, counts): on SQLite
    its transaction begins DEFERRED and holds no write lock; elsewhere it is an ordinary one.
    A write in it is not refused, but may fail with "database is locked" if another writer
    committed since its first read: open a read-only unit of work only to read.

    ``bulk=True`` is for a transaction that writes many rows (a batch's chunk): on SQLite its
    commit does not checkpoint the write-ahead log, a thread does it beside the next chunk
    (``wal.WalCheckpoints``); elsewhere it is an ordinary one.
    """

    def __init__(
        self,
        engine: Engine,
        catalogue: Catalogue,
        clock: Clock,
        *,
        read_only: bool = False,
        bulk: bool = False,
    ) -> None:
        self._engine = engine
        self.catalogue = catalogue
        self.clock = clock
        self.read_only = read_only
        sqlite = engine.dialect.name == "sqlite"
        self._checkpoints = checkpoints_of(engine) if bulk and sqlite else None
        self._turns = None if read_only else writer_turns(engine)
        self._conn: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def __enter__(self) -> Self:
        conn = self._engine.connect()
        if self.read_only:
            conn.execution_options(**{READ_ONLY_OPTION: True})
        elif self._turns is not None:
            conn.execution_options(**{TURNS_OPTION: self._turns})
        if self._checkpoints is not None:
            auto_checkpoints(conn.connection.dbapi_connection, on=False)
            self._checkpoints.before_write()
        self._conn = conn
        self.catalogue_store = SqlCatalogueStore(conn)
        self.credentials = SqlCredentialRepository(conn)
        self.directory = SqlDirectoryRepository(conn)
        self.replacements = SqlReplacementRepository(conn)
        self.consultations = SqlConsultationLog(conn)
        self.messages = SqlMessageRepository(conn)
        self.mailbox = SqlMailboxRepository(conn)
        self.tracking = SqlTrackingLog(conn)
        self.routing = SqlRoutingStage(conn)
        self.careers = SqlCareerRepository(conn)
        self.documents = SqlDocumentStore(conn)
        self.batches = SqlBatchRepository(conn)
        self.insurability = SqlInsurabilityRepository(conn)
        self.inami = SqlInamiRepository(conn)
        self.console = SqlConsoleRepository(conn)
        self.evidence = SqlStatusLog(conn)
        self.heartbeats = SqlHeartbeats(conn)
        self.certificates = SqlCertificateRepository(conn)
        # INAMI cell case work and L410 requests through the network
        self.case_work = SqlCaseWorkRepository(conn)
        self.insurability_requests = SqlInsurabilityRequestRepository(conn)
        self.gateway = SqlGatewayRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.connection
        note_error(exc)
        try:
            if conn.in_transaction():
                conn.rollback()
            if self._deferred(ending=True):
                pass
            elif self.consultations.pending:
                # The use case committed nothing more: its lines are written on their own.
                with conn.begin():
                    self.consultations.write(conn)
                self.consultations.pending = []
        finally:
            self._give_back_turn()
            if self._checkpoints is not None and not conn.invalidated:
                auto_checkpoints(conn.connection.dbapi_connection, on=True)
            conn.close()
            self._conn = None

    def try_begin(self) -> bool:
        """SQLite: begin the write transaction now if the write lock is free, without waiting
        for it (False: another writer holds it, nothing began); for a caller on an event loop,
        which tries again later instead of waiting. Elsewhere True: the transaction begins at
        the first statement, as always."""
        conn = self.connection
        if self._turns is None or conn.in_transaction():
            return True
        if not self._turns.try_take(conn):
            return False
        driver: Any = conn.connection.dbapi_connection
        driver.execute("PRAGMA busy_timeout=0")
        try:
            conn.begin()
        except OperationalError as error:
            if error.orig is None or not lock_held(error.orig):
                raise
            return False
        finally:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not conn.in_transaction():
                self._turns.give_back(conn)
        return True

    def _give_back_turn(self) -> None:
        """SQLite: end this unit of work's turn to write (its transaction ended)."""
        if self._turns is not None and self._conn is not None:
            self._turns.give_back(self._conn)

    def _deferred(self, *, ending: bool = False) -> bool:
        """Whether the unit of work handed its lines to the API request it serves, which
        commits them before it answers (grouped with other requests' lines): a read-only one's
        lines, and those of one ``ending`` with nothing more committed (a refusal), which would
        otherwise take the write lock for them alone."""
        pending = self.consultations.pending
        if (self.read_only or ending) and pending and defer_lines(pending):
            self.consultations.pending = []
            return True
        return False

    def commit(self) -> None:
        """Commit the use case's work with the consultation lines it appended."""
        if self._deferred():
            self.connection.rollback()  # it only read: end its read transaction
            return
        self.consultations.write(self.connection)
        self.connection.commit()
        self._give_back_turn()
        self.consultations.pending = []
        if self._checkpoints is not None:
            self._checkpoints.committed()

    def rollback(self) -> None:
        self.connection.rollback()
        self._give_back_turn()
