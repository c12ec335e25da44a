"""The consultation log's head shared by several writers: the request path's commits (on
PostgreSQL one statement after the head as that writer last left it), another process's, and a
use case's transaction. Whoever moved the head last, every line is chained after it, in the
order of its position, and the log verifies; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from carrefour.adapters.db import repositories
from carrefour.adapters.db.hot_path import AsyncHotPath, HotPath
from carrefour.api.app import create_app
from carrefour.bootstrap import Hub, bootstrap
from carrefour.config import Settings
from carrefour.services.consultations import verify_log
from carrefour.services.institutions import issue_credential
from tests.api.test_directory_read_path import add_lines
from tests.api.test_log_checkpoints import entry
from tests.support import FakeClock, make_niss


def logged(hub: Hub) -> list[str]:
    """The persons of the log's lines, oldest first."""
    with hub.uow(read_only=True) as uow:
        assert verify_log(uow) is None
        lines = uow.consultations.select(limit=10_000)
    return [str(line.niss) for line in reversed(lines)]


def test_writers_that_move_the_head_in_turn_keep_one_chain(hub: Hub) -> None:
    this, other = HotPath(hub.engine), HotPath(hub.engine)  # two processes' request paths
    persons = [make_niss() for _ in range(6)]
    try:
        this.commit_lines([entry(persons[0])])
        other.commit_lines([entry(persons[1])])  # this writer's head is now stale
        this.commit_lines([entry(persons[2]), entry(persons[3])])
        with hub.uow() as uow:  # a use case's transaction moves the head too
            uow.consultations.append(entry(persons[4]))
            uow.commit()
        this.commit_lines([entry(persons[5])])
    finally:
        this.close()
        other.close()
    assert logged(hub) == persons


def test_a_group_longer_than_one_statement_is_chained_whole(hub: Hub) -> None:
    hot_path = HotPath(hub.engine)
    persons = [make_niss() for _ in range(repositories.LINES_PER_STATEMENT + 7)]
    try:
        hot_path.commit_lines([entry(niss) for niss in persons])
        hot_path.commit_lines([entry(persons[0])])
    finally:
        hot_path.close()
    assert logged(hub) == [*persons, persons[0]]


def test_writers_committing_at_once_lose_no_line(hub: Hub) -> None:
    # each statement that finds the head moved by the other inserts nothing and is tried again
    writers = [HotPath(hub.engine) for _ in range(3)]
    persons = [[make_niss() for _ in range(40)] for _ in writers]

    def write(hot_path: HotPath, mine: list[str]) -> None:
        for start in range(0, len(mine), 2):
            hot_path.commit_lines([entry(niss) for niss in mine[start : start + 2]])

    try:
        with ThreadPoolExecutor(len(writers)) as pool:
            for done in [pool.submit(write, *pair) for pair in zip(writers, persons, strict=True)]:
                done.result()
    finally:
        for hot_path in writers:
            hot_path.close()
    order = logged(hub)
    assert sorted(order) == sorted(niss for mine in persons for niss in mine)
    for mine in persons:  # each writer's lines in the order it committed them
        assert [niss for niss in order if niss in mine] == mine


def test_the_event_loop_s_commits_and_another_writer_keep_one_chain(hub: Hub) -> None:
    async_path = AsyncHotPath.of(hub.engine)
    if async_path is None:
        pytest.skip("SQLite commits on the loop with HotPath (the tests above)")
    other = HotPath(hub.engine)
    persons = [make_niss() for _ in range(5)]

    async def main() -> None:
        await async_path.commit_lines([entry(persons[0]), entry(persons[1])])
        other.commit_lines([entry(persons[2])])  # the loop's head is now stale
        await async_path.commit_lines([entry(persons[3])])
        await async_path.commit_lines([entry(persons[4])])
        await async_path.close()

    try:
        asyncio.run(main())
    finally:
        other.close()
    assert logged(hub) == persons


#: Debian's directory of PostgreSQL's Unix socket (a hub on the database's host connects there).
SOCKET_DIRECTORY = Path("/var/run/postgresql")


def test_a_hub_on_postgresql_s_unix_socket_reads_and_logs_on_the_loop(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a Unix socket of PostgreSQL; SQLite is a file")
    if not (SOCKET_DIRECTORY / ".s.PGSQL.5432").exists():
        pytest.skip(f"no PostgreSQL socket in {SOCKET_DIRECTORY} on this machine")
    url = make_url(database_url).set(host=None, port=None)
    url = url.update_query_dict({"host": str(SOCKET_DIRECTORY)})
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        run_worker_in_server=False,
        signing_key=tmp_path / "signing.key",
    )
    hub = bootstrap(settings, clock=clock)
    niss = make_niss()
    try:
        add_lines(hub, niss, "mut-100")
        with hub.uow() as uow:
            token = issue_credential(uow, institution="mut-100")
            uow.commit()
        with TestClient(create_app(hub)) as client:
            assert client.app.state.async_hot_path is not None  # type: ignore[attr-defined]
            answer = client.get(
                f"/v1/directory/{niss}", headers={"Authorization": f"Bearer {token}"}
            )
        assert answer.status_code == 200
        assert [item["institution"] for item in answer.json()["items"]] == ["mut-100"]
        assert logged(hub)[-1] == niss  # its line, committed by the loop over the socket
    finally:
        hub.dispose()
