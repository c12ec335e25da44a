"""``/v1/consultations``: who consulted or received what about a person, when, under which rule."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from carrefour.api.deps import CallerDep, UowDep
from carrefour.api.schemas import Page
from carrefour.domain.errors import InvalidInput
from carrefour.services import consultations
from carrefour.services.unit_of_work import ConsultationEntry

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])


class ConsultationRead(BaseModel):
    position: int | None
    at: datetime
    caller: str
    action: str
    flow: str
    niss: str | None
    object_id: str | None
    rule_id: str | None
    allowed: bool
    reason_code: str | None
    status_code: str
    http_status: int | None
    detail: str

    @classmethod
    def of(cls, line: ConsultationEntry) -> ConsultationRead:
        return cls(
            position=line.position,
            at=line.at,
            caller=line.caller,
            action=line.action,
            flow=line.flow,
            niss=line.niss,
            object_id=line.object_id,
            rule_id=line.rule_id,
            allowed=line.allowed,
            reason_code=line.reason_code,
            status_code=line.status_code,
            http_status=line.http_status,
            detail=line.detail,
        )


@router.get("", response_model=Page[ConsultationRead])
async def of_person(
    uow: UowDep,
    caller: CallerDep,
    niss: str = Query(description="the person (11 digits, may be formatted)"),
    after: str | None = Query(default=None, description="the next_cursor of the previous page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[ConsultationRead]:
    """The consultation log of one person, newest first: every request about them, allowed or
    refused (who, operation, object, rule, outcome, status). For bcss and the institutions a
    deliberation allows; the consultation is itself logged."""
    if after is not None and not after.isdigit():
        raise InvalidInput(f"cursor {after!r} is not one this list returned", cursor=after)
    lines, cursor = consultations.consultations_of(
        uow, caller=caller, niss=niss, before=int(after) if after else None, limit=limit
    )
    return Page[ConsultationRead](
        items=[ConsultationRead.of(x) for x in lines],
        next_cursor=str(cursor) if cursor is not None else None,
    )
