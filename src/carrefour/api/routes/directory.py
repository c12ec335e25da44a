"""The person directory over HTTP: the caller's own integrations."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status

from carrefour.api.deps import CallerDep, ReadUowDep, UowDep
from carrefour.api.schemas import Day, IntegrationCreate, IntegrationEnd, IntegrationRead, Page
from carrefour.domain.errors import InvalidInput
from carrefour.domain.periods import Period
from carrefour.services import directory

router = APIRouter(prefix="/v1/directory", tags=["directory"])


@router.get("", response_model=Page[IntegrationRead])
async def list_persons(
    uow: ReadUowDep,
    caller: CallerDep,
    at: Day | None = None,
    after: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[IntegrationRead]:
    """The persons the caller has integrated (optionally those in force on ``at``)."""
    lines, cursor = directory.persons_of(uow, caller=caller, at=at, after=after, limit=limit)
    return Page[IntegrationRead](items=[IntegrationRead.of(x) for x in lines], next_cursor=cursor)


@router.get("/{niss}", response_model=Page[IntegrationRead])
async def show(
    niss: str, uow: ReadUowDep, caller: CallerDep, at: Day | None = None
) -> Page[IntegrationRead]:
    """The caller's own integrations for this person."""
    lines = directory.lines_of_caller(uow, caller=caller, niss=niss, at=at)
    return Page[IntegrationRead](items=[IntegrationRead.of(x) for x in lines])


@router.put(
    "/{niss}/integrations", response_model=IntegrationRead, status_code=status.HTTP_201_CREATED
)
async def integrate(
    niss: str, body: IntegrationCreate, uow: UowDep, caller: CallerDep, response: Response
) -> IntegrationRead:
    """Form I605: integrate the person for the caller."""
    command = directory.Integrate(
        niss=niss, capacity=body.capacity, phase=body.phase, begin=body.begin, end=body.end
    )
    line = directory.integrate(uow, caller=caller, command=command)
    response.headers["Location"] = f"/v1/directory/{line.niss}/integrations/{line.id}"
    return IntegrationRead.of(line)


@router.delete("/{niss}/integrations/{line_id}", response_model=Page[IntegrationRead])
async def end(
    niss: str,
    line_id: str,
    uow: UowDep,
    caller: CallerDep,
    end: Day | None = None,
    cut_begin: Day | None = None,
    cut_end: Day | None = None,
) -> Page[IntegrationRead]:
    """Form S607: end the line on ``end`` (default today), or cut ``cut_begin``..``cut_end`` out
    of it. Returns the lines that remain of it."""
    command = IntegrationEnd(end=end, cut_begin=cut_begin, cut_end=cut_end)
    if command.cut_begin is not None:
        if command.end is not None:
            raise InvalidInput("give either end, or cut_begin (and cut_end), not both")
        period = Period(command.cut_begin, command.cut_end)
        remains = directory.cut_integration(
            uow, caller=caller, niss=niss, line_id=line_id, period=period
        )
        return Page[IntegrationRead](items=[IntegrationRead.of(x) for x in remains])
    if command.cut_end is not None:
        raise InvalidInput("cut_end needs cut_begin")
    line = directory.end_integration(
        uow, caller=caller, niss=niss, line_id=line_id, end=command.end or uow.clock.today()
    )
    return Page[IntegrationRead](items=[IntegrationRead.of(line)])
