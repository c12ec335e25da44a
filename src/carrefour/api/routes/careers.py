"""``/v1/rgti``: the CAS and INASTI write careers; institutions consult them (L302)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from carrefour.api.deps import CallerDep, UowDep
from carrefour.api.schemas import Day
from carrefour.domain.careers import EndReason, WorkerCapacity
from carrefour.services import careers

router = APIRouter(prefix="/v1/rgti", tags=["rgti"])


class AffiliationCreate(BaseModel):
    """A CAS declares an affiliation; INASTI may declare one for a CAS it names in ``cas``."""

    model_config = ConfigDict(extra="forbid")

    niss: str = Field(examples=["68060105329"])
    begin: Day
    end: Day | None = None
    contributor_category: str = Field(examples=["A"])
    capacity: WorkerCapacity = WorkerCapacity.SELF_EMPLOYED
    enterprise_number: str | None = Field(default=None, examples=["0403019261"])
    cas: str | None = None


class Cessation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end: Day
    reason: EndReason = EndReason.CESSATION


class CategoryChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contributor_category: str
    begin: Day


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    begin: Day
    end: Day | None = None


class AssimilationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    niss: str
    code: StrictInt = Field(examples=[7])
    begin: Day
    end: Day | None = None
    granted: StrictBool
    decided_on: Day


class SentMessage(BaseModel):
    message_id: str
    flow: str
    event_date: date | None


class WriteRead(BaseModel):
    niss: str
    affiliation_id: str | None
    messages: list[SentMessage]

    @classmethod
    def of(cls, result: careers.WriteResult) -> WriteRead:
        return cls(
            niss=result.career.niss,
            affiliation_id=result.affiliation_id,
            messages=[
                SentMessage(message_id=m.id, flow=m.flow, event_date=m.event_date)
                for m in result.messages
            ],
        )


class CareerRead(BaseModel):
    niss: str
    status_code: str
    attestation_id: str
    deliberation: str | None
    segments: list[dict[str, Any]]
    assimilated_periods: list[dict[str, Any]] | None


@router.post("/affiliations", response_model=WriteRead, status_code=status.HTTP_201_CREATED)
async def declare_affiliation(body: AffiliationCreate, uow: UowDep, caller: CallerDep) -> WriteRead:
    """Declare an affiliation. A first installation, or a resumption after at least one whole
    quarter without affiliation, sends a start message to the institutions entitled to it."""
    command = careers.DeclareAffiliation(
        niss=body.niss,
        begin=body.begin,
        end=body.end,
        contributor_category=body.contributor_category,
        capacity=body.capacity,
        enterprise_number=body.enterprise_number,
        cas=body.cas,
    )
    return WriteRead.of(careers.declare_affiliation(uow, caller=caller, command=command))


@router.post("/affiliations/{affiliation_id}/cessation", response_model=WriteRead)
async def declare_end(
    affiliation_id: str, body: Cessation, uow: UowDep, caller: CallerDep
) -> WriteRead:
    """Declare the end (radiation) of an affiliation. Unless it is a transfer to another CAS, or
    another affiliation follows the next day, a stop message goes out."""
    result = careers.declare_end(
        uow, caller=caller, affiliation_id=affiliation_id, end=body.end, reason=body.reason
    )
    return WriteRead.of(result)


@router.post("/affiliations/{affiliation_id}/contributor-code", response_model=WriteRead)
async def change_category(
    affiliation_id: str, body: CategoryChangeCreate, uow: UowDep, caller: CallerDep
) -> WriteRead:
    """Change the contributor category of an affiliation from a date."""
    result = careers.change_category(
        uow,
        caller=caller,
        affiliation_id=affiliation_id,
        category=body.contributor_category,
        begin=body.begin,
    )
    return WriteRead.of(result)


@router.post("/affiliations/{affiliation_id}/correction", response_model=WriteRead)
async def correct_affiliation(
    affiliation_id: str, body: Correction, uow: UowDep, caller: CallerDep
) -> WriteRead:
    """Correct a wrongly declared period (a back-dated begin sends a new start message)."""
    result = careers.correct_affiliation(
        uow, caller=caller, affiliation_id=affiliation_id, begin=body.begin, end=body.end
    )
    return WriteRead.of(result)


@router.post("/assimilated-periods", response_model=WriteRead, status_code=status.HTTP_201_CREATED)
async def record_assimilation(
    body: AssimilationCreate, uow: UowDep, caller: CallerDep
) -> WriteRead:
    """INASTI records its decision on an assimilated period."""
    command = careers.RecordAssimilation(
        niss=body.niss,
        code=body.code,
        begin=body.begin,
        end=body.end,
        granted=body.granted,
        decided_on=body.decided_on,
    )
    return WriteRead.of(careers.record_assimilation(uow, caller=caller, command=command))


@router.get("/careers/{niss}", response_model=CareerRead)
async def consult_career(
    niss: str,
    uow: UowDep,
    caller: CallerDep,
    at: Day | None = Query(default=None, description="the situation on this date"),
    since: Day | None = Query(default=None, alias="from"),
    until: Day | None = Query(default=None, alias="to"),
) -> CareerRead:
    """Form L302: the career per segment, with the fields the caller's deliberation grants.
    ``status_code`` is MSG00000 (data found) or MSG00100 (no data)."""
    answer = careers.consult_career(uow, caller=caller, niss=niss, at=at, since=since, until=until)
    return CareerRead(
        niss=answer.niss,
        status_code=answer.status_code,
        attestation_id=answer.attestation_id,
        deliberation=answer.deliberation,
        segments=answer.segments,
        assimilated_periods=answer.assimilated_periods,
    )
