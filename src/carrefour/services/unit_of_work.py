"""The ports the use cases depend on: the unit of work, its repositories and the clock.

Adapters implement them (``carrefour.adapters.db``); only ``carrefour.bootstrap`` chooses which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from carrefour.domain.careers import Career
from carrefour.domain.catalogue import Catalogue, Institution
from carrefour.domain.console import ConsoleSession, ConsoleUser
from carrefour.domain.directory import IntegrationLine, NewLine
from carrefour.domain.evidence import MailboxState, SignedCheckpoint, StatusEntry
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
    expires_at: datetime | None = None


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
    #: The object the request named by id (document, batch, case, line, message, affiliation).
    object_id: str | None = None
    #: The HTTP status the hub answered, when the line is an API request's.
    http_status: int | None = None
    #: The hash of the line before it in the log, and this line's own (set when it is written).
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, slots=True)
class LineHistory:
    """A directory line with its history: how it was last changed, and whether it was cancelled."""

    line: IntegrationLine
    change: str
    created_at: datetime
    changed_at: datetime
    cancelled_at: datetime | None


#: A message as publishing writes it, one tuple per message (the bulk path builds no object per
#: row): niss, id, flow, sender, event_date, period, payload as canonical JSON text, in_reply_to.
MessageRow = tuple[str, str, str, str, date | None, str | None, str, str | None]
#: A message's first delivery to one recipient: recipient, message_id, niss, flow, sender,
#: rule_id, granted fields (sorted), status.
DeliveryRow = tuple[str, str, str, str, str, str, tuple[str, ...], str]
#: A tracking entry not yet chained: message_id, flow, emitter, recipient, niss, event_date,
#: rule_id, status, holder, payload_digest.
EntryRow = tuple[str, str, str, str, str, date | None, str | None, str, str, str]
#: A message staged to be routed by the directory: its position in the chunk, NISS, id, the two
#: days its recipients are looked up on (the second only when the first finds none), event
#: date, period, payload (JSON text), the message it answers.
StagedMessage = tuple[int, str, str, date, date, date | None, str | None, str, str | None]
#: A kind of directory line: institution, capacity, phase.
LineKind = tuple[str, str, int]
#: A kind of line whose holder may receive the flow: institution, capacity, phase, rule id,
#: granted fields (sorted).
Grant = tuple[str, str, int, str, tuple[str, ...]]
#: A recipient of a staged message: its position in the chunk, institution, rule id.
Pick = tuple[int, str, str]


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
    next_record: int = 0  # records before it are routed or reported (committed per chunk)
    lease_owner: str | None = None  # the worker processing it, until ``lease_until``
    lease_until: datetime | None = None


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

    def lines_held(self, institution: str, nisses: Sequence[str]) -> list[IntegrationLine]:
        """The lines in force of ``institution`` for each of ``nisses`` (valid NISS)."""
        ...

    def persons_of(
        self, institution_id: str, *, at: date | None, after: str | None, limit: int
    ) -> list[IntegrationLine]: ...

    def get(self, niss: str, line_id: str) -> IntegrationLine | None: ...

    def add(self, line: IntegrationLine, at: datetime) -> None: ...

    def add_many(self, lines: Sequence[IntegrationLine], at: datetime) -> None:
        """``add`` for many lines at once (one statement)."""
        ...

    def add_new(self, institution: str, lines: Sequence[NewLine], at: datetime) -> None:
        """``add`` for many new lines of one institution, each ``(niss, id, shape)``."""
        ...

    def set_end(self, niss: str, line_id: str, end: date, at: datetime, change: str) -> None: ...


class ReplacementRepository(Protocol):
    def replacement_of(self, niss: str) -> str | None: ...

    def replacements_of(self, nisses: Sequence[str]) -> dict[str, str]:
        """``{old: new}`` for those of ``nisses`` that were replaced."""
        ...

    def record(self, old_niss: str, new_niss: str, by: str, at: datetime) -> None: ...


class ConsultationLog(Protocol):
    """Append-only and chained. ``append`` keeps the line until the unit of work ends: it is
    written with the use case's commit, or, when the use case commits nothing more (refused,
    failed, rolled back), in a transaction of its own before the unit of work closes."""

    def append(self, entry: ConsultationEntry) -> None: ...

    def select(
        self,
        *,
        niss: str | None = None,
        caller: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[ConsultationEntry]:
        """Newest first; ``before`` a position: the lines older than it."""
        ...

    def chain(self) -> Iterator[ConsultationEntry]:
        """Every line, oldest first (to verify the chain)."""
        ...

    def head(self) -> tuple[int, str]:
        """How many lines were chained, and the last one's hash."""
        ...

    def niss_of(self, object_id: str) -> str | None:
        """The NISS the object with this id (document, case, affiliation, message, directory
        line) concerns, when the hub knows one."""
        ...


class MessageRepository(Protocol):
    def add(self, message: Message) -> None: ...

    def add_many(
        self, messages: Sequence[Message], *, payload_texts: Sequence[str] | None = None
    ) -> None:
        """Store ``messages``; ``payload_texts``: their payloads already as JSON text (the
        canonical form the tracking digest covers), so they are not encoded twice."""
        ...

    def write(self, rows: Sequence[MessageRow], *, at: datetime) -> None:
        """Store the messages ``rows`` describe, all created ``at`` (one bulk write)."""
        ...

    def get(self, message_id: str) -> Message | None: ...

    def of_niss(self, niss: str) -> list[Message]: ...

    def payloads(self, message_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The stored payload of each of ``message_ids`` that exists."""
        ...

    def unregistered_senders(self) -> dict[str, int]:
        """Each sender that is no registered institution, and how many messages name it (no
        foreign key refuses one: migration 0020)."""
        ...


class MailboxRepository(Protocol):
    def add_many(self, rows: Sequence[MailboxRow]) -> None: ...

    def deliver(self, rows: Sequence[DeliveryRow], *, at: datetime) -> None:
        """Queue the first deliveries ``rows`` describe, made and due ``at`` (one bulk write)."""
        ...

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

    def unregistered_recipients(self) -> dict[str, int]:
        """Each recipient that is no registered institution, and how many mailbox rows name it
        (no foreign key refuses one: migration 0020)."""
        ...


class RoutingStage(Protocol):
    """Set-based routing of a chunk by the person directory, in the database (a chunk of a
    batch, or one message): ``stage``, then ``pick``, then ``publish``."""

    def stage(self, rows: Sequence[StagedMessage]) -> list[LineKind]:
        """Stage ``rows`` (in place of any staged before); the distinct kinds of the directory
        lines in force (not cancelled) for their persons on either of their days."""
        ...

    def pick(self, grants: Sequence[Grant]) -> tuple[list[Pick], set[int]]:
        """The recipients of each staged message, in (position, institution) order: on its first
        day, or on its second when the first finds none, every institution with one line in
        force whose kind is in ``grants``. And the positions of the messages for which an
        institution has several lines in force on a day looked at: nothing is picked for them
        (``domain.routing.recipients`` decides them)."""
        ...

    def publish(self, *, flow: str, sender: str, status: str, at: datetime) -> None:
        """Write the message of every staged message with a recipient and its mailbox row to
        each of them, all made ``at``, in (position, institution) order."""
        ...


class TrackingLog(Protocol):
    """Append-only: ``append`` and reads, nothing else."""

    def append(self, entries: Sequence[TrackingEntry]) -> list[TrackingEntry]: ...

    def append_rows(
        self,
        rows: Sequence[EntryRow],
        *,
        at: datetime,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """``append`` for entries sent ``at``, given as rows: chained in order, one bulk write.
        ``meanwhile``: the transaction's statements that come before them (the messages and
        mailbox rows they track), run while their digests are computed beside."""
        ...

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
        holder: str | None = None,
    ) -> list[TrackingEntry]:
        """Entries by position (``newest_first``: from the end); ``before``: positions below."""
        ...

    def emitters(self) -> list[str]:
        """The holders of a chain (``domain.messages.tracking_holder``)."""
        ...

    def head(self, emitter: str) -> tuple[int, str] | None:
        """The head (position, hash) of holder ``emitter``'s chain."""
        ...

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

    def store_content(self, batch_id: str, content: bytes | Iterable[bytes] | None) -> None:
        """Keep the file of a batch until it is done (whole, or in pieces, each kept as it is
        given: one row each), or, with ``None``, drop it."""
        ...

    def content(self, batch_id: str) -> bytes | None:
        """A batch's whole file (its pieces joined), if it is kept."""
        ...

    def content_pieces(self, batch_id: str) -> int:
        """How many pieces of a batch's file are kept (0: none)."""
        ...

    def piece(self, batch_id: str, number: int) -> bytes | None:
        """Piece ``number`` (from 0) of a batch's file."""
        ...

    def claim(
        self, *, owner: str, now: datetime, until: datetime, batch_id: str | None = None
    ) -> Batch | None:
        """The oldest batch ``received`` or ``processing`` under an expired lease (or batch
        ``batch_id``, if so), now ``processing`` leased to ``owner`` until ``until``; on
        PostgreSQL skipping the rows another worker holds."""
        ...

    def hold(self, batch_id: str, *, owner: str, until: datetime) -> Batch | None:
        """Renew ``owner``'s lease on a ``processing`` batch, locking its row for this
        transaction; ``None`` when the batch is no longer ``owner``'s (cancelled, or taken over
        after the lease expired)."""
        ...

    def add_errors(self, batch_id: str, errors: Sequence[tuple[int, str, str]]) -> None: ...

    def errors(self, batch_id: str, *, limit: int) -> list[tuple[int, str, str]]: ...

    def of_sender(self, sender: str | None, *, limit: int) -> list[Batch]:
        """The newest batches of ``sender`` (``None``: of every sender), newest first."""
        ...


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


class ConsoleRepository(Protocol):
    """The console's users and sessions, and the recipients whose push delivery is paused."""

    def add_user(self, user: ConsoleUser) -> None: ...
    def user(self, name: str) -> ConsoleUser | None: ...
    def users(self) -> list[ConsoleUser]: ...
    def update_user(self, name: str, **values: Any) -> None: ...
    def add_session(self, session: ConsoleSession) -> None: ...
    def session(self, id_hash: str) -> ConsoleSession | None: ...
    def set_session_language(self, id_hash: str, language: str) -> None: ...
    def revoke_session(self, id_hash: str, at: datetime) -> None: ...
    def revoke_sessions_of(self, user: str, at: datetime) -> int: ...
    def pause(self, institution: str, by: str, at: datetime) -> bool: ...
    def resume(self, institution: str) -> bool: ...
    def paused_at(self, institution: str) -> datetime | None: ...
    def paused(self) -> dict[str, datetime]: ...


# --- evidence: the status chain, chained checkpoints and their file -------------------------


class StatusLog(Protocol):
    """The status chain (every change of a mailbox row) and the chained checkpoints."""

    def append(self, entries: Sequence[StatusEntry]) -> list[StatusEntry]:
        """Chain ``entries`` after each holder's head (locked until commit) and store them."""
        ...

    def select(self, *, holder: str | None = None, niss: str | None = None) -> list[StatusEntry]:
        """Oldest first."""
        ...

    def heads(self) -> dict[str, tuple[int, str]]: ...

    def mailbox_states(self) -> list[MailboxState]:
        """Every mailbox row's state, in mailbox order."""
        ...

    def mailbox_state(self, position: int) -> MailboxState | None: ...

    def failed(self, recipient: str, *, message_id: str | None) -> list[MailboxState]:
        """``recipient``'s dead letters (one message's, when given), locked until commit."""
        ...

    def add_checkpoint(self, checkpoint: SignedCheckpoint) -> int:
        """Store ``checkpoint``; returns its number (the position it got)."""
        ...

    def checkpoints(self, *, lock: bool = False) -> list[SignedCheckpoint]:
        """Oldest first; ``lock``: no other checkpoint is added until commit."""
        ...

    def clear_payloads(self, before: datetime, *, limit: int) -> int:
        """Empty the payload of up to ``limit`` messages created before ``before`` (not already
        emptied); how many."""
        ...


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """A client certificate (mutual TLS) and the institution it stands for."""

    fingerprint: str
    """SHA-256 of the DER certificate, lowercase hex."""
    institution_id: str
    subject: str
    not_after: datetime
    created_at: datetime
    revoked_at: datetime | None = None


class CertificateRepository(Protocol):
    def add(self, certificate: ClientCertificate) -> None:
        """Register ``certificate``, replacing an earlier registration of the same one."""
        ...

    def get(self, fingerprint: str) -> ClientCertificate | None: ...


class Heartbeats(Protocol):
    """When each background worker last finished a round."""

    def beat(self, worker: str, at: datetime) -> None: ...

    def newest(self) -> datetime | None: ...


class CheckpointJournal(Protocol):
    """The checkpoints, appended to a file outside the database."""

    @property
    def location(self) -> str: ...

    def append(self, checkpoint: SignedCheckpoint) -> None: ...

    def read(self) -> list[SignedCheckpoint]:
        """Every checkpoint of the file, in order; ``ValueError`` naming an unreadable line."""
        ...


# --- INAMI cell case work and L410 requests through the network --------------------------------


@dataclass(frozen=True, slots=True)
class CaseDocument:
    """A document of an INAMI case; its bytes are the ``Document`` of the same id."""

    id: str
    niss: str
    case_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class Intervention:
    """The cell's request to an emitter about a case, and the emitter's answer."""

    id: str
    niss: str
    case_id: str
    emitter: str
    action: str
    begin: date
    end: date
    voucher_message_id: str | None
    note: str
    status: str
    request_message_id: str
    created_at: datetime
    answer: str | None = None
    sent_message_id: str | None = None
    answer_reason: str | None = None
    answer_message_id: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseClosure:
    niss: str
    case_id: str
    outcome: str
    note: str
    closed_by: str
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class InsurabilityRequest:
    """An L410 consultation forwarded to the person's CAS, and the CAS's answer."""

    id: str
    niss: str
    quarter: str
    mutuality: str
    cas: str
    state: str
    request_message_id: str
    created_at: datetime
    answer: Mapping[str, Any] | None = None
    answer_message_id: str | None = None
    answered_at: datetime | None = None
    last_error: str | None = None


class CaseWorkRepository(Protocol):
    def add_document(self, document: CaseDocument) -> None: ...

    def documents(self, niss: str, case_id: str) -> list[CaseDocument]: ...

    def add_intervention(self, intervention: Intervention) -> None: ...

    def update_intervention(self, intervention: Intervention) -> None: ...

    def intervention(self, intervention_id: str) -> Intervention | None: ...

    def interventions(self, niss: str, case_id: str) -> list[Intervention]: ...

    def close(self, closure: CaseClosure) -> None: ...

    def closure(self, niss: str, case_id: str) -> CaseClosure | None: ...


class InsurabilityRequestRepository(Protocol):
    def add(self, request: InsurabilityRequest) -> None: ...

    def update(self, request: InsurabilityRequest) -> None: ...

    def get(self, request_id: str) -> InsurabilityRequest | None: ...


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
    def routing(self) -> RoutingStage: ...

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
    def console(self) -> ConsoleRepository: ...
    @property
    def evidence(self) -> StatusLog: ...

    @property
    def heartbeats(self) -> Heartbeats: ...

    @property
    def certificates(self) -> CertificateRepository: ...
    # INAMI cell case work and L410 requests through the network
    @property
    def case_work(self) -> CaseWorkRepository: ...

    @property
    def insurability_requests(self) -> InsurabilityRequestRepository: ...

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
