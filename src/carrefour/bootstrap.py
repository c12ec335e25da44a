"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from carrefour.adapters.db.engine import make_engine
from carrefour.adapters.db.migrate import schema_revision, upgrade_schema
from carrefour.adapters.db.unit_of_work import SqlUnitOfWork
from carrefour.adapters.documents.renderer import PdfRenderer
from carrefour.adapters.formats.parser import FormatsBatchParser
from carrefour.adapters.signing import Ed25519FileSigner
from carrefour.adapters.xml.ssdn import LxmlSsdnCodec
from carrefour.config import Settings, load_settings
from carrefour.domain.catalogue import Catalogue
from carrefour.domain.errors import SchemaNotReady
from carrefour.services.batches import BatchParser
from carrefour.services.gateway import SsdnCodec
from carrefour.services.unit_of_work import Clock, DocumentRenderer, Signer


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


@dataclass
class Hub:
    """Everything a process needs: settings, the engine, the clock and the loaded catalogue."""

    settings: Settings
    engine: Engine
    clock: Clock
    renderer: DocumentRenderer = field(default_factory=PdfRenderer)
    batch_parser: BatchParser = field(default_factory=FormatsBatchParser)
    ssdn_codec: SsdnCodec = field(default_factory=LxmlSsdnCodec)
    signer: Signer = field(init=False)
    catalogue: Catalogue = field(init=False)

    def __post_init__(self) -> None:
        self.signer = Ed25519FileSigner(self.settings.signing_key)
        self.reload_catalogue()

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.catalogue, self.clock)

    def reload_catalogue(self) -> Catalogue:
        """Read the catalogue the database holds (after ``db upgrade`` refreshed it)."""
        from carrefour.adapters.db.repositories import SqlCatalogueStore

        current, head = schema_revision(self.engine)
        if current != head:
            state = "has no schema" if current is None else f"is at revision {current}"
            raise SchemaNotReady(
                f"the database {self.engine.url.render_as_string(hide_password=True)} {state}; "
                f"this version needs revision {head}: run `carrefour db upgrade`",
                current=current,
                needed=head,
            )
        with self.engine.connect() as conn:
            self.catalogue = SqlCatalogueStore(conn).load()
        return self.catalogue

    def dispose(self) -> None:
        self.engine.dispose()


def upgrade_database(
    settings: Settings, clock: Clock | None = None, *, catalogue: Path | None = None
) -> dict[str, int]:
    """Create or migrate the schema, then load or refresh the catalogue (idempotent): the
    packaged one, or an operator's own ``catalogue`` file (real numbers instead of placeholders).
    """
    from carrefour.adapters.catalogue_file import load_catalogue_data
    from carrefour.adapters.db.repositories import SqlCatalogueStore

    engine = make_engine(settings.database_url)
    try:
        upgrade_schema(engine)
        with engine.begin() as conn:
            at = (clock or SystemClock()).now()
            return SqlCatalogueStore(conn).refresh(load_catalogue_data(catalogue), at)
    finally:
        engine.dispose()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Hub:
    """A hub on an upgraded database."""
    settings = settings or load_settings()
    return Hub(
        settings=settings, engine=make_engine(settings.database_url), clock=clock or SystemClock()
    )
