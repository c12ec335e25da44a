"""RFC 9457 problem details: one table maps each error kind to its HTTP status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from carrefour.domain import errors

PROBLEM_TYPE_PREFIX = "urn:carrefour:problem:"
MEDIA_TYPE = "application/problem+json"
#: Validation errors listed at most in one problem, and characters kept of what they echo.
MAX_LISTED_ERRORS = 20
MAX_ECHOED_CHARS = 200
MAX_DETAIL_CHARS = 8000

# The most specific class wins: the table is searched along the exception's MRO.
STATUS: dict[type[errors.CarrefourError], int] = {
    errors.InvalidInput: 422,
    errors.UnknownInstitution: 404,
    errors.UnknownCapacity: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unauthenticated: 401,
    errors.NotAuthorised: 403,
    errors.DocumentTooLarge: 413,
    errors.UnsupportedDocumentType: 415,
    errors.PayloadTooLarge: 413,
}


def status_of(error: errors.CarrefourError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str,
    instance: str,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; ``extra`` members never override the standard ones."""
    bounded = {k: _bounded(v) if isinstance(v, str) else v for k, v in (extra or {}).items()}
    body = {
        **bounded,
        "type": PROBLEM_TYPE_PREFIX + kind,
        "title": title,
        "status": status,
        "detail": detail if len(detail) <= MAX_DETAIL_CHARS else detail[:MAX_DETAIL_CHARS] + "...",
        "instance": instance,
    }
    headers = {"WWW-Authenticate": 'Bearer realm="carrefour"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.CarrefourError)
    async def _domain(request: Request, exc: errors.CarrefourError) -> JSONResponse:
        if (wrong := wrong_method(request)) is not None:
            return wrong
        return problem(status_of(exc), exc.code, exc.title, exc.detail, request.url.path, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if (wrong := wrong_method(request)) is not None:
            return wrong
        found = exc.errors()
        issues = [
            {
                "location": _bounded(".".join(str(part) for part in err.get("loc", ()))),
                "message": _bounded(str(err.get("msg", ""))),
            }
            for err in found[:MAX_LISTED_ERRORS]
        ]
        detail = "; ".join(f"{i['location']}: {i['message']}" for i in issues)
        if len(found) > MAX_LISTED_ERRORS:
            detail += f"; and {len(found) - MAX_LISTED_ERRORS} more"
        return problem(
            422, "invalid-request", "Invalid request", detail, request.url.path, {"errors": issues}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.method} {request.url.path}"
        title = HTTPStatus(exc.status_code).phrase
        response = problem(exc.status_code, code, title, detail, request.url.path)
        if exc.status_code == 405:
            allowed = allowed_methods(request) or {
                m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip()
            }
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response


def _literal_methods(request: Request) -> set[str] | None:
    """The methods the OpenAPI documents at exactly the request's path; ``None`` when the path
    is not one of its own (only a template fits it, or nothing)."""
    app: FastAPI = request.app
    paths: dict[str, Any] = app.openapi().get("paths", {})
    literal = paths.get(request.url.path)
    return None if literal is None else {method.upper() for method in literal}


def wrong_method(request: Request) -> JSONResponse | None:
    """A 405 for a request whose path is a documented path of its own that does not take its
    method, though a template route took it (``GET /v1/insurability/requests`` fits
    ``GET /v1/insurability/{niss}``): the literal path wins, as in ``allowed_methods``."""
    literal = _literal_methods(request)
    if literal is None or request.method in literal:
        return None
    allowed = ", ".join(sorted(literal))
    response = problem(
        405,
        "method-not-allowed",
        HTTPStatus(405).phrase,
        f"{request.url.path} takes {allowed}, not {request.method}",
        request.url.path,
    )
    response.headers["Allow"] = allowed
    return response


def allowed_methods(request: Request) -> set[str]:
    """The methods the OpenAPI documents at the request's path (Starlette's own 405 names only
    the methods of the first route that matched the path)."""
    literal = _literal_methods(request)
    if literal is not None:  # a path of its own wins over a template it also fits
        return literal
    app: FastAPI = request.app
    paths: dict[str, Any] = app.openapi().get("paths", {})
    methods: set[str] = set()
    for template, item in paths.items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods.update(method.upper() for method in item)
    return methods


def _bounded(text: str) -> str:
    """A client-supplied text (a key, a location) cut to ``MAX_ECHOED_CHARS``: an error body
    stays small whatever the request held."""
    return text if len(text) <= MAX_ECHOED_CHARS else text[:MAX_ECHOED_CHARS] + "..."


#: The problems every ``/v1/`` operation can answer (authentication, the deliberations, an
#: unknown or foreign object, a conflicting write, invalid input, an over-long header).
API_PROBLEMS = (400, 401, 403, 404, 409, 422, 431)
#: And those of an operation with a body (too large, not JSON in UTF-8).
BODY_PROBLEMS = (413, 415)
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; ``type`` is ``urn:carrefour:problem:<code>``",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "pattern": "^urn:carrefour:problem:"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}


def document(app: FastAPI) -> None:
    """Make the OpenAPI tell every problem each operation can answer, as
    ``application/problem+json``, and the bearer credential the ``/v1/`` operations take."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_problems(generate())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def add_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "a credential of `carrefour institutions credential ID`",
    }
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            statuses: tuple[int, ...] = (431,)
            if path.startswith("/v1/"):
                operation["security"] = [{"bearer": []}]
                statuses = API_PROBLEMS
                if "requestBody" in operation:
                    statuses += BODY_PROBLEMS
            elif "parameters" in operation or "requestBody" in operation:
                statuses += (422,)
            for code in statuses:
                responses[str(code)] = {"description": HTTPStatus(code).phrase, "content": content}
