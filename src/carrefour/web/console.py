"""The operator console: server-rendered pages (Jinja2, htmx) on ``services.operations``.

An operator signs in by pasting a credential of the hub itself (``carrefour institutions
credential bcss``); it is kept in an HttpOnly, ``SameSite=Strict`` cookie scoped to
``/console`` and checked on every page like a bearer credential. Another institution's
credential is refused (403); no cookie sends the browser to the sign-in page.

Every POST (sign in, sign out, verify, rerun) must come from a page of the console itself: its
``Origin`` header (or, when a browser sends none, its ``Referer``) must name the host the request
was sent to. With the ``SameSite=Strict`` cookie that is the cross-site request forgery guard.

The handlers are plain ``def``: FastAPI runs them in its thread pool, so a page that reads much
of the tracking file does not hold up the API's requests on the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from carrefour.api.deps import HubDep
from carrefour.api.problems import status_of
from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import CarrefourError, InvalidNiss, Unauthenticated
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import DeliveryStatus
from carrefour.services import operations
from carrefour.services import tracking as tracking_service

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

COOKIE = "carrefour_console"
COOKIE_PATH = "/console"
PAGE_SIZE = 50


# --- rendering ------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def _niss(value: str | None) -> str:
    if not value:
        return ""
    try:
        return parse_niss(value).formatted()
    except InvalidNiss:
        return value


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _base(request: Request) -> dict[str, Any]:
    """What every template gets: the console's root path (behind a proxy's prefix too)."""
    return {"root": _root(request)}


_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every value is escaped unless a template says otherwise (none does)
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(when=_when, niss=_niss, pretty=_pretty)
templates = Jinja2Templates(env=_environment, context_processors=[_base])


# Scripts and styles come from /console/static only (the pages hold no inline script), the pages
# cannot be framed, and forms post to the console alone.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Vary": "HX-Request, Cookie",
}


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(_HEADERS)
    return response


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# --- errors, sign-in and the forgery guard --------------------------------------------------


class _SignInRequired(Exception):
    """No console cookie: the browser goes to the sign-in page."""


class _CrossSite(Exception):
    """A POST whose Origin/Referer is not this host."""


class ConsoleRoute(APIRoute):
    """Turns what a console page may raise into an HTML answer instead of problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except _SignInRequired:
                return RedirectResponse(_root(request) + "/login", status_code=303)
            except _CrossSite:
                return _error(request, 403, "Refused", "this form was not sent from the console")
            except Unauthenticated as error:
                response = _page(request, "login.html", 401, error=error.detail)
                response.delete_cookie(COOKIE, path=COOKIE_PATH)
                return response
            except CarrefourError as error:
                return _error(request, status_of(error), error.title, error.detail)
            except RequestValidationError as error:
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                    for e in error.errors()
                )
                return _error(request, 422, "Invalid request", detail)

        return guarded


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + COOKIE_PATH


def _error(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    return _page(request, "error.html", status_code, title=title, detail=detail)


def _same_origin(request: Request) -> None:
    """The forgery guard of every POST (see the module's docstring)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    if not host or urlsplit(source).netloc != host:
        raise _CrossSite


def _operator(request: Request, hub: HubDep) -> Institution:
    token = request.cookies.get(COOKIE)
    if not token:
        raise _SignInRequired
    with hub.uow() as uow:
        return operations.operator(uow, token=token)


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form body (what browsers and htmx send), first value of each field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body).items()}


Operator = Annotated[Institution, Depends(_operator)]
SameOrigin = Depends(_same_origin)
Form = Annotated[dict[str, str], Depends(_form)]

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=ConsoleRoute)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return _page(request, "login.html", error=None)


@router.post("/login", dependencies=[SameOrigin])
def login(request: Request, hub: HubDep, form: Form) -> Response:
    token = form.get("credential", "").strip()
    with hub.uow() as uow:
        operations.operator(uow, token=token)
    response = RedirectResponse(_root(request) + "/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", dependencies=[SameOrigin])
def logout(request: Request) -> Response:
    response = RedirectResponse(_root(request) + "/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


# --- pages ----------------------------------------------------------------------------------


@router.get("/")
def dashboard(request: Request, hub: HubDep, operator: Operator) -> HTMLResponse:
    with hub.uow() as uow:
        board = operations.dashboard(uow)
    return _page(
        request,
        "dashboard.html",
        operator=operator,
        board=board,
        statuses=list(DeliveryStatus),
        report=None,
    )


@router.post("/verify", dependencies=[SameOrigin])
def verify(request: Request, hub: HubDep, operator: Operator) -> HTMLResponse:
    with hub.uow() as uow:
        report = tracking_service.verify(uow, signer=hub.signer, journal=hub.journal)
        board = None if _htmx(request) else operations.dashboard(uow)
    if board is None:
        return _page(request, "_verify.html", report=report)
    return _page(
        request,
        "dashboard.html",
        operator=operator,
        board=board,
        statuses=list(DeliveryStatus),
        report=report,
    )


@router.get("/transactions")
def transactions(
    request: Request,
    hub: HubDep,
    operator: Operator,
    niss: str = "",
    flow: str = "",
    emitter: str = "",
    recipient: str = "",
    status: str = "",
    before: int | None = None,
) -> HTMLResponse:
    filters = {
        "niss": niss.strip(),
        "flow": flow.strip(),
        "emitter": emitter.strip(),
        "recipient": recipient.strip(),
        "status": status.strip(),
    }
    error = None
    page = operations.TransactionPage((), None)
    try:
        with hub.uow() as uow:
            page = operations.transactions(
                uow, by=operator.id, limit=PAGE_SIZE, before=before, **filters
            )
    except CarrefourError as failure:
        error = failure.detail
    query = {key: value for key, value in filters.items() if value}
    more = (
        None
        if page.next_before is None
        else f"{_root(request)}/transactions?{urlencode({**query, 'before': page.next_before})}"
    )
    context: dict[str, Any] = {"page": page, "more": more}
    if _htmx(request) and before is not None:
        return _page(request, "_transaction_rows.html", **context)
    return _page(
        request,
        "transactions.html",
        422 if error else 200,
        operator=operator,
        filters=filters,
        error=error,
        statuses=list(DeliveryStatus),
        **context,
    )


@router.get("/messages/{message_id}")
def message(request: Request, hub: HubDep, operator: Operator, message_id: str) -> HTMLResponse:
    with hub.uow() as uow:
        detail = operations.message_detail(uow, by=operator.id, message_id=message_id)
    return _page(request, "message.html", operator=operator, detail=detail)


@router.post("/messages/{message_id}/rerun", dependencies=[SameOrigin])
def rerun(
    request: Request, hub: HubDep, operator: Operator, message_id: str, form: Form
) -> Response:
    recipient = form.get("recipient") or None
    with hub.uow() as uow:
        count = operations.rerun(uow, message_id=message_id, by=operator.id, recipient=recipient)
    if not _htmx(request):
        target = f"{_root(request)}/messages/{quote(message_id, safe='')}"
        return RedirectResponse(target, status_code=303)
    return _page(request, "_rerun.html", count=count, recipient=recipient)


@router.get("/consultations")
def consultations(
    request: Request,
    hub: HubDep,
    operator: Operator,
    niss: str = "",
    caller: str = "",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> HTMLResponse:
    filters = {"niss": niss.strip(), "caller": caller.strip()}
    error = None
    entries: list[Any] = []
    try:
        with hub.uow() as uow:
            entries = operations.consultations(uow, limit=limit, **filters)
    except CarrefourError as failure:
        error = failure.detail
    return _page(
        request,
        "consultations.html",
        422 if error else 200,
        operator=operator,
        filters=filters,
        limit=limit,
        entries=entries,
        error=error,
    )
