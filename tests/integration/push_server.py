"""A real HTTP endpoint for push delivery tests: it records what it receives and can misbehave.

``PushServer`` listens on 127.0.0.1 (a free port chosen once, kept across restarts) in a thread.
It answers every POST with the status it is told to (``answer_with(503)``), with ``reply`` as
its body when set, after ``delay`` seconds, and ``stop()`` closes
the socket so that the hub meets a refused connection until ``start()`` opens it again.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Received:
    """One POST as the endpoint saw it, and the status it answered."""

    body: dict[str, Any]
    idempotency_key: str | None
    status: int

    @property
    def message_id(self) -> str:
        return str(self.body["message_id"])


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        owner = self.server.owner
        status = owner.status
        owner.record(Received(body, self.headers.get("Idempotency-Key"), status))
        payload = b'{"ok": true}' if 200 <= status < 300 else b'{"error": "not now"}'
        if owner.reply is not None and 200 <= status < 300:
            payload = json.dumps(owner.reply).encode()
        time.sleep(owner.delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the test reads ``PushServer.received`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: PushServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class PushServer:
    """An institution's push endpoint that the test controls."""

    def __init__(self) -> None:
        self.status = 200
        self.reply: dict[str, Any] | None = None  # the JSON object a 2xx answers with
        self.delay = 0.0  # seconds before answering
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("start the server first: its port is chosen then")
        return f"http://127.0.0.1:{self._port}/carrefour/inbox"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def accepted(self) -> list[Received]:
        """The POSTs it answered with a 2xx: the messages it took in."""
        return [r for r in self.received if 200 <= r.status < 300]

    def record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def answer_with(self, status: int) -> None:
        self.status = status

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = _Server(("127.0.0.1", self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the socket: connections are refused until ``start()``."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
