"""``/v1/inami``: INAMI's administrative cell: cases, provisional proofs, A911 records."""

from __future__ import annotations

from base64 import b64encode
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from carrefour.api.deps import CallerDep, HubDep, UowDep
from carrefour.api.schemas import Day, Page
from carrefour.domain.errors import DocumentTooLarge
from carrefour.domain.messages import Message
from carrefour.services import inami
from carrefour.services.unit_of_work import CaseDocument, InamiCase, ProvisionalProof

router = APIRouter(prefix="/v1/inami", tags=["inami"])


class CaseCreate(BaseModel):
    """A mutuality asks the administrative cell to intervene for a person and period."""

    model_config = ConfigDict(extra="forbid")

    niss: str = Field(examples=["68060105329"])
    begin: Day
    end: Day
    reason: str = Field(
        max_length=inami.REASON_MAX_LENGTH,
        examples=["no contribution voucher received for 2025Q1"],
        json_schema_extra={"pattern": r"\S"},  # not blank: the service refuses an empty reason
    )


class CaseRead(BaseModel):
    id: str
    niss: str
    mutuality: str
    begin: date
    end: date
    reason: str
    status: str
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, case: InamiCase) -> CaseRead:
        return cls.model_validate(case)


class ProofRead(BaseModel):
    """A provisional proof; ``status`` is ``active``, ``superseded`` (a definitive voucher for
    the period arrived: ``ended_by`` names it) or ``expired`` (past ``valid_until``)."""

    id: str
    case_id: str
    niss: str
    mutuality: str
    begin: date
    end: date
    valid_from: date
    valid_until: date
    status: str
    document_id: str
    message_id: str
    issued_at: datetime
    ended_at: datetime | None
    ended_by: str | None

    @classmethod
    def of(cls, proof: ProvisionalProof) -> ProofRead:
        return cls(
            id=proof.id,
            case_id=proof.case_id,
            niss=proof.niss,
            mutuality=proof.mutuality,
            begin=proof.begin,
            end=proof.end,
            valid_from=proof.issued_at.date(),
            valid_until=proof.valid_until,
            status=proof.status,
            document_id=proof.document_id,
            message_id=proof.message_id,
            issued_at=proof.issued_at,
            ended_at=proof.ended_at,
            ended_by=proof.ended_by,
        )


class VoucherTrackingRead(BaseModel):
    message_id: str
    flow: str
    emitter: str
    recipient: str
    event_date: date | None
    status: str
    delivery_status: str | None
    sent_at: datetime

    @classmethod
    def of(cls, tracked: inami.TrackedVoucher) -> VoucherTrackingRead:
        e = tracked.entry
        return cls(
            message_id=e.message_id,
            flow=e.flow,
            emitter=e.emitter,
            recipient=e.recipient,
            event_date=e.event_date,
            status=e.status,
            delivery_status=tracked.delivery_status,
            sent_at=e.sent_at,
        )


class CaseDocumentRead(BaseModel):
    """A document of a case: what the person brought, with its SHA-256 digest."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class InterventionCreate(BaseModel):
    """The cell asks an emitter to ``send``, ``correct`` or ``explain`` the person's voucher for
    a period (default: the case's)."""

    model_config = ConfigDict(extra="forbid")

    emitter: str = Field(examples=["onss"])
    action: str = Field(examples=["send"])
    begin: date | None = None
    end: date | None = None
    voucher_message_id: str | None = None
    note: str = Field(default="", max_length=inami.REASON_MAX_LENGTH)


class InterventionAnswerCreate(BaseModel):
    """``sent`` or ``corrected`` with the ``message_id`` of the voucher sent; ``no-obligation``
    with a ``reason``."""

    model_config = ConfigDict(extra="forbid")

    answer: str = Field(examples=["sent"])
    message_id: str | None = None
    reason: str | None = Field(default=None, max_length=inami.REASON_MAX_LENGTH)


class InterventionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    niss: str
    emitter: str
    action: str
    begin: date
    end: date
    voucher_message_id: str | None
    note: str
    status: str
    request_message_id: str
    created_at: datetime
    answer: str | None
    sent_message_id: str | None
    answer_reason: str | None
    answer_message_id: str | None
    answered_at: datetime | None


class CaseClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(examples=["in-order"])
    note: str = Field(default="", max_length=inami.REASON_MAX_LENGTH)


class ClosureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: str
    outcome: str
    note: str
    closed_by: str
    closed_at: datetime


class ThreadMessageRead(BaseModel):
    """One message of a case's thread."""

    message_id: str
    flow: str
    sender: str
    in_reply_to: str | None
    created_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, message: Message) -> ThreadMessageRead:
        return cls(
            message_id=message.id,
            flow=message.flow,
            sender=message.sender,
            in_reply_to=message.in_reply_to,
            created_at=message.created_at,
            payload=dict(message.payload),
        )


class CaseDetailRead(CaseRead):
    message_id: str | None
    proofs: list[ProofRead]
    tracking: list[VoucherTrackingRead]
    documents: list[CaseDocumentRead]
    interventions: list[InterventionRead]
    closure: ClosureRead | None
    thread: list[ThreadMessageRead]


@router.post("/cases", response_model=CaseRead, status_code=status.HTTP_201_CREATED)
async def open_case(body: CaseCreate, uow: UowDep, caller: CallerDep) -> CaseRead:
    """A mutuality that integrated the person (capacity 001) asks the cell to intervene."""
    case = inami.open_case(
        uow, caller=caller, niss=body.niss, begin=body.begin, end=body.end, reason=body.reason
    )
    return CaseRead.of(case)


@router.get("/cases", response_model=Page[CaseRead])
async def list_cases(
    uow: UowDep,
    caller: CallerDep,
    after: str | None = Query(default=None, description="the next_cursor of the last page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[CaseRead]:
    """Newest first: every case for INAMI and its cell, a mutuality's own for a mutuality."""
    page = inami.list_cases(uow, caller=caller, after=after, limit=limit)
    return Page[CaseRead](items=[CaseRead.of(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/cases/{case_id}", response_model=CaseDetailRead)
async def case_detail(case_id: str, uow: UowDep, caller: CallerDep) -> CaseDetailRead:
    """A case, its provisional proofs, and the person's vouchers in the emitters' tracking
    files."""
    detail = inami.case_detail(uow, caller=caller, case_id=case_id)
    return CaseDetailRead(
        **CaseRead.of(detail.case).model_dump(),
        message_id=detail.message_id,
        proofs=[ProofRead.of(p) for p in detail.proofs],
        tracking=[VoucherTrackingRead.of(t) for t in detail.tracking],
        documents=[CaseDocumentRead.model_validate(d) for d in detail.documents],
        interventions=[InterventionRead.model_validate(i) for i in detail.interventions],
        closure=ClosureRead.model_validate(detail.closure) if detail.closure else None,
        thread=[ThreadMessageRead.of(m) for m in detail.thread],
    )


@router.post(
    "/cases/{case_id}/documents",
    response_model=CaseDocumentRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("application/pdf", "image/png", "image/jpeg")
            },
        }
    },
)
async def add_document(
    case_id: str,
    request: Request,
    caller: CallerDep,
    hub: HubDep,
    filename: str | None = Query(default=None, max_length=inami.FILENAME_MAX_LENGTH),
) -> CaseDocumentRead:
    """The cell or the case's mutuality attaches a document (the request body: a PDF, PNG or
    JPEG, up to the hub's size limit); 413 over the limit, 415 for another type."""
    limit = hub.settings.case_document_max_bytes
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > limit:
        raise DocumentTooLarge(
            f"the document has {declared_length} bytes; the limit is {limit} bytes",
            size=int(declared_length),
            max_bytes=limit,
        )
    content = await request.body()  # before the unit of work: no lock held while it arrives

    def add() -> CaseDocument:
        with hub.uow() as uow:
            return inami.add_document(
                uow,
                caller=caller,
                case_id=case_id,
                content=content,
                filename=filename,
                declared_type=request.headers.get("content-type"),
                max_bytes=limit,
            )

    return CaseDocumentRead.model_validate(await run_in_threadpool(add))


@router.get("/cases/{case_id}/documents", response_model=Page[CaseDocumentRead])
async def list_documents(case_id: str, uow: UowDep, caller: CallerDep) -> Page[CaseDocumentRead]:
    """The case's documents, oldest first (the cell and the case's mutuality)."""
    detail = inami.case_documents(uow, caller=caller, case_id=case_id)
    return Page[CaseDocumentRead](
        items=[CaseDocumentRead.model_validate(d) for d in detail], next_cursor=None
    )


@router.get(
    "/cases/{case_id}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
async def fetch_document(
    case_id: str, document_id: str, uow: UowDep, caller: CallerDep
) -> Response:
    """The document's bytes, with its digest in ``Digest`` (the cell and the case's mutuality;
    anyone else: 404)."""
    record, content = inami.case_document(
        uow, caller=caller, case_id=case_id, document_id=document_id
    )
    return Response(
        content=content,
        media_type=record.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{quote(record.filename)}"',
            "Repr-Digest": f"sha-256=:{b64encode(bytes.fromhex(record.sha256)).decode()}:",
        },
    )


@router.post(
    "/cases/{case_id}/interventions",
    response_model=InterventionRead,
    status_code=status.HTTP_201_CREATED,
)
async def request_intervention(
    case_id: str, body: InterventionCreate, uow: UowDep, caller: CallerDep
) -> InterventionRead:
    """The cell sends an ``intervention-request`` to an emitter; the case waits for it."""
    intervention = inami.request_intervention(
        uow,
        caller=caller,
        case_id=case_id,
        emitter=body.emitter,
        action=body.action,
        begin=body.begin,
        end=body.end,
        voucher_message_id=body.voucher_message_id,
        note=body.note,
    )
    return InterventionRead.model_validate(intervention)


@router.post("/interventions/{intervention_id}/answer", response_model=InterventionRead)
async def answer_intervention(
    intervention_id: str, body: InterventionAnswerCreate, uow: UowDep, caller: CallerDep
) -> InterventionRead:
    """The emitter the request was sent to answers it (an ``intervention-answer`` to the cell);
    anyone else: 403 ``not-addressee``."""
    intervention = inami.answer_intervention(
        uow,
        caller=caller,
        intervention_id=intervention_id,
        answer=body.answer,
        message_id=body.message_id,
        reason=body.reason,
    )
    return InterventionRead.model_validate(intervention)


@router.post("/cases/{case_id}/close", response_model=ClosureRead)
async def close_case(case_id: str, body: CaseClose, uow: UowDep, caller: CallerDep) -> ClosureRead:
    """The cell closes the case with its outcome."""
    closure = inami.close_case(
        uow, caller=caller, case_id=case_id, outcome=body.outcome, note=body.note
    )
    return ClosureRead.model_validate(closure)


@router.post(
    "/cases/{case_id}/provisional-proof",
    response_model=ProofRead,
    status_code=status.HTTP_201_CREATED,
)
async def issue_provisional_proof(
    case_id: str, uow: UowDep, caller: CallerDep, hub: HubDep
) -> ProofRead:
    """The cell issues a provisional proof of insurability, valid until the end of the next
    quarter [assumption]; refused (409) when the person is in order for the case period."""
    proof = inami.issue_provisional_proof(
        uow, caller=caller, case_id=case_id, renderer=hub.renderer
    )
    return ProofRead.of(proof)


@router.get("/a911", response_model=Page[dict[str, Any]])
async def a911_records(
    uow: UowDep,
    caller: CallerDep,
    after: str | None = Query(default=None, description="the next_cursor of the last page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[dict[str, Any]]:
    """Form A911: the data of every paper voucher (INAMI and its cell only)."""
    page = inami.a911_records(uow, caller=caller, after=after, limit=limit)
    return Page[dict[str, Any]](items=page.items, next_cursor=page.next_cursor)
