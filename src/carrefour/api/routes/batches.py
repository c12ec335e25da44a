"""``/v1/batches``: a batch file of vouchers (JSON Lines or fixed-width), and its report."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from carrefour.api.deps import CallerDep, HubDep, UowDep
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import PayloadTooLarge
from carrefour.services import batches
from carrefour.services.unit_of_work import Batch

router = APIRouter(prefix="/v1/batches", tags=["batches"])


class BatchError(BaseModel):
    line: int
    code: str
    detail: str


class BatchRead(BaseModel):
    id: str
    status: str
    format: str | None
    total: int
    accepted: int
    rejected: int
    routed: int
    paper: int
    duplicate: bool
    error_code: str | None = None  # a refused file: encoding, header, trailer, count-mismatch...
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None
    errors: list[BatchError] | None = None

    @classmethod
    def of(
        cls, batch: Batch, *, duplicate: bool, errors: list[tuple[int, str, str]] | None = None
    ) -> BatchRead:
        return cls(
            id=batch.id,
            status=batch.status,
            format=batch.format,
            total=batch.total,
            accepted=batch.accepted,
            rejected=batch.rejected,
            routed=batch.routed,
            paper=batch.paper,
            duplicate=duplicate,
            error_code=batch.error_code,
            error=batch.error,
            created_at=batch.created_at,
            finished_at=batch.finished_at,
            errors=None
            if errors is None
            else [BatchError(line=line, code=code, detail=detail) for line, code, detail in errors],
        )


def submit(
    hub: Hub,
    caller: Institution,
    content: bytes,
    file_format: str | None,
    request: Request,
    response: Response,
) -> BatchRead:
    key = request.headers.get("idempotency-key")
    settings = hub.settings
    if len(content) > settings.batch_inline_max_bytes:
        outcome = batches.accept_batch(
            hub.uow, caller=caller, content=content, file_format=file_format, idempotency_key=key
        )
        if not outcome.duplicate:
            response.status_code = status.HTTP_202_ACCEPTED
    else:
        outcome = batches.submit_batch(
            hub.uow,
            caller=caller,
            content=content,
            file_format=file_format,
            idempotency_key=key,
            parser=hub.batch_parser,
            renderer=hub.renderer,
            chunk=settings.batch_chunk,
            lease_seconds=settings.batch_lease_seconds,
        )
    response.headers["Location"] = f"/v1/batches/{outcome.batch.id}"
    if outcome.duplicate:
        response.status_code = status.HTTP_200_OK
    return BatchRead.of(outcome.batch, duplicate=outcome.duplicate)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes: a declared
    ``Content-Length`` over it is refused before anything is read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"the body declares {int(declared)} bytes; the limit is {limit} bytes "
            "(CARREFOUR_MAX_UPLOAD_BYTES)",
            limit=limit,
        )
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise PayloadTooLarge(
                f"the body passes the limit of {limit} bytes (CARREFOUR_MAX_UPLOAD_BYTES)",
                limit=limit,
            )
        parts.append(part)
    return b"".join(parts)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BatchRead)
async def submit_batch(
    request: Request,
    response: Response,
    hub: HubDep,
    caller: CallerDep,
    format: str | None = Query(
        default=None, pattern="^(jsonl|fixed)$", description="detected when omitted"
    ),
) -> BatchRead:
    """Send the file as the request body. Each good record is routed, each bad one reported
    with its line number (``GET /v1/batches/{id}``). A file up to
    ``CARREFOUR_BATCH_INLINE_MAX_BYTES`` (5 MB) is processed before the answer (201, ``done``);
    a larger one is stored and processed by the batch worker (202, ``received``: follow it with
    ``GET /v1/batches/{id}``). The same file twice, or the same ``Idempotency-Key``, answers the
    first batch again (200, ``duplicate: true``; one still being processed resumes). A
    body over ``CARREFOUR_MAX_UPLOAD_BYTES`` is refused (413). Parsing and routing run in a
    worker thread, never on the event loop."""
    content = await read_body(request, hub.settings.max_upload_bytes)
    return await run_in_threadpool(submit, hub, caller, content, format, request, response)


@router.get("/{batch_id}", response_model=BatchRead)
async def batch_report(
    batch_id: str,
    uow: UowDep,
    caller: CallerDep,
    limit: int = Query(default=1000, ge=0, le=100_000, description="errors listed at most"),
) -> BatchRead:
    batch, errors = batches.batch_status(uow, caller=caller, batch_id=batch_id, error_limit=limit)
    return BatchRead.of(batch, duplicate=False, errors=errors)
