"""``/v1/insurability``: a CAS feeds its affiliates' quarters; a mutuality consults them (L410)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from carrefour.api.deps import CallerDep, UowDep
from carrefour.services import insurability

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
    niss: str
    quarter: str
    status: str
    status_code: str
    deliberation: str | None
    items: list[dict[str, Any]]


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


@router.get("/{niss}", response_model=InsurabilityRead)
async def consult(
    niss: str,
    uow: UowDep,
    caller: CallerDep,
    quarter: str | None = Query(
        default=None, description="YYYYQn or YYYY-Qn; default: the current quarter"
    ),
) -> InsurabilityRead:
    """Form L410: what each CAS says of the person's quarter. ``status`` is ``definitive`` once
    the quarter is over and every CAS closed it, ``intermediate`` otherwise; ``status_code`` is
    MSG00000 (data found) or MSG00100 (no data)."""
    answer = insurability.consult(uow, caller=caller, niss=niss, quarter=quarter)
    return InsurabilityRead(
        niss=answer.niss,
        quarter=str(answer.quarter),
        status=answer.status.value,
        status_code=answer.status_code,
        deliberation=answer.deliberation,
        items=answer.items,
    )
