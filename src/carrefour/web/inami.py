"""The INAMI administrative cell's pages: the case queue, one case (the person's voucher
tracking across the emitters, the case's documents and its intervention thread), issuing a
provisional proof of insurability and opening its PDF.

The cell's agents act as the cell (``inami-sca``) through ``services.inami``, which checks the
deliberations and writes the consultation log as for the API. The hub's operators see the same
pages **[assumption]**: they read them as the cell (the log names ``inami-sca``, the institution
whose deliberations open them), and only the cell's agents issue a proof.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carrefour.api.deps import HubDep
from carrefour.domain.catalogue import Institution
from carrefour.domain.console import INAMI_CELL_INSTITUTION, Role
from carrefour.services import inami as inami_service
from carrefour.services.console_users import SignedIn
from carrefour.web.common import ConsoleRoute, CsrfChecked, InamiCell, WrongRole, page, root

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)  # joins console.router

#: Cases per page of the queue.
CASES = 50


def acting_as(hub: HubDep, who: SignedIn) -> Institution:
    """The institution the pages act as: the cell, for its agents and for the hub's operators."""
    if who.role is Role.INAMI_CELL:
        return who.institution
    return hub.catalogue.institution(INAMI_CELL_INSTITUTION)


@router.get("/inami/cases")
def cases(request: Request, hub: HubDep, who: InamiCell, after: str = "") -> HTMLResponse:
    with hub.uow() as uow:
        found = inami_service.list_cases(
            uow, caller=acting_as(hub, who), after=after or None, limit=CASES
        )
    more = (
        f"{root(request)}/inami/cases?after={quote(found.next_cursor)}"
        if found.next_cursor
        else None
    )
    return page(request, "inami_cases.html", who=who, active="inami", cases=found.items, more=more)


@router.get("/inami/cases/{case_id}")
def case(request: Request, hub: HubDep, who: InamiCell, case_id: str) -> HTMLResponse:
    with hub.uow() as uow:
        detail = inami_service.case_detail(uow, caller=acting_as(hub, who), case_id=case_id)
    return page(
        request,
        "inami_case.html",
        who=who,
        active="inami",
        detail=detail,
        may_issue=who.role is Role.INAMI_CELL,
    )


@router.post("/inami/cases/{case_id}/provisional-proof", dependencies=[CsrfChecked])
def issue_proof(request: Request, hub: HubDep, who: InamiCell, case_id: str) -> Response:
    if who.role is not Role.INAMI_CELL:
        raise WrongRole
    with hub.uow() as uow:
        proof = inami_service.issue_provisional_proof(
            uow, caller=who.institution, case_id=case_id, renderer=hub.renderer
        )
    target = f"{root(request)}/inami/cases/{quote(case_id, safe='')}"
    return RedirectResponse(f"{target}?issued={quote(proof.id)}#proofs", status_code=303)


@router.get("/inami/cases/{case_id}/documents/{document_id}")
def case_document(hub: HubDep, who: InamiCell, case_id: str, document_id: str) -> Response:
    with hub.uow() as uow:
        record, content = inami_service.case_document(
            uow, caller=acting_as(hub, who), case_id=case_id, document_id=document_id
        )
    return Response(
        content=content,
        media_type=record.media_type,
        headers={"Content-Disposition": f'inline; filename="{record.id}"'},
    )
