"""Request dependencies: the hub, a unit of work, and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from carrefour.api.tls import client_fingerprint
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.services.certificates import authenticate_certificate
from carrefour.services.institutions import CredentialCache
from carrefour.services.unit_of_work import UnitOfWork

# The dependencies are ``async`` on purpose, even those that do not await: FastAPI runs a plain
# ``def`` dependency in its thread pool, a thread hop that cost a fifth of a request's time.
# Opening a unit of work touches no database (its transaction begins at its first statement).
# A route that writes (``UowDep``) is a plain ``def``, run in the thread pool: on SQLite its
# transaction waits there for the write lock a batch chunk may hold for a second or more, where
# on the event loop it froze every other request, ``/healthz`` included. A route that only
# reads (``ReadUowDep``) stays on the loop: its transaction takes no lock.


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def get_uow(hub: Annotated[Hub, Depends(get_hub)]) -> AsyncIterator[UnitOfWork]:
    """A unit of work for a route that writes, a plain ``def`` route (see above); a write
    refused before anything was committed hands its consultation lines to the request."""
    with hub.uow() as uow:
        yield uow


async def get_read_uow(hub: Annotated[Hub, Depends(get_hub)]) -> AsyncIterator[UnitOfWork]:
    """A read-only unit of work for a route that only reads: no write lock on SQLite. Its
    consultation lines go to the request, which commits them (grouped with other requests'
    lines) before it answers (see ``api.consultation_log``)."""
    with hub.uow(read_only=True) as uow:
        yield uow


def bearer_of(scope: Scope) -> str | None:
    """The bearer credential of a request's ``Authorization`` header, if it sends one."""
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


def authenticate_bearer(hub: Hub, cache: CredentialCache, bearer: str | None) -> Institution:
    """The institution of a bearer credential, from the cache or a read-only unit of work of its
    own (on SQLite it takes no write lock: it never waits behind a batch chunk)."""
    return cache.authenticate(lambda: hub.uow(read_only=True), bearer, hub.clock.now())


async def get_caller(request: Request, hub: Annotated[Hub, Depends(get_hub)]) -> Institution:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    fingerprint = client_fingerprint(request.scope)
    if fingerprint is None:
        return authenticate_bearer(hub, request.app.state.credentials, bearer)
    # mutual TLS: the certificate names the institution
    with hub.uow(read_only=True) as uow:
        return authenticate_certificate(uow, fingerprint, bearer)


HubDep = Annotated[Hub, Depends(get_hub)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
CallerDep = Annotated[Institution, Depends(get_caller)]
