"""RFC 9457 problem details: one table maps each error kind to its HTTP status."""

from __future__ import annotations

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
    body = {
        **(extra or {}),
        "type": PROBLEM_TYPE_PREFIX + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    headers = {"WWW-Authenticate": 'Bearer realm="carrefour"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.CarrefourError)
    async def _domain(request: Request, exc: errors.CarrefourError) -> JSONResponse:
        return problem(status_of(exc), exc.code, exc.title, exc.detail, request.url.path, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {
                "location": ".".join(str(part) for part in err.get("loc", ())),
                "message": str(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{i['location']}: {i['message']}" for i in issues)
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
        return problem(exc.status_code, code, title, detail, request.url.path)
