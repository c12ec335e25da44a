"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from files shipped with the package, so that
they work without the internet.

``static/apidocs/`` holds, unmodified: ``swagger-ui-bundle.js`` and ``swagger-ui.css`` from the
npm package swagger-ui-dist 5.35.0 (Apache-2.0, ``swagger-ui.LICENSE``), and
``redoc.standalone.js`` from the npm package redoc 2.5.4 (MIT, ``redoc.LICENSE``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

ASSETS = "/console/static/apidocs"


def install(app: FastAPI) -> None:
    """Serve the two documentation pages of ``app`` (created with ``docs_url=None`` and
    ``redoc_url=None``) from the vendored files."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url="data:,",
            with_google_fonts=False,
        )
