"""The directory consultation's short way (``GET /v1/directory/{niss}`` without a query, answered
in front of the routing) answers and logs exactly what the declared route does, on SQLite and
PostgreSQL; whatever it does not answer whole reaches the route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.adapters.db.hot_path import HotPath
from carrefour.bootstrap import Hub
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.periods import Period
from carrefour.services import directory
from carrefour.services.consultations import verify_log
from tests.support import make_niss

Credential = Callable[[str], dict[str, str]]
#: A day on which every line these tests write is in force: with ``?at=`` the route answers.
IN_FORCE = "2025-06-02"


def add_lines(hub: Hub, niss: str, *owners: str) -> None:
    with hub.uow() as uow:
        for number, owner in enumerate(owners):
            begin = date(2020 + number, 1, 1)
            uow.directory.add(
                IntegrationLine(f"l{number}{niss}", niss, owner, "001", 1, Period(begin)),
                uow.clock.now(),
            )
        uow.commit()


def broken_hot_path(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, method: str, error: Exception
) -> None:
    """``method`` of the hot path the server answers with (PostgreSQL's asynchronous one, or
    SQLite's) raises ``error``."""
    state: Any = client.app.state  # type: ignore[attr-defined]
    if state.async_hot_path is None:

        def broken(*_: Any, **__: Any) -> Any:
            raise error

        monkeypatch.setattr(state.hot_path, method, broken)
        return

    async def broken_on_loop(*_: Any, **__: Any) -> Any:
        raise error

    monkeypatch.setattr(state.async_hot_path, method, broken_on_loop)


def a_person(hub: Hub, *owners: str) -> str:
    """A new person's NISS, integrated by ``owners``."""
    niss = make_niss()
    add_lines(hub, niss, *owners)
    return niss


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The NISS of each directory consultation the declared route served."""
    calls: list[str] = []
    served = directory.lines_of_caller

    def spy(*args: Any, **kwargs: Any) -> list[IntegrationLine]:
        calls.append(kwargs["niss"])
        return served(*args, **kwargs)

    monkeypatch.setattr(directory, "lines_of_caller", spy)
    return calls


@pytest.mark.parametrize("caller", ["mut-100", "bcss"])
def test_the_short_way_answers_byte_for_byte_what_the_route_answers(
    client: TestClient, hub: Hub, credential: Credential, route_calls: list[str], caller: str
) -> None:
    # two lines of the caller's, one of another mutuality's (the hub sees it), nobody's
    both, shared, nobody = make_niss(), make_niss(), make_niss()
    add_lines(hub, both, "mut-100", "mut-100")
    add_lines(hub, shared, "mut-100", "mut-200")
    headers = credential(caller)
    for niss in (both, shared, nobody):
        short = client.get(f"/v1/directory/{niss}", headers=headers)
        assert route_calls == []  # answered in front of the route
        routed = client.get(f"/v1/directory/{niss}?at={IN_FORCE}", headers=headers)
        assert route_calls == [niss]
        route_calls.clear()
        assert short.status_code == routed.status_code == 200
        assert short.content == routed.content
        assert short.headers.items() == routed.headers.items()
    answer = client.get(f"/v1/directory/{shared}", headers=headers).json()["items"]
    seen = {"mut-100", "mut-200"} if caller == "bcss" else {"mut-100"}
    assert {item["institution"] for item in answer} == seen


def test_the_short_way_commits_the_line_the_route_logs(
    client: TestClient, hub: Hub, credential: Credential, route_calls: list[str]
) -> None:
    niss = make_niss()
    add_lines(hub, niss, "mut-100")
    headers = credential("mut-100")
    assert client.get(f"/v1/directory/{niss}", headers=headers).status_code == 200
    assert client.get(f"/v1/directory/{niss}?at={IN_FORCE}", headers=headers).status_code == 200
    assert route_calls == [niss]
    with hub.uow(read_only=True) as uow:
        routed, short = uow.consultations.select(niss=niss)  # newest first
        assert verify_log(uow) is None
    ignored = ("position", "prev_hash", "hash")
    assert {k: v for k, v in asdict(short).items() if k not in ignored} == {
        k: v for k, v in asdict(routed).items() if k not in ignored
    }
    assert (short.action, short.flow, short.allowed, short.niss) == (
        "consult",
        "directory",
        1,
        niss,
    )


def test_what_the_short_way_does_not_answer_gets_the_route_s_answer(
    client: TestClient, hub: Hub, credential: Credential, route_calls: list[str]
) -> None:
    niss = make_niss()
    add_lines(hub, niss, "mut-100")
    unknown = client.get(f"/v1/directory/{niss}", headers={"Authorization": "Bearer cf_x_y"})
    assert unknown.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"
    wrong_digits = niss[:9] + "99"
    malformed = client.get(f"/v1/directory/{wrong_digits}", headers=credential("mut-100"))
    assert malformed.status_code == 422
    assert malformed.headers["content-type"] == "application/problem+json"
    assert route_calls == [wrong_digits]
    with hub.uow(read_only=True) as uow:
        lines = uow.consultations.select(niss=None, caller="mut-100")
    assert [line.http_status for line in lines] == [422]


def test_a_kept_connection_that_was_closed_is_replaced_unseen(hub: Hub) -> None:
    niss = make_niss()
    add_lines(hub, niss, "mut-100")
    hot_path = HotPath(hub.engine)
    try:
        assert [line.niss for line in hot_path.lines_of(niss)] == [niss]
        kept = hot_path._reads._connection()  # the connection it keeps
        kept.dbapi_connection.close()  # type: ignore[union-attr]  # as a server restart would
        assert [line.niss for line in hot_path.lines_of(niss)] == [niss]
    finally:
        hot_path.close()


def test_each_caller_gets_its_own_decision_on_the_short_way(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = a_person(hub, "mut-100")
    allowed = credential("mut-100")
    assert client.get(f"/v1/directory/{niss}", headers=allowed).status_code == 200
    # outside the network: refused, though the caller before it was allowed the same read
    refused = client.get(f"/v1/directory/{niss}", headers=credential("payer-ethias-pension"))
    assert refused.status_code == 403
    assert refused.json()["reason_code"] == "not-authorised"
    assert client.get(f"/v1/directory/{niss}", headers=allowed).status_code == 200
    with hub.uow(read_only=True) as uow:
        lines = uow.consultations.select(niss=niss)  # newest first
    assert [(line.caller, bool(line.allowed)) for line in lines] == [
        ("mut-100", True),
        ("payer-ethias-pension", False),
        ("mut-100", True),
    ]


def test_a_credential_revoked_is_refused_on_the_next_read(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    from carrefour.services.institutions import revoke_credentials

    read = f"/v1/directory/{a_person(hub, 'mut-100')}"
    headers = credential("mut-100")
    for _ in range(3):  # verified once, then from the cache
        assert client.get(read, headers=headers).status_code == 200
    with hub.uow() as uow:
        revoke_credentials(uow, institution="mut-100")
    refused = client.get(read, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_header_beyond_its_limit_is_refused_on_the_short_way_too(
    client: TestClient, hub: Hub, credential: Credential, route_calls: list[str]
) -> None:
    read = f"/v1/directory/{a_person(hub, 'mut-100')}"
    headers = {**credential("mut-100"), "Referer": "https://example.org/" + "a" * 3000}
    refused = client.get(read, headers=headers)
    assert refused.status_code == 431
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith(":header-too-long")
    assert route_calls == []


def test_the_short_way_answers_nothing_when_its_line_cannot_be_committed(
    client: TestClient, hub: Hub, credential: Credential, monkeypatch: pytest.MonkeyPatch
) -> None:
    niss = a_person(hub, "mut-100")
    headers = credential("mut-100")

    broken_hot_path(client, monkeypatch, "commit_lines", RuntimeError("the disk is full"))
    failed = client.get(f"/v1/directory/{niss}", headers=headers)
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["type"].endswith(":consultation-log-unavailable")
    assert "items" not in failed.json()
    monkeypatch.undo()
    with hub.uow(read_only=True) as uow:
        assert uow.consultations.select(niss=niss) == []
    assert client.get(f"/v1/directory/{niss}", headers=headers).status_code == 200


def test_a_read_that_fails_on_the_short_way_is_answered_500_and_logged(
    client: TestClient, hub: Hub, credential: Credential, monkeypatch: pytest.MonkeyPatch
) -> None:
    niss = a_person(hub, "mut-100")

    broken_hot_path(client, monkeypatch, "lines_of", RuntimeError("the database went away"))
    quiet = TestClient(client.app, raise_server_exceptions=False)
    failed = quiet.get(f"/v1/directory/{niss}", headers=credential("mut-100"))
    assert failed.status_code == 500
    with hub.uow(read_only=True) as uow:
        lines = uow.consultations.select(niss=niss)  # newest first
        assert verify_log(uow) is None
    assert [(line.http_status, bool(line.allowed)) for line in lines] == [
        (500, False),
        (None, True),
    ]
