"""The directory consultation's short way: ``GET /v1/directory/{niss}`` (no query) answered by
an ASGI handler in front of the whole application (FastAPI's and Starlette's layers, the input
guard, the consultation log middleware, the routing), for the hub's most frequent request.

It authenticates the bearer credential (from the cache), authorises the consultation, reads
the person's lines with one statement and answers the JSON the declared route answers, byte for
byte: the route stays in the OpenAPI document and answers everything else. Any request it does
not answer whole goes on to the application unchanged: a header beyond the input guard's
limits, no credential, an unknown or expired one, a client certificate, a malformed NISS, a
refusal, an ``at`` (or any other) query. Those answers, their problem documents and their
consultation lines are therefore the application's own.

Its consultation line goes to the process's group commit (``consultation_log.RequestLog``, the
one the consultation log middleware uses), and the answer leaves only once that line is
committed; when the commit fails, the answer is the middleware's 500. A read that fails is
logged as the middleware logs it (the request's own line with its 500) and raised.

On PostgreSQL the statement is a network round trip: it runs on an asynchronous connection
(``hot_path.AsyncHotPath``), the event loop serving other requests meanwhile, while the
consultation line's commit (its own round trip, on the loop too) is under way. SQLite answers
it in tens of microseconds, less than a hop to a thread and back: it runs on the loop, before
the line is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import lru_cache
from typing import Any

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carrefour.adapters.db.hot_path import AsyncHotPath, HotPath
from carrefour.api.consultation_log import RequestLog, unavailable
from carrefour.api.deps import authenticate_bearer, bearer_of
from carrefour.api.guards import GuardViolation, check_headers
from carrefour.api.tls import client_fingerprint
from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError
from carrefour.domain.identifiers import parse_niss
from carrefour.services import consultations
from carrefour.services.directory import FLOW, visible_lines
from carrefour.services.institutions import CredentialCache

PREFIX = "/v1/directory/"
_JSON = b"application/json"
_encode = msgspec.json.Encoder().encode


@lru_cache(maxsize=4096)
def _niss_value(given: str) -> str:
    """``parse_niss(given).value``, remembered for the persons read most (a refusal is not)."""
    return parse_niss(given).value


def page_body(lines: list[IntegrationLine]) -> bytes:
    """The JSON of ``Page[IntegrationRead]`` for ``lines``, as the route's response model
    writes it (same members, same order, no spaces)."""
    items = [
        {
            "id": line.id,
            "niss": line.niss,
            "institution": line.institution,
            "capacity": line.capacity,
            "phase": line.phase,
            "begin": line.period.begin,
            "end": line.period.end,
        }
        for line in lines
    ]
    return _encode({"items": items, "next_cursor": None})


class DirectoryReads:
    """The front of the application: the short way, or ``app`` (the whole application)."""

    def __init__(
        self,
        app: ASGIApp,
        hub: Hub,
        credentials: CredentialCache,
        hot_path: HotPath,
        log: RequestLog,
        async_path: AsyncHotPath | None = None,
    ) -> None:
        self.app = app
        self.hub = hub
        self.credentials = credentials
        self.hot_path = hot_path
        self.log = log
        self.async_path = async_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("query_string")
            and str(scope["path"]).startswith(PREFIX)
            and await self._answer(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        """Answer the request whole and return True, or return False having logged nothing
        (the application is to answer)."""
        trace = consultations.start_trace()
        decided = self._decide(scope)
        if decided is None:
            return False
        caller, niss = decided
        deferred, trace.deferred = trace.deferred, []
        log = self.log.lines
        if self.async_path is not None:
            committed = log.submit(deferred)
            try:
                lines = await self.async_path.lines_of(niss)
            except Exception:
                await _settled(committed)
                await self.log.log(scope, 500, trace)
                raise
        else:
            try:
                lines = self.hot_path.lines_of(niss)
            except Exception:
                trace.deferred = deferred
                await self.log.log(scope, 500, trace)
                raise
            committed = log.submit(deferred)
        body = page_body(visible_lines(caller, lines))
        try:
            await committed
        except Exception:  # its line is not committed: the answer does not leave
            await unavailable(scope)(scope, _no_body, send)
            return True
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", _JSON)],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return True

    def _decide(self, scope: Scope) -> tuple[Institution, str] | None:
        """The authenticated caller and the NISS, the consultation allowed and its line handed
        to the request; None for a request the application is to answer."""
        given: str = scope["path"][len(PREFIX) :]
        if not given or "/" in given or client_fingerprint(scope) is not None:
            return None
        try:
            check_headers(scope["headers"])
        except GuardViolation:
            return None
        hub = self.hub
        try:
            caller = authenticate_bearer(hub, self.credentials, bearer_of(scope))
            niss = _niss_value(given)
        except CarrefourError:
            return None
        allowed = consultations.consult_in_request(
            caller=caller, flow=FLOW, niss=niss, rules=hub.catalogue.rules, clock=hub.clock
        )
        if not allowed:
            return None
        scope["path_params"] = {"niss": given}
        return caller, niss


async def _settled(future: asyncio.Future[None]) -> None:
    """Wait for ``future``, whatever it ends with."""
    with contextlib.suppress(Exception):
        await future


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def install(
    app: Any,
    hub: Hub,
    credentials: CredentialCache,
    hot_path: HotPath,
    log: RequestLog,
    async_path: AsyncHotPath | None = None,
) -> None:
    """Put the short way in front of the whole application (``app.front``, see ``api.app``)."""
    app.front = DirectoryReads(app.front, hub, credentials, hot_path, log, async_path)
