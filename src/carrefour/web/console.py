"""The console: sign-in, language, and the hub operators' pages (dashboard, transactions,
messages, consultation log). The other pages live beside it (``person``...) and join ``router``.

See ``web.common`` for sessions, roles and the forgery guard.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carrefour.api.deps import HubDep
from carrefour.domain.console import Role
from carrefour.domain.errors import CarrefourError, NotFound
from carrefour.domain.messages import DeliveryStatus
from carrefour.services import console_users, delivery, operations
from carrefour.services import tracking as tracking_service
from carrefour.web import batches, flows, i18n, inami, person, reference
from carrefour.web.common import (
    COOKIE,
    COOKIE_PATH,
    LOGIN_COOKIE,
    PAGE_SIZE,
    STATIC_DIR,
    ConsoleRoute,
    CsrfChecked,
    Forgery,
    Form,
    Operator,
    Who,
    htmx,
    language_of,
    page,
    root,
    same_origin,
    set_login_cookie,
)

__all__ = ["COOKIE", "STATIC_DIR", "router"]

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=ConsoleRoute)


def home_of(role: Role) -> str:
    """The first page of each role."""
    return {Role.OPERATOR: "/", Role.AGENT: "/persons", Role.INAMI_CELL: "/persons"}[role]


# --- sign-in, sign-out, language ------------------------------------------------------------


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", error=None, csrf=token)
    set_login_cookie(request, response, token)
    return response


@router.post("/login")
def login(request: Request, hub: HubDep, form: Form) -> Response:
    same_origin(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
        raise Forgery
    settings = hub.settings
    with hub.uow() as uow:
        if form.get("credential", "").strip():
            session_id = console_users.sign_in_with_credential(
                uow,
                token=form["credential"].strip(),
                language=language_of(request),
                hours=settings.console_session_hours,
            )
        else:
            session_id = console_users.sign_in(
                uow,
                name=form.get("name", ""),
                password=form.get("password", ""),
                hours=settings.console_session_hours,
            )
        who = console_users.signed_in(uow, session_id=session_id)
    response = RedirectResponse(root(request) + home_of(who.role), status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(settings.console_session_hours * 3600),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, hub: HubDep) -> Response:
    with hub.uow() as uow:
        console_users.sign_out(uow, session_id=request.cookies.get(COOKIE))
    response = RedirectResponse(root(request) + "/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@router.post("/language", dependencies=[CsrfChecked])
def language(request: Request, hub: HubDep, who: Who, form: Form) -> Response:
    chosen = i18n.pick(form.get("lang"))
    with hub.uow() as uow:
        console_users.set_language(uow, who=who, language=chosen)
    back = form.get("back", "")
    target = back if back.startswith(COOKIE_PATH) and "//" not in back else root(request) + "/"
    return RedirectResponse(target, status_code=303)


# --- the operators' pages -------------------------------------------------------------------


@router.get("/")
def dashboard(request: Request, hub: HubDep, who: Who) -> Response:
    if who.role is not Role.OPERATOR:
        return RedirectResponse(root(request) + home_of(who.role), status_code=303)
    with hub.uow() as uow:
        board = operations.dashboard(uow)
        paused = uow.console.paused()
    return page(
        request,
        "dashboard.html",
        who=who,
        board=board,
        statuses=list(DeliveryStatus),
        report=None,
        paused=paused,
    )


@router.post("/delivery/{institution}/{change}", dependencies=[CsrfChecked])
def pause_or_resume(
    request: Request, hub: HubDep, who: Operator, institution: str, change: str
) -> Response:
    """Pause or resume push delivery to a recipient, as ``carrefour institutions pause|resume``."""
    with hub.uow() as uow:
        if change == "pause":
            delivery.pause(uow, institution=institution, by=who.name)
        elif change == "resume":
            delivery.resume(uow, institution=institution)
        else:
            raise NotFound(f"no change {change!r}: pause or resume")
    return RedirectResponse(root(request) + "/", status_code=303)


@router.post("/verify", dependencies=[CsrfChecked])
def verify(request: Request, hub: HubDep, who: Operator) -> HTMLResponse:
    with hub.uow() as uow:
        report = tracking_service.verify(uow, signer=hub.signer, journal=hub.journal)
        board = None if htmx(request) else operations.dashboard(uow)
        paused = uow.console.paused()
    if board is None:
        return page(request, "_verify.html", report=report)
    return page(
        request,
        "dashboard.html",
        who=who,
        board=board,
        statuses=list(DeliveryStatus),
        report=report,
        paused=paused,
    )


@router.get("/transactions")
def transactions(
    request: Request,
    hub: HubDep,
    who: Operator,
    niss: str = "",
    flow: str = "",
    emitter: str = "",
    recipient: str = "",
    status: str = "",
    holder: str = "",
    before: int | None = None,
) -> HTMLResponse:
    filters = {
        "niss": niss.strip(),
        "flow": flow.strip(),
        "emitter": emitter.strip(),
        "recipient": recipient.strip(),
        "status": status.strip(),
        "holder": holder.strip(),
    }
    error = None
    found = operations.TransactionPage((), None)
    try:
        with hub.uow() as uow:
            found = operations.transactions(
                uow, by=who.institution.id, limit=PAGE_SIZE, before=before, **filters
            )
    except CarrefourError as failure:
        error = failure.detail
    query = {key: value for key, value in filters.items() if value}
    more = (
        None
        if found.next_before is None
        else f"{root(request)}/transactions?{urlencode({**query, 'before': found.next_before})}"
    )
    context: dict[str, Any] = {"page": found, "more": more}
    if htmx(request) and before is not None:
        return page(request, "_transaction_rows.html", **context)
    return page(
        request,
        "transactions.html",
        422 if error else 200,
        who=who,
        filters=filters,
        error=error,
        statuses=list(DeliveryStatus),
        **context,
    )


@router.get("/messages/{message_id}")
def message(request: Request, hub: HubDep, who: Operator, message_id: str) -> HTMLResponse:
    return flows.message_page(request, hub, who, message_id)


@router.post("/messages/{message_id}/rerun", dependencies=[CsrfChecked])
def rerun(request: Request, hub: HubDep, who: Operator, message_id: str, form: Form) -> Response:
    recipient = form.get("recipient") or None
    with hub.uow() as uow:
        count = operations.rerun(
            uow, message_id=message_id, by=who.institution.id, recipient=recipient
        )
    if not htmx(request):
        target = f"{root(request)}/messages/{quote(message_id, safe='')}"
        return RedirectResponse(target, status_code=303)
    return page(request, "_rerun.html", count=count, recipient=recipient)


@router.get("/consultations")
def consultations(
    request: Request,
    hub: HubDep,
    who: Operator,
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
    return page(
        request,
        "consultations.html",
        422 if error else 200,
        who=who,
        filters=filters,
        limit=limit,
        entries=entries,
        error=error,
    )


# The pages of the other modules join this router (``api.app`` includes this one only).
router.include_router(person.router, prefix="")
router.include_router(reference.router, prefix="")
router.include_router(flows.router, prefix="")
router.include_router(batches.router, prefix="")
router.include_router(inami.router, prefix="")
