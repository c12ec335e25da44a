"""The batches page: upload a batch file as one's institution, watch it being processed, read
its per-record error report and download it as CSV.

The upload takes the API's accept path (``services.batches.accept_batch``): the file is stored,
``received``, and processed by the batch worker; the page polls its progress with htmx every
second until it is finished. An institution agent uploads as its institution and sees that
institution's batches only; an operator sees every batch and uploads as the hub.

The form is ``multipart/form-data`` (a file field): it is read with the standard library's MIME
parser, under the API's upload limit, and carries the session's CSRF token like every form.
"""

from __future__ import annotations

import csv
import io
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from carrefour.api.deps import HubDep
from carrefour.api.routes.batches import read_body
from carrefour.domain.console import Role
from carrefour.domain.errors import InvalidInput, NotFound
from carrefour.services import batches as batch_service
from carrefour.services import console_users
from carrefour.services.console_users import SignedIn
from carrefour.services.unit_of_work import Batch
from carrefour.web.common import (
    ConsoleRoute,
    Forgery,
    Who,
    WrongRole,
    htmx,
    page,
    root,
    same_origin,
    translate,
)

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)  # joins console.router

#: Batches listed on the page.
LISTED = 50
#: Errors shown on the page (the CSV holds them all, up to ``CSV_ERRORS``).
SHOWN_ERRORS = 200
CSV_ERRORS = 1_000_000
FINISHED = ("done", "refused", "cancelled", "failed")
FORMATS = ("", "jsonl", "fixed")


def _may_upload(who: SignedIn) -> None:
    if who.role not in (Role.AGENT, Role.OPERATOR):
        raise WrongRole


def _visible(who: SignedIn, batch: Batch | None, batch_id: str) -> Batch:
    """A batch of the reader's institution (any batch for an operator)."""
    if batch is None or (who.role is not Role.OPERATOR and batch.sender != who.institution.id):
        raise NotFound(f"no batch {batch_id} for {who.institution.id}", batch_id=batch_id)
    return batch


def progress_of(batch: Batch) -> int:
    """Percent of the records processed (100 once finished)."""
    if batch.status in FINISHED:
        return 100
    if not batch.total:
        return 0
    return min(100, int(100 * batch.next_record / batch.total))


def parse_upload(content_type: str, body: bytes) -> tuple[dict[str, str], bytes | None]:
    """The text fields and the ``file`` field of a ``multipart/form-data`` body."""
    if not content_type.startswith("multipart/form-data"):
        raise InvalidInput("the upload form is sent as multipart/form-data", field="file")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    content: bytes | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        if name == "file":
            content = data
        else:
            fields[name] = data.decode("utf-8", errors="replace")
    return fields, content


@router.get("/batches")
def batch_list(request: Request, hub: HubDep, who: Who) -> HTMLResponse:
    _may_upload(who)
    sender = None if who.role is Role.OPERATOR else who.institution.id
    with hub.uow() as uow:
        found = uow.batches.of_sender(sender, limit=LISTED)
    return page(
        request,
        "batches.html",
        who=who,
        active="batches",
        batches=found,
        progress_of=progress_of,
        error=None,
    )


@router.post("/batches")
async def upload(request: Request, hub: HubDep, who: Who) -> Response:
    _may_upload(who)
    same_origin(request)
    body = await read_body(request, hub.settings.max_upload_bytes)
    fields, content = parse_upload(request.headers.get("content-type", ""), body)
    token = fields.get("csrf") or request.headers.get("x-csrf-token")
    if not console_users.check_csrf(who.session, token):
        raise Forgery
    if not content:
        with hub.uow(read_only=True) as uow:
            found = uow.batches.of_sender(
                None if who.role is Role.OPERATOR else who.institution.id, limit=LISTED
            )
        return page(
            request,
            "batches.html",
            422,
            who=who,
            active="batches",
            batches=found,
            progress_of=progress_of,
            error=translate(request, "Choose a batch file to upload."),
        )
    file_format = fields.get("format") or None
    if file_format not in (None, *FORMATS[1:]):
        raise InvalidInput(f"unknown batch format {file_format!r}: jsonl or fixed", field="format")
    outcome = await run_in_threadpool(
        batch_service.accept_batch,
        hub.uow,
        caller=who.institution,
        content=content,
        file_format=file_format,
        idempotency_key=None,
    )
    return RedirectResponse(
        f"{root(request)}/batches/{quote(outcome.batch.id, safe='')}", status_code=303
    )


@router.get("/batches/{batch_id}")
def batch_page(request: Request, hub: HubDep, who: Who, batch_id: str) -> HTMLResponse:
    _may_upload(who)
    with hub.uow() as uow:
        batch = _visible(who, uow.batches.get(batch_id), batch_id)
        errors = uow.batches.errors(batch.id, limit=SHOWN_ERRORS)
    name = "_batch_progress.html" if htmx(request) else "batch.html"
    return page(
        request,
        name,
        who=who,
        active="batches",
        batch=batch,
        errors=errors,
        progress=progress_of(batch),
        finished=batch.status in FINISHED,
    )


@router.get("/batches/{batch_id}/errors.csv")
def batch_errors_csv(hub: HubDep, who: Who, batch_id: str) -> Response:
    _may_upload(who)
    with hub.uow() as uow:
        batch = _visible(who, uow.batches.get(batch_id), batch_id)
        errors = uow.batches.errors(batch.id, limit=CSV_ERRORS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "code", "detail"])
    writer.writerows(errors)
    return Response(
        content=out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="batch-{batch.id}-errors.csv"',
            "Cache-Control": "no-store",
        },
    )
