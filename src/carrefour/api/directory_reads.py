"""The directory consultation's short way: ``GET /v1/directory/{niss}`` (no query) answered by
an ASGI handler in front of the routing, for the hub's most frequent request.

It authenticates the bearer credential (from the cache), authorises the consultation, reads
the person's lines with one statement and answers the JSON the declared route answers, byte for
byte: the route stays in the OpenAPI document and answers everything else. Any request it does
not answer whole goes on to the route unchanged: no credential, an unknown or expired one, a
client certificate, a malformed NISS, a refusal, an ``at`` (or any other) query. Those answers,
their problem documents and their consultation lines are therefore the route's own.

Its consultation line goes to the request like a read-only unit of work's, and the consultation
log middleware commits it (grouped with other requests' lines) before the answer leaves.

On PostgreSQL the statement is a network round trip: it runs on a thread, the event loop serving
other requests meanwhile. SQLite answers it in tens of microseconds, less than a hop to a thread
and back: it runs on the loop.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

import msgspec
from starlette.types import ASGIApp, Receive, Scope, Send

from carrefour.adapters.db.hot_path import HotPath
from carrefour.api.deps import authenticate_bearer, bearer_of
from carrefour.api.tls import client_fingerprint
from carrefour.bootstrap import Hub
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError
from carrefour.domain.identifiers import parse_niss
from carrefour.services import consultations
from carrefour.services.directory import FLOW, visible_lines
from carrefour.services.institutions import CredentialCache

PREFIX = "/v1/directory/"
_HEADERS = b"application/json"
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
    def __init__(
        self, app: ASGIApp, hub: Hub, credentials: CredentialCache, hot_path: HotPath
    ) -> None:
        self.app = app
        self.hub = hub
        self.credentials = credentials
        self.hot_path = hot_path
        self.off_loop = hub.engine.dialect.name != "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("query_string")
            and str(scope["path"]).startswith(PREFIX)
        ):
            body = await self._answer(scope)
            if body is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(body)).encode()),
                            (b"content-type", _HEADERS),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> bytes | None:
        """The answer's body, or None when the route is to answer."""
        given: str = scope["path"][len(PREFIX) :]
        if not given or "/" in given or client_fingerprint(scope) is not None:
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
        if self.off_loop:
            lines = await asyncio.to_thread(self.hot_path.lines_of, niss)
        else:
            lines = self.hot_path.lines_of(niss)
        return page_body(visible_lines(caller, lines))


def install(app: Any, hub: Hub, credentials: CredentialCache, hot_path: HotPath) -> None:
    """Put the short way innermost among the middlewares (inside the consultation log's)."""
    app.add_middleware(DirectoryReads, hub=hub, credentials=credentials, hot_path=hot_path)
