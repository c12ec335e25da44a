"""The reference pages, read-only, for every role: the catalogue's institutions, flows,
deliberations and capacity codes, as the hub loaded them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from carrefour.api.deps import HubDep
from carrefour.web.common import ConsoleRoute, Who, page

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)  # joins console.router


@router.get("/reference")
def reference(request: Request, hub: HubDep, who: Who) -> HTMLResponse:
    catalogue = hub.catalogue
    return page(
        request,
        "reference.html",
        who=who,
        active="reference",
        institutions=sorted(catalogue.institutions.values(), key=lambda i: (i.sector, i.id)),
        flows=sorted(catalogue.flows.values(), key=lambda f: f.name),
        rules=sorted(catalogue.rules, key=lambda r: (r.flow, r.id)),
        capacities=sorted(catalogue.capacities.values(), key=lambda c: (c.sector, c.code)),
    )
