"""The person page: search by NISS (formatted or not), then everything the reader may see
about the person (``services.person_page``), and the paper voucher's PDF."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carrefour.api.deps import HubDep
from carrefour.domain.errors import InvalidNiss
from carrefour.domain.identifiers import parse_niss
from carrefour.services import person_page
from carrefour.web import timeline
from carrefour.web.common import (
    ConsoleRoute,
    Who,
    language_of,
    page,
    root,
    translate,
)
from carrefour.web.i18n import gettext_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)  # joins console.router


@router.get("/persons")
def search(request: Request, who: Who, niss: str = "") -> Response:
    if niss.strip():
        try:
            found = parse_niss(niss.strip()).value
        except InvalidNiss as error:
            return page(request, "persons.html", 422, who=who, niss=niss, error=error.detail)
        return RedirectResponse(f"{root(request)}/persons/{quote(found)}", status_code=303)
    return page(request, "persons.html", who=who, niss="", error=None)


@router.get("/persons/{niss}")
def person(request: Request, hub: HubDep, who: Who, niss: str) -> HTMLResponse:
    with hub.uow() as uow:
        view = person_page.person_page(uow, caller=who.institution, niss=niss)
    drawing = timeline.svg(
        view.bars,
        view.starts_and_stops,
        today=hub.clock.today(),
        translate=gettext_of(language_of(request)),
    )
    return page(
        request,
        "person.html",
        who=who,
        view=view,
        timeline=drawing,
        active="persons",
        title=translate(request, "Person"),
    )


@router.get("/documents/{document_id}")
def document(hub: HubDep, who: Who, document_id: str) -> Response:
    with hub.uow() as uow:
        found = person_page.document(uow, caller=who.institution, document_id=document_id)
    return Response(
        content=found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'inline; filename="{found.id}.pdf"'},
    )
