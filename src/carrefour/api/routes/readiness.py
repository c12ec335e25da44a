"""``GET /readyz``: whether this process can serve (for a load balancer or an orchestrator)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from carrefour.api.deps import HubDep
from carrefour.services.operations import readiness

router = APIRouter(tags=["operations"])


class Ready(BaseModel):
    status: str
    """``ready`` or ``not ready``."""
    database: bool
    migrations: bool
    worker: bool
    problems: list[str]


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: {"model": Ready, "description": "not ready: the problems say why"}},
)
async def readyz(hub: HubDep) -> JSONResponse:
    """Ready when the database answers, its schema is at this version's newest revision, and a
    background worker (in this process or a `carrefour worker`) finished a round recently
    (`CARREFOUR_WORKER_STALE_SECONDS`). 503 otherwise, naming each problem."""
    try:
        schema = hub.schema()
        with hub.uow(read_only=True) as uow:
            state = readiness(
                uow, schema=schema, worker_stale_seconds=hub.settings.worker_stale_seconds
            )
        body = Ready(
            status="ready" if state.ready else "not ready",
            database=True,
            migrations=state.migrations,
            worker=state.worker,
            problems=list(state.problems),
        )
    except Exception as error:  # the database did not answer: that is the answer
        body = Ready(
            status="not ready",
            database=False,
            migrations=False,
            worker=False,
            problems=[f"the database did not answer: {type(error).__name__}"],
        )
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ready" else 503)
