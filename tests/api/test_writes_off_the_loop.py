"""SQLite: a request that writes never waits for the database's write lock on the event loop.
While another writer (a batch chunk) holds the lock, a declaration waits for it and the server
goes on answering: ``/healthz``, ``/readyz`` and a consultation of the catalogue answer before the
lock is released, and the declaration is committed once it is. Concurrent declarations wait for
one another without stalling: each is committed once."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from tests.support import integrate_all, make_niss


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        payload = None if body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=sent)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        connection.close()


def test_the_server_answers_while_a_declaration_waits_for_the_write_lock(
    hub: Hub, served: int, credential: Callable[[str], dict[str, str]]
) -> None:
    if hub.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    mutuality, operator = credential("mut-100"), credential("bcss")
    niss = make_niss()
    other = hub.engine.raw_connection()  # another writer: a batch chunk holding the lock
    declared: list[tuple[int, Any]] = []
    try:
        other.cursor().execute("BEGIN IMMEDIATE")
        declaration = threading.Thread(
            target=lambda: declared.append(
                request(
                    served,
                    "PUT",
                    f"/v1/directory/{niss}/integrations",
                    {"capacity": "001", "begin": "2024-01-01"},
                    mutuality,
                )
            )
        )
        declaration.start()
        declaration.join(0.3)  # it reached the database and waits for the lock
        assert declared == []
        # the event loop is free: each of these answers before the lock is released (on the
        # loop, each would have waited behind the declaration, up to the busy timeout)
        assert request(served, "GET", "/healthz")[0] == 200
        assert request(served, "GET", "/readyz")[0] in (200, 503)
        status, page = request(served, "GET", "/v1/institutions", headers=operator)
        assert status == 200
        assert any(item["id"] == "mut-100" for item in page["items"])
        assert declared == []  # still waiting
    finally:
        other.rollback()
        other.close()
    declaration.join(20)
    [(status, line)] = declared
    assert status == 201, line
    with hub.uow(read_only=True) as uow:
        assert [found.institution for found in uow.directory.lines_of(niss)] == ["mut-100"]


def test_a_burst_of_declarations_is_committed_whole(
    hub: Hub, served: int, credential: Callable[[str], dict[str, str]]
) -> None:
    # more callers at once than the pool has connections and the loop lets wait for the lock:
    # none waits for a connection on the loop (there, the 30 s pool timeout for everyone)
    mutuality = credential("mut-100")
    persons = [make_niss() for _ in range(120)]

    def declare(niss: str) -> int:
        path = f"/v1/directory/{niss}/integrations"
        line = {"capacity": "001", "begin": "2024-01-01"}
        return request(served, "PUT", path, line, mutuality)[0]

    with ThreadPoolExecutor(60) as callers:
        statuses = list(callers.map(declare, persons))
    assert statuses == [201] * len(persons)
    with hub.uow(read_only=True) as uow:
        assert all(uow.directory.lines_of(niss) for niss in persons)


def test_reads_and_declarations_at_once_are_all_answered(
    hub: Hub, served: int, credential: Callable[[str], dict[str, str]]
) -> None:
    # PostgreSQL: the group commit of the reads' consultation lines held the chain's head
    # between two round trips on the event loop, and a declaration's commit, on the loop too,
    # waited for that head: the loop waited for itself and every request hung
    mutuality = credential("mut-100")
    known = [make_niss() for _ in range(40)]
    integrate_all(hub, dict.fromkeys(known, "mut-100"))
    new = [make_niss() for _ in range(40)]

    def read(niss: str) -> int:
        return request(served, "GET", f"/v1/directory/{niss}", headers=mutuality)[0]

    def declare(niss: str) -> int:
        path = f"/v1/directory/{niss}/integrations"
        line = {"capacity": "001", "begin": "2024-01-01"}
        return request(served, "PUT", path, line, mutuality)[0]

    with ThreadPoolExecutor(16) as callers:
        reads = [callers.submit(read, niss) for niss in known]
        declarations = [callers.submit(declare, niss) for niss in new]
        assert [future.result() for future in reads] == [200] * len(known)
        assert [future.result() for future in declarations] == [201] * len(new)
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        logged = {line.niss for line in uow.consultations.select(limit=10_000)}
    assert set(known) | set(new) <= logged
