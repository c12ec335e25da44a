"""Batch files of vouchers: validate each record, route the good ones, report the bad ones.

A batch is processed in chunks, one transaction per chunk (never one per record). Posting the
same file twice (same sender and same content hash) or with the same ``Idempotency-Key`` creates
nothing new: the first batch is answered again.
"""

from __future__ import annotations

import hashlib
import uuid
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
from carrefour.services.unit_of_work import Batch, DocumentRenderer, UnitOfWork
from carrefour.services.vouchers import PENSION_FLOW, VOUCHER_FLOW, route_vouchers

CHUNK = 500


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
    """Take a batch file from ``caller``: route its good records, record its bad ones."""
    digest = hashlib.sha256(content).hexdigest()
    with uow_factory() as uow:
        existing = uow.batches.find(caller.id, content_hash=digest, idempotency_key=idempotency_key)
        if existing is not None:
            _raise_if_refused(existing)
            return BatchOutcome(existing, duplicate=True)
        require(uow, caller=caller, action=Action.SEND, flow=batch_flow(uow, caller), niss=None)
        batch = Batch(
            id=uuid.uuid4().hex,
            sender=caller.id,
            content_hash=digest,
            idempotency_key=idempotency_key,
            format=file_format,
            status="processing",
            created_at=uow.clock.now(),
        )
        uow.batches.add(batch)
        uow.commit()
        try:
            parsed = parser.parse(content, format=file_format, today=uow.clock.today())
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
            _raise_if_refused(refused)
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
    batch = replace(batch, format=parsed.format, total=len(records))
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
        uow.commit()
    return BatchOutcome(batch, duplicate=False)


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


def _raise_if_refused(batch: Batch) -> None:
    if batch.status == "refused":
        raise InvalidBatch(
            batch.error or "unusable batch file",
            reason=batch.error_code or "unknown",
            batch_id=batch.id,
        )


def batch_status(
    uow: UnitOfWork, *, caller: Institution, batch_id: str, error_limit: int = 1000
) -> tuple[Batch, list[tuple[int, str, str]]]:
    """A batch of the caller's, with its per-record errors (line, code, detail)."""
    batch = uow.batches.get(batch_id)
    if batch is None or batch.sender != caller.id:
        raise NotFound(f"no batch {batch_id} for {caller.id}", batch_id=batch_id)
    return batch, uow.batches.errors(batch_id, limit=error_limit)
