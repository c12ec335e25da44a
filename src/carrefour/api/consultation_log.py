"""The API's share of the consultation log: the line of every request about a person or an
object by id that no use case logged (reads by id, PDF downloads, 404s on another institution's
document, batch, case, line or message), written before the request is answered.

The response is held until the application has finished with the request (its unit of work
closed, the use case's own lines written): only then is the request's line committed, and only
then does the answer leave.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carrefour.bootstrap import Hub
from carrefour.domain.errors import CarrefourError
from carrefour.services import consultations
from carrefour.services.institutions import authenticate


class ConsultationLogMiddleware:
    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        trace = consultations.start_trace()
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        except Exception:
            self._log(scope, 500, trace)
            raise
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        self._log(scope, int(status), trace)
        for message in held:
            await send(message)

    def _log(self, scope: Scope, status: int, trace: consultations.RequestTrace) -> None:
        params: dict[str, Any] = dict(scope.get("path_params") or {})
        niss = params.get("niss")
        object_id = consultations.request_object(params, trace)
        if not consultations.needs_request_line(
            trace, niss=niss, object_id=object_id, http_status=status
        ):
            return
        route = getattr(scope.get("route"), "path", None) or str(scope["path"])
        with self.hub.uow() as uow:
            try:
                caller = authenticate(uow, _bearer(scope))
            except CarrefourError:
                return
            consultations.request_line(
                uow,
                caller=caller.id,
                method=str(scope["method"]),
                route=route,
                niss=niss,
                object_id=object_id,
                http_status=status,
                trace=trace,
            )


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None
