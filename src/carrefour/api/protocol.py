"""The HTTP protocol of ``carrefour serve``: uvicorn's httptools protocol, each answer written
to the socket once.

uvicorn writes a response's status line and headers to the transport as soon as the
application sends ``http.response.start``, then its body: with uvloop (and asyncio alike) each
write is a ``send`` on the socket at once, so every answer was two system calls and two TCP
segments, the client woken twice. On the directory read, the first of those writes (the one that
wakes the client) was the largest single cost of the event loop under ``wrk``.

``OneWriteProtocol`` hands uvicorn a transport that holds what is written during one turn of
the event loop and writes it in one call (``writelines``: one ``writev``) at the end of that
turn. Nothing waits longer than the turn: a body that follows its headers in the same task step
(every response of the hub) leaves with them; a streamed body's chunks each leave in the turn
they were sent. Closing the connection writes what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class OneWriteTransport:
    """A transport whose ``write`` calls of one event-loop turn reach the socket as one write;
    every other method is the wrapped transport's."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes | bytearray | memoryview] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is None:
            self._held = [data]
            self._loop.call_soon(self.flush)
        else:
            self._held.append(data)

    def writelines(self, chunks: Any) -> None:
        for data in chunks:
            self.write(data)

    def flush(self) -> None:
        """Write what is held now (the end of the turn, or the connection closing)."""
        held, self._held = self._held, None
        if not held or self._transport.is_closing():
            return
        if len(held) == 1:
            self._transport.write(held[0])
        else:
            self._transport.writelines(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        held = sum(len(data) for data in self._held) if self._held else 0
        return held + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a ``OneWriteTransport``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        held: Any = OneWriteTransport(transport, self.loop)
        super().connection_made(held)
