"""The server's protocol writes each answer to the socket once: what uvicorn writes during one
turn of the event loop (the status line and headers, then the body) leaves in one call at the end
of that turn, and the answers stay whole and in order on a kept-alive or pipelined connection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from carrefour.api.protocol import OneWriteTransport
from carrefour.bootstrap import Hub
from tests.support import integrate_all, make_niss


class Recorder(asyncio.Transport):
    """A transport that records what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, list[bytes]]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", [bytes(data)]))

    def writelines(self, chunks: Any) -> None:
        self.calls.append(("writelines", [bytes(c) for c in chunks]))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.calls.append(("close", []))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", []))
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000)}.get(name, default)


def test_the_writes_of_one_turn_reach_the_socket_in_one_call_at_its_end() -> None:
    async def main() -> list[tuple[str, list[bytes]]]:
        recorder = Recorder()
        transport = OneWriteTransport(recorder, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"{}")
        assert recorder.calls == []  # held until the end of the turn
        assert transport.get_write_buffer_size() == 21
        await asyncio.sleep(0)
        transport.write(b"next")  # a later turn: a write of its own
        await asyncio.sleep(0)
        assert transport.get_extra_info("peername") == ("127.0.0.1", 50000)  # the socket's own
        return recorder.calls

    assert asyncio.run(main()) == [
        ("writelines", [b"HTTP/1.1 200 OK\r\n\r\n", b"{}"]),
        ("write", [b"next"]),
    ]


def test_closing_writes_what_is_held_first_and_aborting_drops_it() -> None:
    async def main() -> tuple[list[tuple[str, list[bytes]]], list[tuple[str, list[bytes]]]]:
        loop = asyncio.get_running_loop()
        closed, aborted = Recorder(), Recorder()
        for recorder in (closed, aborted):
            transport = OneWriteTransport(recorder, loop)
            transport.write(b"last answer")
            if recorder is closed:
                transport.close()
            else:
                transport.abort()
        await asyncio.sleep(0)  # nothing left to write at the end of the turn
        return closed.calls, aborted.calls

    closed, aborted = asyncio.run(main())
    assert closed == [("write", [b"last answer"]), ("close", [])]
    assert aborted == [("abort", [])]


def read_answers(sock: socket.socket, count: int) -> list[tuple[bytes, bytes]]:
    """``count`` answers (status line, body) read from ``sock``, each by its Content-Length."""
    data = b""
    answers: list[tuple[bytes, bytes]] = []
    while len(answers) < count:
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, data = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(data) < length:
            data += sock.recv(65536)
        answers.append((head.split(b"\r\n", 1)[0], data[:length]))
        data = data[length:]
    return answers


def test_kept_alive_and_pipelined_requests_are_answered_whole_and_in_order(
    hub: Hub, served: int, credential: Callable[[str], dict[str, str]]
) -> None:
    persons = [make_niss() for _ in range(3)]
    integrate_all(hub, dict.fromkeys(persons, "mut-100"))
    token = credential("mut-100")["Authorization"]

    def request(niss: str) -> bytes:
        return (
            f"GET /v1/directory/{niss} HTTP/1.1\r\nHost: hub\r\nAuthorization: {token}\r\n\r\n"
        ).encode()

    with socket.create_connection(("127.0.0.1", served), timeout=10) as sock:
        for niss in persons:  # one after the other on the kept connection
            sock.sendall(request(niss))
            [(status, body)] = read_answers(sock, 1)
            assert status == b"HTTP/1.1 200 OK"
            assert niss.encode() in body
        sock.sendall(b"".join(request(niss) for niss in persons))  # pipelined
        answers = read_answers(sock, len(persons))
    assert [status for status, _ in answers] == [b"HTTP/1.1 200 OK"] * len(persons)
    assert [niss.encode() in body for (_, body), niss in zip(answers, persons, strict=True)] == [
        True
    ] * len(persons)
