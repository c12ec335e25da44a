"""The directory read and its consultation line's commit on the event loop (PostgreSQL: with
asynchronous connections): several servers on one database chain their lines into one chain, a
server's connections follow it onto a new event loop, and a commit that fails answers the 500
and loses no line of an answered request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import create_engine, text

from carrefour.api.app import create_app
from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from tests.support import integrate_all, make_niss

Credential = Callable[[str], dict[str, str]]


def committed_lines(hub: Hub, niss: str) -> int:
    with hub.uow(read_only=True) as uow:
        return len(uow.consultations.select(niss=niss, caller="mut-100"))


def test_two_servers_on_one_database_chain_every_line_into_one_chain(
    hub: Hub, credential: Credential
) -> None:
    servers = [create_app(hub), create_app(hub)]  # each its own connections and group commit
    headers = credential("mut-100")
    persons = [make_niss() for _ in range(40)]
    integrate_all(hub, dict.fromkeys(persons, "mut-100"))

    async def main() -> list[int]:
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")
            for app in servers
        ]
        try:
            answers = await asyncio.gather(
                *(
                    clients[number % 2].get(f"/v1/directory/{niss}", headers=headers)
                    for number, niss in enumerate(persons)
                )
            )
        finally:
            for client in clients:
                await client.aclose()
        return [answer.status_code for answer in answers]

    assert asyncio.run(main()) == [200] * len(persons)
    assert [committed_lines(hub, niss) for niss in persons] == [1] * len(persons)
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        assert uow.consultations.head()[0] == len(persons)


def test_a_server_goes_on_answering_on_a_new_event_loop(hub: Hub, credential: Credential) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    headers = credential("mut-100")
    app = create_app(hub)

    async def read() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            return (await http.get(f"/v1/directory/{niss}", headers=headers)).status_code

    assert [asyncio.run(read()) for _ in range(3)] == [200, 200, 200]
    assert committed_lines(hub, niss) == 3


def test_a_commit_that_fails_on_postgresql_answers_500_and_loses_no_answered_line(
    hub: Hub, credential: Credential
) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("the database server closing the connections: PostgreSQL")
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    headers = credential("mut-100")
    app = create_app(hub)
    admin = create_engine(str(hub.settings.database_url), isolation_level="AUTOCOMMIT")

    def restart_database_server() -> None:
        """Every connection to the database closed by the server, as a restart would."""
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            first = await http.get(f"/v1/directory/{niss}", headers=headers)
            restart_database_server()
            # the read is tried again on a new connection; the commit is not: 500
            failed = await http.get(f"/v1/directory/{niss}", headers=headers)
            again = await http.get(f"/v1/directory/{niss}", headers=headers)
        return [first, failed, again]

    try:
        first, failed, again = asyncio.run(main())
    finally:
        admin.dispose()
    assert (first.status_code, failed.status_code, again.status_code) == (200, 500, 200)
    assert failed.json()["type"].endswith(":consultation-log-unavailable")
    assert "items" not in failed.json()
    assert again.content == first.content
    assert committed_lines(hub, niss) == 2  # the two answered reads, chained
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
