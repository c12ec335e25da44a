"""``/v1/inami``: INAMI's administrative cell: cases, provisional proofs, A911 records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from carrefour.api.deps import CallerDep, HubDep, UowDep
from carrefour.api.schemas import Day, Page
from carrefour.services import inami
from carrefour.services.unit_of_work import InamiCase, ProvisionalProof

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


class CaseDetailRead(CaseRead):
    message_id: str | None
    proofs: list[ProofRead]
    tracking: list[VoucherTrackingRead]


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
    )


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
