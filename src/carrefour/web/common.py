"""What every console page shares: rendering in the reader's language, who is signed in, the
role guards, the forgery guard, and turning errors into pages.

Sign-in opens a server-side session (``services.console_users``): the browser holds only its
random id, in an HttpOnly, ``SameSite=Strict`` cookie scoped to ``/console`` (``Secure`` when
served over TLS). The cookie is not a credential of the API, and the API's bearer credentials
are never put in a cookie.

Every POST must carry the session's CSRF token (a hidden ``csrf`` field, or the ``X-CSRF-Token``
header that htmx sends from the page's ``hx-headers``) and come from the console itself (its
``Origin``, or else its ``Referer``, names the host the request was sent to); the sign-in form
carries a token of its own, kept in a short cookie until the session exists.

The handlers are plain ``def``: FastAPI runs them in its thread pool, so a page that reads much
of the tracking file does not hold up the API's requests on the event loop.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from carrefour.api.deps import HubDep
from carrefour.api.problems import status_of
from carrefour.domain.console import Role
from carrefour.domain.errors import CarrefourError, InvalidNiss, NotAuthorised, Unauthenticated
from carrefour.domain.identifiers import parse_niss
from carrefour.services import console_users
from carrefour.services.console_users import SignedIn
from carrefour.web import i18n

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

COOKIE = "carrefour_session"
LOGIN_COOKIE = "carrefour_login_csrf"
COOKIE_PATH = "/console"
PAGE_SIZE = 50


# --- rendering ------------------------------------------------------------------------------


def language_of(request: Request) -> str:
    language: str = getattr(request.state, "language", i18n.DEFAULT)
    return language


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
    """What every template gets: the console's root, the language and its formats."""
    language = language_of(request)
    translate = i18n.gettext_of(language)

    return {
        "root": root(request),
        "lang": language,
        "languages": i18n.LANGUAGES,
        "gettext": translate,
        "_": translate,
        "ngettext": translations_ngettext(language),
        "path": request.url.path,
    }


def translations_ngettext(language: str) -> Callable[[str, str, int], str]:
    return i18n.translations(language).ngettext


environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every value is escaped unless a template says otherwise (none does)
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)


@pass_context
def _when(context: Context, value: datetime | None) -> str:
    return i18n.when(value, context["lang"])


@pass_context
def _day(context: Context, value: date | str | None) -> str:
    return i18n.day(value, context["lang"])


@pass_context
def _number(context: Context, value: int | float) -> str:
    return i18n.number(value, context["lang"])


@pass_context
def _shown(context: Context, value: object) -> str:
    return i18n.shown(value, context["lang"])


environment.filters.update(
    niss=_niss, pretty=_pretty, when=_when, day=_day, number=_number, shown=_shown
)
templates = Jinja2Templates(env=environment, context_processors=[_base])


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


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(_HEADERS)
    return response


def htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def root(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + COOKIE_PATH


def translate(request: Request, message: str) -> str:
    return i18n.gettext_of(language_of(request))(message)


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "error.html", status_code, title=title, detail=detail)


# --- errors, sign-in and the forgery guard --------------------------------------------------


class SignInRequired(Exception):
    """No session: the browser goes to the sign-in page."""


class Forgery(Exception):
    """A POST without its CSRF token, or whose Origin/Referer is not this host."""


class WrongRole(Exception):
    """A page of another role."""


class ConsoleRoute(APIRoute):
    """Turns what a console page may raise into an HTML answer in the reader's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            request.state.language = i18n.pick(
                request.query_params.get("lang"), request.headers.get("accept-language")
            )
            try:
                return await handler(request)
            except SignInRequired:
                return RedirectResponse(root(request) + "/login", status_code=303)
            except Forgery:
                return error_page(
                    request,
                    403,
                    translate(request, "Refused"),
                    translate(request, "This form was not sent from the console (no valid token)."),
                )
            except WrongRole:
                return error_page(
                    request,
                    403,
                    translate(request, "Refused"),
                    translate(request, "This page is not open to your role."),
                )
            except Unauthenticated:
                # The sign-in page again, with a fresh form token (an expired session's page
                # has none yet).
                token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
                response = page(
                    request,
                    "login.html",
                    401,
                    error=translate(request, "Wrong user name or password, or session closed."),
                    csrf=token,
                )
                response.delete_cookie(COOKIE, path=COOKIE_PATH)
                set_login_cookie(request, response, token)
                return response
            except NotAuthorised as error:
                return error_page(
                    request,
                    403,
                    translate(request, "Not authorised by the deliberations"),
                    translate(request, "Your institution may not see this.")
                    + f" ({error.reason_code})",
                )
            except CarrefourError as error:
                return error_page(
                    request, status_of(error), translate(request, error.title), error.detail
                )
            except RequestValidationError as failure:
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                    for e in failure.errors()
                )
                return error_page(request, 422, translate(request, "Invalid request"), detail)

        return guarded


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    """The sign-in form's own token, until a session exists."""
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def same_origin(request: Request) -> None:
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    if not host or urlsplit(source).netloc != host:
        raise Forgery


async def read_form(request: Request) -> dict[str, str]:
    """An url-encoded form body (what browsers and htmx send), first value of each field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body).items()}


Form = Annotated[dict[str, str], Depends(read_form)]


def signed_in(request: Request, hub: HubDep) -> SignedIn:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        raise SignInRequired
    with hub.uow() as uow:
        who = console_users.signed_in(uow, session_id=session_id)
    if request.query_params.get("lang") not in i18n.LANGUAGES:
        request.state.language = who.language
    return who


Who = Annotated[SignedIn, Depends(signed_in)]


def csrf_checked(request: Request, who: Who, form: Form) -> None:
    """The forgery guard of every POST of a signed-in page (see the module's docstring)."""
    same_origin(request)
    token = form.get("csrf") or request.headers.get("x-csrf-token")
    if not console_users.check_csrf(who.session, token):
        raise Forgery


CsrfChecked = Depends(csrf_checked)


def require(*roles: Role) -> Callable[[SignedIn], SignedIn]:
    def check(who: Who) -> SignedIn:
        if who.role not in roles:
            raise WrongRole
        return who

    return check


Operator = Annotated[SignedIn, Depends(require(Role.OPERATOR))]
InamiCell = Annotated[SignedIn, Depends(require(Role.INAMI_CELL, Role.OPERATOR))]
