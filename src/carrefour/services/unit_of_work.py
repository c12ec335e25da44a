"""The ports the use cases depend on: the unit of work, its repositories and the clock.

Adapters implement them (``carrefour.adapters.db``); only ``carrefour.bootstrap`` chooses which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from carrefour.domain.careers import Career
from carrefour.domain.catalogue import Catalogue, Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.messages import Message, TrackingEntry

if TYPE_CHECKING:
    from carrefour.services.gateway import GatewayRepository


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def today(self) -> date: ...


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    id: str
    institution_id: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ConsultationEntry:
    """One line of the consultation log: who asked what about whom, and what the hub answered."""

    at: datetime
    caller: str
    action: str
    flow: str
    niss: str | None
    rule_id: str | None
    allowed: bool
    reason_code: str | None
    status_code: str
    detail: str
    position: int | None = None


@dataclass(frozen=True, slots=True)
class LineHistory:
    """A directory line with its history: how it was last changed, and whether it was cancelled."""

    line: IntegrationLine
    change: str
    created_at: datetime
    changed_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class MailboxRow:
    """A message in one recipient's mailbox, with its delivery state for that recipient."""

    recipient: str
    message_id: str
    niss: str
    flow: str
    sender: str
    rule_id: str
    fields: tuple[str, ...]
    status: str
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    ack_result: str | None = None
    ack_reason: str | None = None
    replay: int = 0
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A PDF the hub produced (paper voucher, provisional proof) and who may fetch it."""

    id: str
    niss: str
    kind: str
    readers: tuple[str, ...]
    message_id: str | None
    media_type: str
    content: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    sender: str
    content_hash: str
    idempotency_key: str | None
    format: str | None
    status: str
    created_at: datetime
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    routed: int = 0
    paper: int = 0
    error_code: str | None = None
    error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InsurabilityRecord:
    """Form L410 data: what a CAS says of one affiliate's quarter."""

    niss: str
    quarter: str
    cas: str
    contributor_category: str
    contributions: str
    closed: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InamiCase:
    id: str
    niss: str
    mutuality: str
    begin: date
    end: date
    reason: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProvisionalProof:
    id: str
    niss: str
    case_id: str
    mutuality: str
    begin: date
    end: date
    valid_until: date
    status: str
    document_id: str
    message_id: str
    issued_at: datetime
    ended_at: datetime | None = None
    ended_by: str | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Every chain's head (position, hash) at ``at``, signed with the hub's key."""

    at: datetime
    heads: Mapping[str, tuple[int, str]]
    signature: str
    public_key: str
    position: int | None = None


class Signer(Protocol):
    """Signs checkpoints with a key kept outside the database."""

    @property
    def available(self) -> bool: ...

    def public_key(self) -> str: ...

    def sign(self, document: bytes) -> tuple[str, str]:
        """(signature, public key), hex."""
        ...

    def verify(self, document: bytes, signature: str) -> bool: ...


class CatalogueStore(Protocol):
    def load(self) -> Catalogue: ...

    def refresh(self, data: Mapping[str, Any], at: datetime) -> dict[str, int]:
        """Replace the stored catalogue by ``data``; returns counts per section."""
        ...

    def push_endpoint(self, institution_id: str) -> str | None: ...

    def set_push_endpoint(self, institution_id: str, url: str | None) -> None: ...


class CredentialRepository(Protocol):
    def add(self, record: CredentialRecord) -> None: ...

    def get(self, credential_id: str) -> CredentialRecord | None: ...

    def revoke_all(self, institution_id: str, at: datetime) -> int: ...


class DirectoryRepository(Protocol):
    def lines_of(self, niss: str) -> list[IntegrationLine]:
        """The lines in force (ended ones included, cancelled ones not)."""
        ...

    def history_of(self, niss: str) -> list[LineHistory]: ...

    def cancel(self, niss: str, line_id: str, at: datetime, change: str) -> None: ...

    def lines_of_many(self, nisses: Sequence[str]) -> list[IntegrationLine]: ...

    def persons_of(
        self, institution_id: str, *, at: date | None, after: str | None, limit: int
    ) -> list[IntegrationLine]: ...

    def get(self, niss: str, line_id: str) -> IntegrationLine | None: ...

    def add(self, line: IntegrationLine, at: datetime) -> None: ...

    def set_end(self, niss: str, line_id: str, end: date, at: datetime, change: str) -> None: ...


class ReplacementRepository(Protocol):
    def replacement_of(self, niss: str) -> str | None: ...

    def replacements_of(self, nisses: Sequence[str]) -> dict[str, str]:
        """``{old: new}`` for those of ``nisses`` that were replaced."""
        ...

    def record(self, old_niss: str, new_niss: str, by: str, at: datetime) -> None: ...


class ConsultationLog(Protocol):
    """Append-only: ``append`` and ``select``, nothing else."""

    def append(self, entry: ConsultationEntry) -> None: ...

    def select(
        self, *, niss: str | None = None, caller: str | None = None, limit: int = 100
    ) -> list[ConsultationEntry]: ...


class MessageRepository(Protocol):
    def add(self, message: Message) -> None: ...

    def add_many(self, messages: Sequence[Message]) -> None: ...

    def get(self, message_id: str) -> Message | None: ...

    def of_niss(self, niss: str) -> list[Message]: ...


class MailboxRepository(Protocol):
    def add_many(self, rows: Sequence[MailboxRow]) -> None: ...

    def page(
        self, recipient: str, *, after: int | None, limit: int
    ) -> list[tuple[MailboxRow, Message]]: ...

    def get(self, recipient: str, message_id: str) -> MailboxRow | None: ...

    def of_message(self, message_id: str) -> list[MailboxRow]: ...

    def update(self, row: MailboxRow) -> None: ...

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None: ...

    def due_for_push(self, now: datetime, limit: int) -> list[tuple[MailboxRow, str]]: ...

    def lease(self, position: int, until: datetime) -> None: ...

    def requeue_failed(self, recipient: str, *, message_id: str | None, at: datetime) -> int:
        """Dead letters of ``recipient`` (one message, or all) back in the push queue."""
        ...

    def record_push(
        self,
        position: int,
        *,
        status: str,
        attempts: int,
        next_attempt_at: datetime | None,
        last_error: str | None,
        at: datetime,
    ) -> None: ...

    def counts(self, recipient: str | None = None) -> dict[str, int]: ...

    def newest_with_status(self, status: str, *, limit: int) -> list[MailboxRow]:
        """The newest rows in ``status`` across every mailbox (e.g. the dead letters)."""
        ...


class TrackingLog(Protocol):
    """Append-only: ``append`` and reads, nothing else."""

    def append(self, entries: Sequence[TrackingEntry]) -> list[TrackingEntry]: ...

    def select(
        self,
        *,
        niss: str | None = None,
        emitter: str | None = None,
        flow: str | None = None,
        flows: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int | None = None,
        recipient: str | None = None,
        before: int | None = None,
        newest_first: bool = False,
    ) -> list[TrackingEntry]:
        """Entries by position (``newest_first``: from the end); ``before``: positions below."""
        ...

    def emitters(self) -> list[str]: ...

    def head(self, emitter: str) -> tuple[int, str] | None: ...

    def heads(self) -> dict[str, tuple[int, str]]: ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> int: ...

    def checkpoints(self) -> list[Checkpoint]: ...


class CareerRepository(Protocol):
    def load(self, niss: str) -> Career:
        """The person's career (an empty one when the RGTI holds nothing)."""
        ...

    def niss_of_affiliation(self, affiliation_id: str) -> str | None: ...

    def save(self, career: Career) -> None: ...

    def log_change(
        self, niss: str, *, at: datetime, by: str, action: str, detail: dict[str, Any]
    ) -> None: ...


class DocumentStore(Protocol):
    def add(self, document: Document) -> None: ...

    def get(self, document_id: str) -> Document | None: ...


class BatchRepository(Protocol):
    def add(self, batch: Batch) -> None: ...

    def update(self, batch: Batch) -> None: ...

    def get(self, batch_id: str) -> Batch | None: ...

    def find(
        self, sender: str, *, content_hash: str, idempotency_key: str | None
    ) -> Batch | None: ...

    def store_content(self, batch_id: str, content: bytes | None) -> None:
        """Keep (or, with ``None``, drop) the file of a batch processed in the background."""
        ...

    def content(self, batch_id: str) -> bytes | None: ...

    def claim_received(self) -> Batch | None:
        """The oldest ``received`` batch, now ``processing``; on PostgreSQL skipping the rows
        another worker holds."""
        ...

    def add_errors(self, batch_id: str, errors: Sequence[tuple[int, str, str]]) -> None: ...

    def errors(self, batch_id: str, *, limit: int) -> list[tuple[int, str, str]]: ...


class InsurabilityRepository(Protocol):
    def put(self, record: InsurabilityRecord) -> None: ...

    def of(self, niss: str, *, quarter: str | None = None) -> list[InsurabilityRecord]: ...


class InamiRepository(Protocol):
    def add_case(self, case: InamiCase) -> None: ...

    def update_case(self, case: InamiCase) -> None: ...

    def case(self, case_id: str) -> InamiCase | None: ...

    def cases(self, *, mutuality: str | None, limit: int) -> list[InamiCase]: ...

    def add_proof(self, proof: ProvisionalProof) -> None: ...

    def proofs(self, niss: str, *, case_id: str | None = None) -> list[ProvisionalProof]: ...

    def active_proofs_of(self, nisses: Sequence[str]) -> list[ProvisionalProof]: ...

    def end_proof(
        self, niss: str, proof_id: str, *, status: str, at: datetime, by: str
    ) -> None: ...

    def active_proofs(self, niss: str, *, covering: date) -> list[ProvisionalProof]: ...


class UnitOfWork(Protocol):
    """One transaction. Nothing is kept unless ``commit`` is called before the block ends."""

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def catalogue_store(self) -> CatalogueStore: ...

    @property
    def credentials(self) -> CredentialRepository: ...

    @property
    def directory(self) -> DirectoryRepository: ...

    @property
    def replacements(self) -> ReplacementRepository: ...

    @property
    def consultations(self) -> ConsultationLog: ...

    @property
    def messages(self) -> MessageRepository: ...

    @property
    def mailbox(self) -> MailboxRepository: ...

    @property
    def tracking(self) -> TrackingLog: ...

    @property
    def careers(self) -> CareerRepository: ...

    @property
    def documents(self) -> DocumentStore: ...

    @property
    def batches(self) -> BatchRepository: ...

    @property
    def insurability(self) -> InsurabilityRepository: ...

    @property
    def inami(self) -> InamiRepository: ...

    @property
    def gateway(self) -> GatewayRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class DocumentRenderer(Protocol):
    """Renders the hub's printable documents (PDF)."""

    def paper_voucher(
        self,
        *,
        document_id: str,
        sender: Institution,
        niss_formatted: str,
        kind_fr: str,
        kind_nl: str,
        period_label: str,
        fields: Sequence[tuple[str, str, str]],
        reason_fr: str,
        reason_nl: str,
        message_id: str,
        issued_at: datetime,
    ) -> bytes: ...

    def provisional_proof(
        self,
        *,
        document_id: str,
        niss_formatted: str,
        mutuality: Institution,
        case_id: str,
        valid_from: date,
        valid_until: date,
        reason: str,
        issued_at: datetime,
    ) -> bytes: ...
