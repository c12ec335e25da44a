"""Batch files of vouchers: validate each record, route the good ones, report the bad ones.

A batch is processed in chunks, one transaction per chunk (never one per record): the chunk's
messages, its record errors and the batch's progress (``next_record``) commit together, so a
process killed at any moment leaves every chunk routed once or not at all. The process holds a
lease on the batch, renewed by each chunk; once it expires any worker resumes the batch at its
next chunk. Posting the same file twice (same sender and same content hash) or with the same
``Idempotency-Key`` creates nothing new: the first batch is answered again (and resumed, if it
was left unfinished). A record identical to an earlier one of the same file is reported as a
``duplicate``, not routed twice.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import queue
import re
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, ParamSpec, Protocol, TypeVar

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import authorise
from carrefour.domain.errors import CarrefourError, Conflict, InvalidBatch, NotFound
from carrefour.domain.messages import DeliveryStatus
from carrefour.domain.vouchers import Voucher
from carrefour.services.consultations import require
from carrefour.services.ids import new_id
from carrefour.services.messages import Encoded, encode
from carrefour.services.unit_of_work import Batch, DocumentRenderer, UnitOfWork
from carrefour.services.vouchers import PENSION_FLOW, VOUCHER_FLOW, route_vouchers

CHUNK = 20_000
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
LEASE_SECONDS = 60.0
RECEIVED = "received"


class ParsedRecord(Protocol):
    @property
    def line(self) -> int: ...

    @property
    def voucher(self) -> Voucher | None: ...

    @property
    def error_code(self) -> str | None: ...

    @property
    def error(self) -> str | None: ...


class Parsed(Protocol):
    @property
    def format(self) -> str: ...

    @property
    def records(self) -> Sequence[ParsedRecord]: ...

    @property
    def sender(self) -> str | None:
        """The sender a fixed-width header names (``None`` for JSON Lines)."""
        ...


#: A batch file: whole, or in pieces (a function that reads them again from the start each time
#: it is called, each piece cut after a newline): a file on disk or a stored file is never held
#: whole, to store it, hash it or parse it.
BatchContent = bytes | Callable[[], Iterable[bytes]]


class BatchParser(Protocol):
    """Reads a batch file; raises ``InvalidBatch`` when the file is unusable as a whole."""

    def parse(self, content: BatchContent, *, format: str | None, today: date) -> Parsed: ...


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work (``Hub.uow``): ``read_only`` for one that only reads (on SQLite it
    takes no write lock, so it reads beside a chunk being written); ``bulk`` for a chunk's (on
    SQLite its commit leaves the checkpoint of the write-ahead log to a thread)."""

    def __call__(self, *, read_only: bool = False, bulk: bool = False) -> UnitOfWork: ...


def _pieces(content: BatchContent) -> Iterable[bytes]:
    return [content] if isinstance(content, bytes) else content()


def _stored(uow_factory: UnitOfWorkFactory, batch_id: str) -> Callable[[], Iterator[bytes]]:
    """The stored file of a batch, read a piece at a time (each in a read-only transaction of
    its own: the next pieces are read and parsed while a chunk is written)."""

    def read() -> Iterator[bytes]:
        with uow_factory(read_only=True) as uow:
            count = uow.batches.content_pieces(batch_id)
        for number in range(count):
            with uow_factory(read_only=True) as uow:
                piece = uow.batches.piece(batch_id, number)
            if piece is None:  # pragma: no cover - dropped meanwhile: the batch was cancelled
                return
            yield piece

    return read


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """The batch a file made, or, for a file (or key) already taken, that batch
    (``duplicate``): done, or still running (it resumes; it is answered as it stands)."""

    batch: Batch
    duplicate: bool


Progress = Callable[[int, int], None]

RUNNING = ("received", "processing")


@dataclass(frozen=True, slots=True)
class Lease:
    """Who processes a batch (``owner``: one worker or one submitting process) and for how
    long each chunk renews its claim: a worker that dies stops renewing it, and once it has
    expired any other worker resumes the batch at its next chunk."""

    owner: str
    seconds: float

    def until(self, uow: UnitOfWork) -> datetime:
        return uow.clock.now() + timedelta(seconds=self.seconds)


def new_lease(seconds: float = LEASE_SECONDS) -> Lease:
    return Lease(owner=new_id(), seconds=seconds)


def _register(
    uow_factory: UnitOfWorkFactory,
    *,
    caller: Institution,
    content: BatchContent,
    file_format: str | None,
    idempotency_key: str | None,
    lease: Lease | None,
) -> BatchOutcome:
    """The batch already taken (a duplicate), or a new one: ``processing`` under ``lease``, or
    ``received`` for the batch worker. The file is stored with it, in the same transaction: a
    batch resumes from it after a crash, until it is done."""
    hashed = hashlib.sha256()
    for piece in _pieces(content):
        hashed.update(piece)
    digest = hashed.hexdigest()
    with uow_factory() as uow:
        existing = uow.batches.find(caller.id, content_hash=digest, idempotency_key=idempotency_key)
        if existing is not None:
            _raise_if_refused(existing)
            return BatchOutcome(existing, duplicate=True)
        require(uow, caller=caller, action=Action.SEND, flow=batch_flow(uow, caller), niss=None)
        batch = Batch(
            id=new_id(),
            sender=caller.id,
            content_hash=digest,
            idempotency_key=idempotency_key,
            format=file_format,
            status=RECEIVED if lease is None else "processing",
            created_at=uow.clock.now(),
            lease_owner=None if lease is None else lease.owner,
            lease_until=None if lease is None else lease.until(uow),
        )
        uow.batches.add(batch)
        uow.batches.store_content(batch.id, _pieces(content))
        uow.commit()
    return BatchOutcome(batch, duplicate=False)


def _routable(records: Sequence[ParsedRecord]) -> int:
    """How many records of a parsed file are good and not a repeat of an earlier one."""
    seen: dict[bytes, int] = {}
    return sum(1 for r in records if r.voucher is not None and _first_seen(seen, r)[0] is None)


def _first_seen(seen: dict[bytes, int], record: ParsedRecord) -> tuple[int | None, Encoded | None]:
    """The line of an earlier record of the file with the same voucher content (same kind,
    person, period and fields) as ``record``, or ``None`` (and ``record`` is remembered), with
    the record's encoded payload (its message's JSON and digest: encoded once). Only a 32-byte
    digest per good record is kept, so a file of millions of records is checked across all of
    its chunks."""
    voucher = record.voucher
    if voucher is None:
        return None, None
    plain = voucher.plain_payload
    encoded = encode(voucher.payload()) if plain is None else encode(plain, plain=True)
    first = seen.get(encoded.sha256)
    if first is None:
        seen[encoded.sha256] = record.line
    return first, encoded


def _finish(uow_factory: UnitOfWorkFactory, batch: Batch, lease: Lease, **changes: Any) -> Batch:
    """End a batch held under ``lease`` (done or refused, with ``changes``): its lease released,
    its file dropped. A batch no longer held (cancelled, taken over) is left as it is."""
    with uow_factory() as uow:
        held = uow.batches.hold(batch.id, owner=lease.owner, until=lease.until(uow))
        if held is None:
            return uow.batches.get(batch.id) or batch
        ended = replace(
            held, **changes, finished_at=uow.clock.now(), lease_owner=None, lease_until=None
        )
        uow.batches.update(ended)
        uow.batches.store_content(batch.id, None)
        uow.commit()
    return ended


def _collector_paused(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with Python's cyclic garbage collector paused: a chunk's records,
    vouchers, payloads and rows hold no reference cycles, yet their allocations trigger
    collections that walk every live object again and again (a fifth of a batch's CPU time).
    The collector is resumed when it returns; memory is freed by reference counting meanwhile."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


@dataclass(slots=True)
class _Chunk:
    """A chunk of a file's records, checked and encoded, ready to route: ``size`` records, the
    ``errors`` of the bad ones and repeats (line, code, detail), and the good ones' ``lines``,
    ``vouchers`` and ``encoded`` payloads, in the file's order."""

    size: int
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    encoded: list[Encoded] = field(default_factory=list)


def _chunks(
    records: Iterator[ParsedRecord], seen: dict[bytes, int], *, size: int, total: int
) -> Iterator[_Chunk]:
    """The next ``total`` records of a file in chunks of ``size``, each record sorted: a bad
    one, a repeat of an earlier one (``seen``: see ``_first_seen``), or a good one with its
    encoded payload."""
    left = total
    while left > 0:
        part = list(islice(records, min(size, left)))
        if not part:  # pragma: no cover - the stream holds ``total`` records
            return
        left -= len(part)
        ready = _Chunk(len(part))
        for record in part:
            voucher = record.voucher
            if voucher is None:
                ready.errors.append(
                    (record.line, record.error_code or "invalid", record.error or "")
                )
                continue
            first, payload = _first_seen(seen, record)
            if first is not None:
                ready.errors.append((record.line, "duplicate", f"the same record as line {first}"))
            elif payload is not None:
                ready.lines.append(record.line)
                ready.vouchers.append(voucher)
                ready.encoded.append(payload)
        yield ready


def read_ahead(items: Iterable[T], *, depth: int = 1) -> Generator[T, None, None]:
    """``items``, computed by a thread of their own up to ``depth`` items ahead of the caller:
    a batch's next chunk is read, parsed, checked and encoded (Python, which holds the GIL)
    while the database writes the current one (both drivers release the GIL while a
    statement runs), so a batch uses both cores of a small machine. The thread starts an item
    only once the caller has taken the one before (with ``depth`` 1, two chunks are in memory:
    the one written and the one being made). An error raised by ``items`` is raised here, where
    the caller would have met it; closing the iterator early stops the thread before its next
    item."""
    ready: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            while True:
                while not room.acquire(timeout=0.05):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    item = next(source)
                except StopIteration:
                    ready.put((False, None))
                    return
                ready.put((True, item))
        except BaseException as error:  # handed to the caller, raised there
            ready.put((False, error))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, value = ready.get()
            room.release()
            if item:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join()


@_collector_paused
def _process(
    uow_factory: UnitOfWorkFactory,
    *,
    caller: Institution,
    batch: Batch,
    content: BatchContent,
    parser: BatchParser,
    renderer: DocumentRenderer,
    progress: Progress | None,
    chunk: int,
    lease: Lease,
) -> Batch:
    """Process a batch held under ``lease`` from its ``next_record`` on: each chunk's good
    records routed, its bad ones recorded, and the batch's progress, in one transaction that
    first renews the lease (a batch cancelled or taken over stops here, its committed chunks
    kept). An unusable file leaves the batch ``refused`` (and raises ``InvalidBatch``)."""
    with uow_factory() as uow:
        today = uow.clock.today()
    try:
        parsed = parser.parse(content, format=batch.format, today=today)
        if parsed.sender is not None and parsed.sender != caller.id:
            raise InvalidBatch(
                f"the header names the sender {parsed.sender}, but the file was sent by "
                f"{caller.id}: a file is sent by the institution its header names",
                reason="header",
                line=1,
            )
    except InvalidBatch as error:
        refused = _finish(
            uow_factory, batch, lease, status="refused", error_code=error.reason,
            error=error.detail,
        )  # fmt: skip
        _raise_if_refused(refused, line=error.extra.get("line"))
        raise  # pragma: no cover - _raise_if_refused always raises here
    records = parsed.records
    total = len(records)
    seen: dict[bytes, int] = {}  # content digest of each good record -> its first line
    # The progress counts the records routed: exactly for a parsed list, for a stream (JSON
    # Lines) against the records not read yet.
    good_total = _routable(records) if isinstance(records, list) else None
    stream = iter(records)
    start = good_done = 0
    for record in islice(stream, batch.next_record):  # committed chunks: only their digests
        if record.voucher is not None and _first_seen(seen, record)[0] is None:
            good_done += 1
        start += 1
    with closing(read_ahead(_chunks(stream, seen, size=chunk, total=total - start))) as ahead:
        for part in ahead:
            with uow_factory(bulk=True) as uow:
                held = uow.batches.hold(batch.id, owner=lease.owner, until=lease.until(uow))
                if held is None:
                    return uow.batches.get(batch.id) or batch
                errors = part.errors
                results = route_vouchers(
                    uow, caller=caller, vouchers=part.vouchers, renderer=renderer,
                    encoded=part.encoded,
                )  # fmt: skip
                routed = paper = 0
                for line, result in zip(part.lines, results, strict=True):
                    if isinstance(result, CarrefourError):
                        errors.append((line, result.code, result.detail))
                    elif result.status == DeliveryStatus.PAPER:
                        paper += 1
                    else:
                        routed += 1
                uow.batches.add_errors(batch.id, sorted(errors))
                batch = replace(
                    held,
                    format=parsed.format,
                    total=total,
                    routed=held.routed + routed,
                    paper=held.paper + paper,
                    accepted=held.accepted + routed + paper,
                    rejected=held.rejected + len(errors),
                    next_record=start + part.size,
                )
                uow.batches.update(batch)
                uow.commit()
            start += part.size
            good_done += len(part.vouchers)
            if progress is not None and part.vouchers:
                expected = good_total if good_total is not None else good_done + total - start
                progress(good_done, expected)
    return _finish(
        uow_factory, batch, lease, status="done", format=parsed.format, total=len(records)
    )


def _resume(
    uow_factory: UnitOfWorkFactory,
    *,
    parser: BatchParser,
    renderer: DocumentRenderer,
    chunk: int,
    lease: Lease,
    batch_id: str | None,
    progress: Progress | None = None,
) -> Batch | None:
    """Claim a batch (``batch_id``, or the oldest waiting one) and process it to the end;
    ``None`` when there is none to claim."""
    with uow_factory() as uow:
        claimed = uow.batches.claim(
            owner=lease.owner, now=uow.clock.now(), until=lease.until(uow), batch_id=batch_id
        )
        if claimed is None:
            return None
        stored = uow.batches.content_pieces(claimed.id)
        caller = uow.catalogue.institution(claimed.sender)
        uow.commit()
    if not stored:  # pragma: no cover - a running batch always has its file
        return None
    content = _stored(uow_factory, claimed.id)
    try:
        return _process(
            uow_factory,
            caller=caller,
            batch=claimed,
            content=content,
            parser=parser,
            renderer=renderer,
            progress=progress,
            chunk=chunk,
            lease=lease,
        )
    except InvalidBatch:
        with uow_factory() as uow:
            return uow.batches.get(claimed.id)


def submit_batch(
    uow_factory: UnitOfWorkFactory,
    *,
    caller: Institution,
    content: BatchContent,
    file_format: str | None,
    idempotency_key: str | None,
    parser: BatchParser,
    renderer: DocumentRenderer,
    progress: Progress | None = None,
    chunk: int = CHUNK,
    lease_seconds: float = LEASE_SECONDS,
) -> BatchOutcome:
    """Take a batch file from ``caller`` and process it now: route its good records, record its
    bad ones. The same file again answers its batch; if that batch was left unfinished (its
    process died) it is resumed here."""
    lease = new_lease(lease_seconds)
    outcome = _register(
        uow_factory,
        caller=caller,
        content=content,
        file_format=file_format,
        idempotency_key=idempotency_key,
        lease=lease,
    )
    if outcome.duplicate:
        if outcome.batch.status not in RUNNING:
            return outcome
        resumed = _resume(
            uow_factory,
            parser=parser,
            renderer=renderer,
            chunk=chunk,
            lease=lease,
            batch_id=outcome.batch.id,
            progress=progress,
        )
        return BatchOutcome(resumed or outcome.batch, duplicate=True)
    batch = _process(
        uow_factory,
        caller=caller,
        batch=outcome.batch,
        content=content if isinstance(content, bytes) else _stored(uow_factory, outcome.batch.id),
        parser=parser,
        renderer=renderer,
        progress=progress,
        chunk=chunk,
        lease=lease,
    )
    return BatchOutcome(batch, duplicate=False)


def accept_batch(
    uow_factory: UnitOfWorkFactory,
    *,
    caller: Institution,
    content: BatchContent,
    file_format: str | None,
    idempotency_key: str | None,
) -> BatchOutcome:
    """Take a batch file from ``caller`` for the batch worker: it is stored, ``received``, and
    processed in the background (``process_received``); ``GET /v1/batches/{id}`` follows it."""
    return _register(
        uow_factory,
        caller=caller,
        content=content,
        file_format=file_format,
        idempotency_key=idempotency_key,
        lease=None,
    )


def process_received(
    uow_factory: UnitOfWorkFactory,
    *,
    parser: BatchParser,
    renderer: DocumentRenderer,
    chunk: int = CHUNK,
    lease: Lease | None = None,
) -> Batch | None:
    """Claim the oldest batch waiting for a worker (``received``, or left unfinished by a
    worker whose lease expired) and process it from its next chunk; ``None`` when there is
    none. On PostgreSQL several workers claim different batches (``SKIP LOCKED``)."""
    return _resume(
        uow_factory,
        parser=parser,
        renderer=renderer,
        chunk=chunk,
        lease=lease or new_lease(),
        batch_id=None,
    )


def resume_batch(
    uow_factory: UnitOfWorkFactory,
    *,
    batch_id: str,
    parser: BatchParser,
    renderer: DocumentRenderer,
    chunk: int = CHUNK,
    lease_seconds: float = LEASE_SECONDS,
    progress: Progress | None = None,
) -> Batch:
    """Process an unfinished batch now, from its next chunk (an operator's ``batch resume``).
    Refused (``Conflict``) while another worker's lease on it runs, or once it is finished."""
    resumed = _resume(
        uow_factory,
        parser=parser,
        renderer=renderer,
        chunk=chunk,
        lease=new_lease(lease_seconds),
        batch_id=batch_id,
        progress=progress,
    )
    if resumed is not None:
        return resumed
    with uow_factory() as uow:
        batch = uow.batches.get(batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}", batch_id=batch_id)
    if batch.status in RUNNING:
        raise Conflict(
            f"batch {batch_id} is being processed by worker {batch.lease_owner} (lease until "
            f"{batch.lease_until:%Y-%m-%d %H:%M:%S}); it can be resumed once that lease expires",
            batch_id=batch_id,
        )
    raise Conflict(f"batch {batch_id} is {batch.status}: nothing to resume", batch_id=batch_id)


def cancel_batch(uow: UnitOfWork, *, batch_id: str) -> Batch:
    """Stop an unfinished batch (an operator's ``batch cancel``): its committed chunks stay
    routed, no further chunk is; its file is dropped. The caller's transaction commits it."""
    batch = uow.batches.get(batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}", batch_id=batch_id)
    if batch.status not in RUNNING:
        raise Conflict(f"batch {batch_id} is {batch.status}: nothing to cancel", batch_id=batch_id)
    cancelled = replace(
        batch,
        status="cancelled",
        finished_at=uow.clock.now(),
        lease_owner=None,
        lease_until=None,
    )
    uow.batches.update(cancelled)
    uow.batches.store_content(batch_id, None)
    uow.commit()
    return cancelled


def batch_flow(uow: UnitOfWork, caller: Institution) -> str:
    """The flow a batch from ``caller`` is authorised under: contribution vouchers, or, for
    SFP, INASTI and the pension payers, pension vouchers submitted to the pension cadastre."""
    rules = uow.catalogue.rules
    today = uow.clock.today()
    if authorise(caller, Action.SEND, VOUCHER_FLOW, (), today, rules=rules).allowed:
        return VOUCHER_FLOW
    if authorise(caller, Action.SEND, PENSION_FLOW, (), today, rules=rules).allowed:
        return PENSION_FLOW
    return VOUCHER_FLOW  # refused by ``require``, with the reason logged


def _raise_if_refused(batch: Batch, *, line: int | None = None) -> None:
    """Raise the refusal of a refused batch; its ``line`` is the one the parser named, or, for a
    batch refused earlier, the line its stored detail names."""
    if batch.status == "refused":
        detail = batch.error or "unusable batch file"
        if line is None and (named := re.search(r"\bline (\d+)", detail)):
            line = int(named.group(1))
        raise InvalidBatch(
            detail, reason=batch.error_code or "unknown", line=line, batch_id=batch.id
        )


def batch_status(
    uow: UnitOfWork, *, caller: Institution, batch_id: str, error_limit: int = 1000
) -> tuple[Batch, list[tuple[int, str, str]]]:
    """A batch of the caller's, with its per-record errors (line, code, detail)."""
    batch = uow.batches.get(batch_id)
    if batch is None or batch.sender != caller.id:
        raise NotFound(f"no batch {batch_id} for {caller.id}", batch_id=batch_id)
    return batch, uow.batches.errors(batch_id, limit=error_limit)
