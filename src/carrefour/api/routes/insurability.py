"""``/v1/insurability``: a CAS feeds its affiliates' quarters; a mutuality consults them (L410)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from carrefour.api.deps import CallerDep, HubDep, UowDep
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.domain.insurability import AnswerStatus
from carrefour.services import insurability
from carrefour.services.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1/insurability", tags=["insurability"])


class InsurabilityFeed(BaseModel):
    """What the calling CAS says of one affiliate's quarter. ``quarter`` is ``YYYYQn`` (or
    ``YYYY-Qn``); ``contributions`` one of ``in-order``, ``regularised``, ``exempted``,
    ``not-in-order``; ``closed`` true once the CAS considers the quarter settled."""

    model_config = ConfigDict(extra="forbid")

    niss: str = Field(examples=["68060105329"])
    quarter: str = Field(examples=["2025Q2"])
    contributor_category: str = Field(examples=["A"])
    contributions: str = Field(examples=["in-order"])
    closed: StrictBool = False


class InsurabilityRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    niss: str
    quarter: str
    cas: str
    contributor_category: str
    contributions: str
    closed: bool
    updated_at: datetime


class InsurabilityRead(BaseModel):
    """An L410 answer. ``status``: ``definitive``, ``intermediate``, or ``pending`` (the request
    waits for the CAS, then ``status_code`` is null). The request fields are present only when
    the consultation went to the CAS through the network."""

    niss: str
    quarter: str
    status: str
    status_code: str | None
    deliberation: str | None
    items: list[dict[str, Any]]
    request_id: str | None = None
    cas: str | None = None
    message_id: str | None = None
    answer_message_id: str | None = None
    last_error: str | None = None

    @classmethod
    def of(cls, answer: insurability.InsurabilityAnswer) -> InsurabilityRead:
        request = answer.request
        extra: dict[str, Any] = {}
        if request is not None:
            extra = {
                "request_id": request.id,
                "cas": request.cas,
                "message_id": request.request_message_id,
                "answer_message_id": request.answer_message_id,
                "last_error": request.last_error,
            }
        return cls(
            niss=answer.niss,
            quarter=str(answer.quarter),
            status=answer.status.value,
            status_code=answer.status_code,
            deliberation=answer.deliberation,
            items=answer.items,
            **extra,
        )


class InsurabilityConsult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    niss: str = Field(examples=["68060105329"])
    quarter: str | None = Field(default=None, examples=["2025Q2"])


class InsurabilityAnswerCreate(BaseModel):
    """The CAS's answer: as a feed, ``closed`` true once it considers the quarter settled."""

    model_config = ConfigDict(extra="forbid")

    contributor_category: str = Field(examples=["A"])
    contributions: str = Field(examples=["in-order"])
    closed: bool = False


@router.post("", response_model=InsurabilityRecordRead, status_code=status.HTTP_201_CREATED)
async def feed(body: InsurabilityFeed, uow: UowDep, caller: CallerDep) -> InsurabilityRecordRead:
    """A CAS records (or replaces) its data for one quarter of a person who is its affiliate
    during that quarter."""
    record = insurability.feed(
        uow,
        caller=caller,
        niss=body.niss,
        quarter=body.quarter,
        contributor_category=body.contributor_category,
        contributions=body.contributions,
        closed=body.closed,
    )
    return InsurabilityRecordRead.model_validate(record)


async def _consult(
    hub: Hub, uow: UnitOfWork, caller: Institution, niss: str, quarter: str | None
) -> JSONResponse:
    answer = insurability.consult(uow, caller=caller, niss=niss, quarter=quarter)
    if answer.request is not None and answer.status is AnswerStatus.PENDING:
        request = await run_in_threadpool(
            insurability.forward,
            hub.uow,
            sender=hub.network,
            request=answer.request,
            timeout=timedelta(seconds=hub.settings.insurability_timeout_seconds),
        )
        answer = insurability.answer_of(request, answer)
    pending = answer.status is AnswerStatus.PENDING
    body = InsurabilityRead.of(answer).model_dump(mode="json", exclude_unset=True)
    return JSONResponse(body, status_code=202 if pending else 200)


_CONSULT_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": InsurabilityRead, "description": "forwarded to the CAS, not answered yet"}
}


@router.post("/requests", response_model=InsurabilityRead, responses=_CONSULT_RESPONSES)
async def ask(
    body: InsurabilityConsult, uow: UowDep, caller: CallerDep, hub: HubDep
) -> JSONResponse:
    """Form L410 through the network: the hub asks the CAS the RGTI names for the quarter
    (default: the current one). No CAS: definitive, MSG00100, at once. A CAS that chose the feed:
    the hub answers from it. Otherwise the request goes to the CAS: answered within the timeout
    through its push endpoint (200), or waiting in its mailbox (202, ``status`` pending); the
    answer then reaches the caller's mailbox as ``insurability-answer``."""
    return await _consult(hub, uow, caller, body.niss, body.quarter)


@router.get("/requests/{request_id}", response_model=InsurabilityRead)
async def request_status(request_id: str, uow: UowDep, caller: CallerDep) -> InsurabilityRead:
    """A forwarded consultation as it stands (the mutuality that asked, the CAS asked)."""
    answer = insurability.request_status(uow, caller=caller, request_id=request_id)
    return InsurabilityRead.of(answer)


@router.post("/requests/{request_id}/answer", response_model=InsurabilityRead)
async def answer(
    request_id: str, body: InsurabilityAnswerCreate, uow: UowDep, caller: CallerDep
) -> InsurabilityRead:
    """The CAS asked answers; refused (403 ``not-affiliate``) when the person is not its
    affiliate during the quarter, and (403 ``not-addressee``) from a CAS it was not sent to."""
    request = insurability.answer(
        uow,
        caller=caller,
        request_id=request_id,
        contributor_category=body.contributor_category,
        contributions=body.contributions,
        closed=body.closed,
    )
    return InsurabilityRead.of(insurability.answer_of(request, None))


@router.get("/{niss}", response_model=InsurabilityRead, responses=_CONSULT_RESPONSES)
async def consult(
    niss: str,
    uow: UowDep,
    caller: CallerDep,
    hub: HubDep,
    quarter: str | None = Query(
        default=None, description="YYYYQn or YYYY-Qn; default: the current quarter"
    ),
) -> JSONResponse:
    """Form L410, the same consultation as ``POST /v1/insurability/requests``. ``status`` is
    ``definitive`` once the quarter is over and the CAS closed it, ``intermediate`` otherwise,
    ``pending`` (202) while the CAS has not answered; ``status_code`` is MSG00000 (data found)
    or MSG00100 (no data)."""
    return await _consult(hub, uow, caller, niss, quarter)
