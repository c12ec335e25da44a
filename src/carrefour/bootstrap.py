"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from carrefour.adapters.checkpoint_file import CheckpointFile
from carrefour.adapters.db.engine import make_engine
from carrefour.adapters.db.migrate import schema_revision, upgrade_schema
from carrefour.adapters.db.unit_of_work import SqlUnitOfWork
from carrefour.adapters.documents.renderer import PdfRenderer
from carrefour.adapters.formats.parser import FormatsBatchParser
from carrefour.adapters.logs import install_log_masking
from carrefour.adapters.push import HttpPushSender
from carrefour.adapters.signing import Ed25519FileSigner
from carrefour.adapters.xml.ssdn import LxmlSsdnCodec
from carrefour.config import Settings, load_settings
from carrefour.domain.catalogue import Catalogue
from carrefour.domain.errors import SchemaNotReady
from carrefour.domain.evidence import SignatureCheck
from carrefour.services.batches import BatchParser
from carrefour.services.gateway import SsdnCodec
from carrefour.services.insurability import NetworkSender
from carrefour.services.unit_of_work import CheckpointJournal, Clock, DocumentRenderer, Signer


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
    journal: CheckpointJournal = field(init=False)
    catalogue: Catalogue = field(init=False)
    network: NetworkSender = field(init=False)  # L410 requests offered to a CAS's endpoint

    def __post_init__(self) -> None:
        self.signer = Ed25519FileSigner(self.settings.signing_key)
        self.journal = CheckpointFile(self.settings.checkpoint_directory)
        self.network = HttpPushSender(timeout_seconds=self.settings.insurability_timeout_seconds)
        self.reload_catalogue()

    def uow(self, *, read_only: bool = False, bulk: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine, self.catalogue, self.clock, read_only=read_only, bulk=bulk
        )

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

    def schema(self) -> tuple[str | None, str | None]:
        """(the database's schema revision, the newest this code knows)."""
        return schema_revision(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def backup_database(settings: Settings, target: Path) -> None:
    """An online, checked copy of the SQLite database in ``target``."""
    _on_sqlite(settings, "backup", target)


def restore_database(settings: Settings, source: Path) -> None:
    """Put the SQLite backup ``source`` (checked first) in place of the database."""
    _on_sqlite(settings, "restore", source)


def _on_sqlite(settings: Settings, action: str, file: Path) -> None:
    from carrefour.adapters.db import backup

    engine = make_engine(settings.database_url)
    try:
        (backup.backup if action == "backup" else backup.restore)(engine, file)
    finally:
        engine.dispose()


def read_certificate(path: Path) -> tuple[str, str, datetime]:
    """(SHA-256 fingerprint, subject, end of validity) of the certificate file at ``path``."""
    from carrefour.adapters.certificates import read_certificate as read

    found = read(path.read_bytes(), name=str(path))
    return found.fingerprint, found.subject, found.not_after


def signature_check() -> SignatureCheck:
    """How a signature is checked with a public key alone (offline bundles)."""
    from carrefour.adapters.signing import verify_signature

    return verify_signature


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
    install_log_masking()  # no NISS nor credential in any log line of this process
    return Hub(
        settings=settings, engine=make_engine(settings.database_url), clock=clock or SystemClock()
    )
