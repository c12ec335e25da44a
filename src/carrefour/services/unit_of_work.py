"""The ports the use cases depend on: the unit of work, its repositories and the clock.

Adapters implement them (``carrefour.adapters.db``); only ``carrefour.bootstrap`` chooses which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from carrefour.domain.careers import Career
from carrefour.domain.catalogue import Catalogue
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.messages import Message, TrackingEntry


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
    position: int | None = None


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

    def record(self, old_niss: str, new_niss: str, by: str, at: datetime) -> None: ...


class ConsultationLog(Protocol):
    """Append-only: ``append`` and ``select``, nothing else."""

    def append(self, entry: ConsultationEntry) -> None: ...

    def select(
        self, *, niss: str | None = None, caller: str | None = None, limit: int = 100
    ) -> list[ConsultationEntry]: ...


class MessageRepository(Protocol):
    def add(self, message: Message) -> None: ...

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
    ) -> list[TrackingEntry]: ...

    def emitters(self) -> list[str]: ...

    def head(self, emitter: str) -> tuple[int, str] | None: ...


class CareerRepository(Protocol):
    def load(self, niss: str) -> Career:
        """The person's career (an empty one when the RGTI holds nothing)."""
        ...

    def niss_of_affiliation(self, affiliation_id: str) -> str | None: ...

    def save(self, career: Career) -> None: ...

    def log_change(
        self, niss: str, *, at: datetime, by: str, action: str, detail: dict[str, Any]
    ) -> None: ...


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

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
