"""``/v1/tracking``: which messages were sent about a person the caller has integrated."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from carrefour.api.deps import CallerDep, UowDep
from carrefour.api.schemas import Page, TrackingRead
from carrefour.services import tracking

router = APIRouter(prefix="/v1/tracking", tags=["tracking"])


@router.get("", response_model=Page[TrackingRead])
async def consult(
    uow: UowDep,
    caller: CallerDep,
    niss: str = Query(description="the person (11 digits, may be formatted)"),
    flow: str | None = None,
    since: date | None = Query(default=None, alias="from"),
    until: date | None = Query(default=None, alias="to"),
) -> Page[TrackingRead]:
    entries = tracking.consult(uow, caller=caller, niss=niss, flow=flow, since=since, until=until)
    return Page[TrackingRead](items=[TrackingRead.of(e) for e in entries])
