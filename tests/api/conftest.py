"""Fixtures of the API tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from carrefour.api.app import create_app
from carrefour.api.protocol import OneWriteProtocol
from carrefour.bootstrap import Hub


@pytest.fixture
def served(hub: Hub) -> Iterator[int]:
    """The application served by uvicorn with ``OneWriteProtocol``, as ``carrefour serve`` does."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(
        create_app(hub), host="127.0.0.1", port=port, log_level="warning", http=OneWriteProtocol
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield port
    running.should_exit = True
    thread.join(timeout=10)
