"""``POST /v1/vouchers``: one contribution voucher (A908), routed to the person's mutuality."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from carrefour.api.deps import CallerDep, HubDep
from carrefour.api.routes.batches import BatchRead, read_body, submit
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import InvalidInput
from carrefour.services import vouchers

router = APIRouter(prefix="/v1/vouchers", tags=["vouchers"])

NDJSON = ("application/x-ndjson", "application/jsonl", "application/jsonlines")


class VoucherOutcomeRead(BaseModel):
    message_id: str
    niss: str
    kind: str
    period: str
    status: str
    recipients: list[str]
    document_id: str | None
    a911_id: str | None
    submitted_id: str | None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=VoucherOutcomeRead | BatchRead,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
async def submit_voucher(
    request: Request,
    response: Response,
    hub: HubDep,
    caller: CallerDep,
) -> VoucherOutcomeRead | BatchRead:
    """One voucher as a JSON object: ``{"kind": "employee", "niss": "...", "period": "2025Q1",
    "ct1": "...", "ct2": "...", ...kind fields}`` (docs/formats.md lists them). It is routed to
    the mutuality that integrated the person; when none has, ``status`` is ``paper`` and
    ``document_id`` names the paper voucher (``GET /v1/documents/{id}``). A JSON Lines body
    (``Content-Type: application/x-ndjson``) is taken as a batch, as ``POST /v1/batches``."""
    content = await read_body(request, hub.settings.max_upload_bytes)
    if request.headers.get("content-type", "").split(";")[0].strip() in NDJSON:
        return await run_in_threadpool(submit, hub, caller, content, "jsonl", request, response)
    data: Any = _json_object(content)
    outcome = await run_in_threadpool(_submit_one, hub, caller, data)
    return VoucherOutcomeRead(
        message_id=outcome.message_id,
        niss=outcome.niss,
        kind=outcome.kind,
        period=outcome.period,
        status=outcome.status,
        recipients=outcome.recipients,
        document_id=outcome.document_id,
        a911_id=outcome.a911_id,
        submitted_id=outcome.submitted_id,
    )


def _submit_one(hub: Hub, caller: Institution, data: Any) -> vouchers.VoucherOutcome:
    # Its own unit of work, in the thread pool: a voucher routed on the loop, holding the write
    # lock, would make a batch sent the same way (below) wait for it.
    with hub.uow() as uow:
        return vouchers.submit_voucher(uow, caller=caller, data=data, renderer=hub.renderer)


def _json_object(content: bytes) -> dict[str, Any]:
    """The body read raw (to take JSON and JSON Lines alike), as one JSON object."""
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be one JSON object (a voucher)")
    return data
