"""Batch files of vouchers: validate each record, route the good ones, report the bad ones.

A batch is processed in chunks, one transaction per chunk (never one per record). Posting the
same file twice (same sender and same content hash) or with the same ``Idempotency-Key`` creates
nothing new: the first batch is answered again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import authorise
from carrefour.domain.errors import CarrefourError, InvalidBatch, NotFound
from carrefour.domain.messages import DeliveryStatus
from carrefour.domain.vouchers import Voucher
from carrefour.services.consultations import require
from carrefour.services.ids import new_id
from carrefour.services.unit_of_work import Batch, DocumentRenderer, UnitOfWork
from carrefour.services.vouchers import PENSION_FLOW, VOUCHER_FLOW, route_vouchers

CHUNK = 500
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


class BatchParser(Protocol):
    """Reads a batch file; raises ``InvalidBatch`` when the file is unusable as a whole."""

    def parse(self, content: bytes, *, format: str | None, today: date) -> Parsed: ...


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    batch: Batch
    duplicate: bool


Progress = Callable[[int, int], None]


def _register(
    uow_factory: Callable[[], UnitOfWork],
    *,
    caller: Institution,
    content: bytes,
    file_format: str | None,
    idempotency_key: str | None,
    status: str,
) -> BatchOutcome:
    """The batch already taken (a duplicate), or a new one in ``status``. A file kept for the
    batch worker (``received``) is stored with it, in the same transaction."""
    digest = hashlib.sha256(content).hexdigest()
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
            status=status,
            created_at=uow.clock.now(),
        )
        uow.batches.add(batch)
        if status == RECEIVED:
            uow.batches.store_content(batch.id, content)
        uow.commit()
    return BatchOutcome(batch, duplicate=False)


def _process(
    uow_factory: Callable[[], UnitOfWork],
    *,
    caller: Institution,
    batch: Batch,
    content: bytes,
    parser: BatchParser,
    renderer: DocumentRenderer,
    progress: Progress | None,
    chunk: int,
) -> Batch:
    """Parse a registered batch, route its good records chunk by chunk, record its bad ones.
    An unusable file leaves the batch ``refused`` (and raises ``InvalidBatch``)."""
    with uow_factory() as uow:
        try:
            parsed = parser.parse(content, format=batch.format, today=uow.clock.today())
        except InvalidBatch as error:
            refused = replace(
                batch,
                status="refused",
                error_code=error.reason,
                error=error.detail,
                finished_at=uow.clock.now(),
            )
            uow.batches.update(refused)
            uow.commit()
            _raise_if_refused(refused, line=error.extra.get("line"))
            raise  # pragma: no cover - _raise_if_refused always raises here

    records = list(parsed.records)
    errors = [
        (r.line, r.error_code or "invalid", r.error or "") for r in records if r.voucher is None
    ]
    good: list[tuple[int, Voucher]] = []
    for record in records:
        voucher = record.voucher
        if voucher is not None:
            good.append((record.line, voucher))
    batch = replace(batch, status="processing", format=parsed.format, total=len(records))
    routed = paper = 0
    done = 0
    for start in range(0, len(good), chunk):
        part = good[start : start + chunk]
        with uow_factory() as uow:
            results = route_vouchers(
                uow, caller=caller, vouchers=[v for _, v in part], renderer=renderer
            )
            for (line, _), result in zip(part, results, strict=True):
                if isinstance(result, CarrefourError):
                    errors.append((line, result.code, result.detail))
                elif result.status == DeliveryStatus.PAPER:
                    paper += 1
                else:
                    routed += 1
            done = min(len(good), start + chunk)
            uow.batches.update(replace(batch, routed=routed, paper=paper))
            uow.commit()
        if progress is not None:
            progress(done, len(good))
    with uow_factory() as uow:
        errors.sort()
        uow.batches.add_errors(batch.id, errors)
        batch = replace(
            batch,
            status="done",
            accepted=routed + paper,
            rejected=len(errors),
            routed=routed,
            paper=paper,
            finished_at=uow.clock.now(),
        )
        uow.batches.update(batch)
        uow.batches.store_content(batch.id, None)
        uow.commit()
    return batch


def submit_batch(
    uow_factory: Callable[[], UnitOfWork],
    *,
    caller: Institution,
    content: bytes,
    file_format: str | None,
    idempotency_key: str | None,
    parser: BatchParser,
    renderer: DocumentRenderer,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> BatchOutcome:
    """Take a batch file from ``caller`` and process it now: route its good records, record its
    bad ones."""
    outcome = _register(
        uow_factory,
        caller=caller,
        content=content,
        file_format=file_format,
        idempotency_key=idempotency_key,
        status="processing",
    )
    if outcome.duplicate:
        return outcome
    batch = _process(
        uow_factory,
        caller=caller,
        batch=outcome.batch,
        content=content,
        parser=parser,
        renderer=renderer,
        progress=progress,
        chunk=chunk,
    )
    return BatchOutcome(batch, duplicate=False)


def accept_batch(
    uow_factory: Callable[[], UnitOfWork],
    *,
    caller: Institution,
    content: bytes,
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
        status=RECEIVED,
    )


def process_received(
    uow_factory: Callable[[], UnitOfWork],
    *,
    parser: BatchParser,
    renderer: DocumentRenderer,
    chunk: int = CHUNK,
) -> Batch | None:
    """Claim the oldest ``received`` batch (one worker per batch) and process it; ``None`` when
    there is none. The stored file is dropped once the batch is done."""
    with uow_factory() as uow:
        claimed = uow.batches.claim_received()
        if claimed is None:
            return None
        content = uow.batches.content(claimed.id)
        caller = uow.catalogue.institution(claimed.sender)
        uow.commit()
    if content is None:  # pragma: no cover - a received batch always has its file
        return None
    try:
        return _process(
            uow_factory,
            caller=caller,
            batch=claimed,
            content=content,
            parser=parser,
            renderer=renderer,
            progress=None,
            chunk=chunk,
        )
    except InvalidBatch:
        with uow_factory() as uow:
            refused = uow.batches.get(claimed.id)
            uow.batches.store_content(claimed.id, None)
            uow.commit()
        return refused


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
