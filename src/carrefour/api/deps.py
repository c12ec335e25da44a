"""Request dependencies: the hub, a unit of work, and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from carrefour.api.tls import client_fingerprint
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.services.certificates import authenticate_certificate
from carrefour.services.institutions import authenticate
from carrefour.services.unit_of_work import UnitOfWork


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


# The dependencies are ``async`` on purpose: FastAPI then runs them on the event loop, not in
# its thread pool. The database work of a request is short; running it inline avoids a thread
# hop per dependency and keeps SQLite's single writer from being contended by pool threads.


async def get_uow(hub: Annotated[Hub, Depends(get_hub)]) -> AsyncIterator[UnitOfWork]:
    with hub.uow() as uow:
        yield uow


async def get_caller(request: Request, uow: Annotated[UnitOfWork, Depends(get_uow)]) -> Institution:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    fingerprint = client_fingerprint(request.scope)
    if fingerprint is None:
        caller = authenticate(uow, bearer)
    else:  # mutual TLS: the certificate names the institution
        caller = authenticate_certificate(uow, fingerprint, bearer)
    # Authentication only reads: end its transaction so that no lock is held while the route
    # works (a batch runs its own transactions; SQLite has one writer).
    uow.commit()
    return caller


HubDep = Annotated[Hub, Depends(get_hub)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
CallerDep = Annotated[Institution, Depends(get_caller)]
