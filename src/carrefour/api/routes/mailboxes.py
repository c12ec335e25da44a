"""``/v1/mailbox``: pull the caller's messages and acknowledge them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from carrefour.api.deps import CallerDep, UowDep
from carrefour.api.schemas import AckCreate, AckRead, Page
from carrefour.services import mailboxes

router = APIRouter(prefix="/v1/mailbox", tags=["mailbox"])


@router.get("", response_model=Page[dict[str, Any]])
async def pull(
    uow: UowDep,
    caller: CallerDep,
    after: str | None = Query(default=None, description="the next_cursor of the last page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[dict[str, Any]]:
    """The caller's messages after the cursor, oldest first. Pulled messages count as delivered;
    keep the ``next_cursor`` and pass it as ``after`` next time."""
    page = mailboxes.pull(uow, caller=caller, after=after, limit=limit)
    return Page[dict[str, Any]](items=page.items, next_cursor=page.next_cursor)


@router.post("/acks", response_model=AckRead)
async def acknowledge(body: AckCreate, uow: UowDep, caller: CallerDep) -> AckRead:
    """Accept or reject a message; the same acknowledgement twice changes nothing."""
    outcome = mailboxes.acknowledge(
        uow, caller=caller, message_id=body.message_id, result=body.result, reason=body.reason
    )
    return AckRead(
        message_id=outcome.message_id,
        status=outcome.status,
        answer_id=outcome.answer_id,
        repeated=outcome.repeated,
    )
