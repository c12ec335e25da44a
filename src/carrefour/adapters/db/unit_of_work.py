"""The SQL unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from carrefour.adapters.db.careers import SqlCareerRepository
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
from carrefour.adapters.db.vouchers import (
    SqlBatchRepository,
    SqlDocumentStore,
    SqlInamiRepository,
    SqlInsurabilityRepository,
)
from carrefour.domain.catalogue import Catalogue
from carrefour.services.unit_of_work import Clock


class SqlUnitOfWork:
    def __init__(self, engine: Engine, catalogue: Catalogue, clock: Clock) -> None:
        self._engine = engine
        self.catalogue = catalogue
        self.clock = clock
        self._conn: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def __enter__(self) -> Self:
        conn = self._engine.connect()
        conn.begin()
        self._conn = conn
        self.catalogue_store = SqlCatalogueStore(conn)
        self.credentials = SqlCredentialRepository(conn)
        self.directory = SqlDirectoryRepository(conn)
        self.replacements = SqlReplacementRepository(conn)
        self.consultations = SqlConsultationLog(conn)
        self.messages = SqlMessageRepository(conn)
        self.mailbox = SqlMailboxRepository(conn)
        self.tracking = SqlTrackingLog(conn)
        self.careers = SqlCareerRepository(conn)
        self.documents = SqlDocumentStore(conn)
        self.batches = SqlBatchRepository(conn)
        self.insurability = SqlInsurabilityRepository(conn)
        self.inami = SqlInamiRepository(conn)
        self.gateway = SqlGatewayRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.connection
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
            self._conn = None

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()
