"""Request dependencies: the hub, a unit of work, and the authenticated caller."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from carrefour.adapters.db.engine import BUSY_TIMEOUT_MS
from carrefour.adapters.db.unit_of_work import SqlUnitOfWork
from carrefour.api.tls import client_fingerprint
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.services.certificates import authenticate_certificate
from carrefour.services.institutions import CredentialCache
from carrefour.services.unit_of_work import UnitOfWork

# The dependencies are ``async`` on purpose, even those that do not await: FastAPI runs a plain
# ``def`` dependency in its thread pool, a thread hop that cost a fifth of a request's time. The
# database work of a request is short and runs on the event loop, so nothing there may wait: a
# route that only reads (``ReadUowDep``) takes no lock, and a route that writes (``UowDep``)
# runs once its unit of work holds SQLite's write lock, taken without waiting and tried again a
# moment later while another writer (a batch chunk, for a second or more) holds it. Waiting for
# it inside the route froze every request of the process, ``/healthz`` included.


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


#: Requests of one process that hold a unit of work for a route that writes at once. Such a
#: request holds its pool connection while it waits, on the loop, for the write lock: without a
#: bound, a burst of them behind a batch chunk took every connection of the pool, and the next
#: checkout waited on the loop (the pool's 30 s timeout, every request stalled). The engine's
#: pool has room for these, the workers and the threads (``adapters.db.engine``).
WRITE_SLOTS = 32

_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _write_slots() -> asyncio.Semaphore:
    """The slots of the running loop (a semaphore belongs to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    slots = _SLOTS.get(loop)
    if slots is None:
        slots = _SLOTS[loop] = asyncio.Semaphore(WRITE_SLOTS)
    return slots


#: Seconds between the loop's attempts at the write lock another writer holds: the first,
#: doubling up to the last; and how long it tries before the request fails as SQLite's busy
#: timeout would have it fail ("database is locked").
ROUTE_LOCK_RETRY_SECONDS = (0.00025, 0.005)
ROUTE_LOCK_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000


async def get_uow(hub: Annotated[Hub, Depends(get_hub)]) -> AsyncIterator[UnitOfWork]:
    """A unit of work for a route that writes, holding SQLite's write lock (see above), once one
    of the ``WRITE_SLOTS`` is free; a write refused before anything was committed hands its
    consultation lines to the request."""
    async with _write_slots():
        with hub.uow() as uow:
            await _write_lock(uow)
            yield uow


async def _write_lock(uow: SqlUnitOfWork) -> None:
    delay, most = ROUTE_LOCK_RETRY_SECONDS
    deadline = time.monotonic() + ROUTE_LOCK_WAIT_SECONDS
    while not uow.try_begin():
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(
                f"database is locked: another writer held it for {ROUTE_LOCK_WAIT_SECONDS:.0f} s"
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, most)


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
