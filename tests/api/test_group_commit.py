"""Consultation lines of concurrent reads are committed together (group commit), and each read is
answered only once its own line is committed, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from carrefour.api.app import create_app
from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from tests.support import integrate_all, make_niss

Credential = Callable[[str], dict[str, str]]


def test_many_concurrent_reads_each_find_their_line_committed_when_answered(
    hub: Hub, credential: Credential
) -> None:
    persons = [make_niss() for _ in range(60)]
    integrate_all(hub, dict.fromkeys(persons, "mut-100"))
    headers = credential("mut-100")
    app = create_app(hub)
    missing: list[str] = []

    def committed_lines(niss: str) -> int:
        # another connection: only what is committed is seen
        with hub.uow(read_only=True) as uow:
            return len(uow.consultations.select(niss=niss, caller="mut-100"))

    async def read(http: httpx.AsyncClient, niss: str) -> None:
        response = await http.get(f"/v1/directory/{niss}", headers=headers)
        assert response.status_code == 200, response.text
        assert [item["niss"] for item in response.json()["items"]] == [niss]
        if committed_lines(niss) != 1:
            missing.append(niss)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            await asyncio.gather(*(read(http, niss) for niss in persons))

    asyncio.run(main())
    assert missing == []
    with hub.uow() as uow:
        assert verify_log(uow) is None


def test_concurrent_reads_refused_at_the_edge_each_leave_their_line(
    hub: Hub, credential: Credential
) -> None:
    # a NISS whose check digits are wrong: refused (422) before any use case logs it, so the
    # API edge writes the request's own line, through the same group commit
    # (check digits are 01 to 97: 99 is never right)
    wrong = [make_niss()[:9] + "99" for _ in range(20)]
    headers = credential("mut-100")

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(hub))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            answers = await asyncio.gather(
                *(http.get(f"/v1/directory/{niss}", headers=headers) for niss in wrong)
            )
        return [answer.status_code for answer in answers]

    statuses = asyncio.run(main())
    assert statuses == [422] * len(wrong)
    with hub.uow(read_only=True) as uow:
        lines = uow.consultations.select(caller="mut-100", limit=1000)
        assert verify_log(uow) is None
    assert sum(1 for line in lines if line.http_status == 422) == len(wrong)


def test_a_read_waits_for_a_held_log_lock_off_the_event_loop(
    hub: Hub, credential: Credential
) -> None:
    from sqlalchemy import insert, select

    from carrefour.adapters.db import tables as t
    from carrefour.adapters.db.tables_consultations import consultation_log_head

    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    headers = credential("mut-100")
    app = create_app(hub)

    async def main() -> tuple[bool, int, int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            assert (await http.get(f"/v1/directory/{niss}", headers=headers)).status_code == 200
            with hub.uow() as holder:
                # a writer holding what the log's commit needs: SQLite's write lock (any write),
                # PostgreSQL's log head row
                holder.connection.execute(select(consultation_log_head).with_for_update())
                holder.connection.execute(
                    insert(t.niss_replacements).values(
                        old_niss=make_niss(),
                        new_niss=make_niss(),
                        recorded_by="bcss",
                        recorded_at=hub.clock.now(),
                    )
                )
                read = asyncio.create_task(http.get(f"/v1/directory/{niss}", headers=headers))
                health = await http.get("/healthz")  # the loop is free meanwhile
                for _ in range(20):
                    await asyncio.sleep(0.01)
                waited = not read.done()
            answer = await read  # the holder rolled back: the line commits, the read answers
        return waited, health.status_code, answer.status_code, committed(niss)

    def committed(person: str) -> int:
        with hub.uow(read_only=True) as uow:
            return len(uow.consultations.select(niss=person, caller="mut-100"))

    waited, health, status, lines = asyncio.run(main())
    assert (waited, health, status, lines) == (True, 200, 200, 2)
