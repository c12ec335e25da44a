"""The application for ``uvicorn --factory carrefour.api.asgi:create``: one hub per process, from
the ``CARREFOUR_*`` settings, with the background workers when the settings ask for them."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from carrefour.api.app import close_hot_paths, create_app
from carrefour.bootstrap import bootstrap
from carrefour.config import load_settings

#: Seconds a thread runs Python before another thread that waits may take the interpreter lock.
SWITCH_INTERVAL_SECONDS = 0.0005


def create() -> FastAPI:
    from carrefour.adapters.push import HttpPushSender
    from carrefour.workers.delivery import BatchWorker, DeliveryWorker

    hub = bootstrap(load_settings())
    app = create_app(hub)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stops = []
        if hub.settings.run_worker_in_server:
            stops.append(DeliveryWorker(hub, HttpPushSender()).start_thread()[1])
            stops.append(BatchWorker(hub).start_thread()[1])
        # What start-up built (modules, the catalogue, the application) lives as long as the
        # process: out of the collector's way, a full collection no longer walks it (a pause
        # of tens of milliseconds for the requests being served).
        gc.collect()
        gc.freeze()
        # The event loop waits at most this long for the interpreter lock that a background
        # thread (a worker's poll, the consultation log's writer) holds, not 5 ms.
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        try:
            yield
        finally:
            for stop in stops:
                stop.set()
            await close_hot_paths(app)
            hub.dispose()

    app.router.lifespan_context = lifespan
    return app
