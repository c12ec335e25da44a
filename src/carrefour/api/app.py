"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from carrefour import __version__
from carrefour.adapters.db.hot_path import AsyncHotPath, HotPath
from carrefour.api import directory_reads, gateway, problems, schemas
from carrefour.api.consultation_log import ConsultationLogMiddleware, RequestLog
from carrefour.api.deps import HubDep
from carrefour.api.guards import InputGuard
from carrefour.api.loop_watch import LoopWatch
from carrefour.api.routes import (
    batches,
    careers,
    consultations,
    corrections,
    directory,
    documents,
    inami,
    institutions,
    insurability,
    mailboxes,
    readiness,
    tracking,
    vouchers,
)
from carrefour.api.schemas import Health
from carrefour.bootstrap import Hub
from carrefour.domain.messages import DeliveryStatus
from carrefour.services import operations
from carrefour.services.institutions import CredentialCache
from carrefour.web import apidocs, console


class HubApplication(FastAPI):
    """FastAPI with a front: ``front`` receives every request first, and hands the ones it does
    not answer itself to FastAPI (``api.directory_reads`` puts the directory read there)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.front: ASGIApp = super().__call__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)


async def close_hot_paths(app: FastAPI) -> None:
    """Give back or close the connections of the directory read and the group commit (the
    server's lifespan ends)."""
    app.state.hot_path.close()
    if app.state.async_hot_path is not None:
        await app.state.async_hot_path.close()


def create_app(hub: Hub) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        watch = LoopWatch(hub.settings.loop_stall_seconds)
        watch.start()
        try:
            yield
        finally:
            watch.stop()
            await close_hot_paths(app)

    app = HubApplication(
        lifespan=lifespan,
        title="Carrefour",
        version=__version__,
        summary="Crossroads bank for social security: directory, deliberations, distribution.",
        docs_url=None,  # served from vendored files by web.apidocs (offline)
        redoc_url=None,
    )
    app.state.hub = hub
    problems.install(app)
    # Verified bearer credentials, remembered CARREFOUR_CREDENTIAL_CACHE_SECONDS (api/deps.py).
    app.state.credentials = CredentialCache(hub.settings.credential_cache_seconds)
    # The directory read and the consultation lines' group commit on kept driver connections
    # (closed by the server's lifespan, api/asgi.py).
    app.state.hot_path = HotPath(hub.engine)
    # PostgreSQL: the same on the event loop, asynchronous connections opened on first use.
    app.state.async_hot_path = AsyncHotPath.of(hub.engine)
    # The requests' consultation lines, one group commit for the whole process.
    log = RequestLog(hub, app.state.credentials, app.state.hot_path, app.state.async_hot_path)
    # GET /v1/directory/{niss} answered in front of the whole application (api/directory_reads.py).
    directory_reads.install(
        app, hub, app.state.credentials, app.state.hot_path, log, app.state.async_hot_path
    )
    app.add_middleware(ConsultationLogMiddleware, log=log)
    # Hostile input is bounded before any parsing; the OpenAPI documents every problem.
    app.add_middleware(InputGuard, max_json_bytes=hub.settings.max_json_bytes)
    problems.document(app)
    schemas.document_validation(app)
    app.include_router(institutions.router)
    app.include_router(directory.router)
    app.include_router(careers.router)
    app.include_router(mailboxes.router)
    app.include_router(corrections.router)
    app.include_router(tracking.router)
    app.include_router(vouchers.router)
    app.include_router(batches.router)
    app.include_router(documents.router)
    app.include_router(insurability.router)
    app.include_router(inami.router)
    app.include_router(consultations.router)
    app.include_router(console.router)
    app.include_router(gateway.router)
    app.mount("/console/static", StaticFiles(directory=console.STATIC_DIR), name="console-static")
    apidocs.install(app)

    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz(hub: HubDep) -> Health:
        """Liveness: answered from the event loop without touching the database, so that it
        answers at once during any batch (``/readyz`` checks the database)."""
        return Health(
            status="ok",
            database=hub.engine.dialect.name,
            time=hub.clock.now(),
            version=__version__,
        )

    app.include_router(readiness.router)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics(hub: HubDep) -> PlainTextResponse:
        """Prometheus metrics: messages per delivery status (dead letters are ``failed``)."""
        registry = CollectorRegistry()
        gauge = Gauge(
            "carrefour_mailbox_messages",
            "Messages in the mailboxes, per delivery status",
            ["status"],
            registry=registry,
        )
        with hub.uow(read_only=True) as uow:
            counts = operations.delivery_counts(uow)
        for status in DeliveryStatus:
            gauge.labels(status=status.value).set(counts.get(status.value, 0))
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
