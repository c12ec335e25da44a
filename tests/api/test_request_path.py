"""The request path reads without the write lock: health and authentication answer while a
writer (a batch chunk, say) holds it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import insert

from carrefour.adapters.db import tables as t
from carrefour.bootstrap import Hub
from carrefour.services.institutions import authenticate, revoke_credentials

Credential = Callable[[str], dict[str, str]]


@contextmanager
def write_lock_held(hub: Hub) -> Iterator[None]:
    """A transaction that has written and not committed: on SQLite it holds the write lock."""
    with hub.uow() as uow:
        uow.connection.execute(
            insert(t.niss_replacements).values(
                old_niss="68060105329",
                new_niss="68060105428",
                recorded_by="bcss",
                recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        yield


def finishes_within(seconds: float, work: Callable[[], object]) -> object:
    """``work``'s result, or a failure if it is still waiting after ``seconds``."""
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert results, f"still waiting after {seconds} s: it queued behind the writer"
    return results[0]


def test_health_answers_while_a_writer_holds_the_lock(client: TestClient, hub: Hub) -> None:
    with write_lock_held(hub):
        response = finishes_within(5, lambda: client.get("/healthz"))
    assert getattr(response, "status_code", None) == 200


def test_authentication_reads_while_a_writer_holds_the_lock(
    hub: Hub, credential: Credential
) -> None:
    token = credential("mut-100")["Authorization"].removeprefix("Bearer ")

    def sign_in() -> str:
        with hub.uow(read_only=True) as uow:
            return authenticate(uow, token).id

    with write_lock_held(hub):
        assert finishes_within(5, sign_in) == "mut-100"


def test_a_revocation_takes_effect_on_the_next_request(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    headers = credential("mut-100")
    for _ in range(3):
        assert client.get("/v1/institutions", headers=headers).status_code == 200
    with hub.uow() as uow:
        revoke_credentials(uow, institution="mut-100")
    assert client.get("/v1/institutions", headers=headers).status_code == 401


def test_with_no_credential_cache_a_revocation_by_another_process_takes_effect_at_once(
    hub: Hub, credential: Credential
) -> None:
    from sqlalchemy import update

    from carrefour.api.app import create_app

    hub.settings = hub.settings.model_copy(update={"credential_cache_seconds": 0})
    headers = credential("mut-100")
    with TestClient(create_app(hub)) as client:
        assert client.get("/v1/institutions", headers=headers).status_code == 200
        # as `carrefour institutions revoke` in another process would: straight in the database
        with hub.uow() as uow:
            uow.connection.execute(
                update(t.credentials).values(revoked_at=datetime(2026, 1, 1, tzinfo=UTC))
            )
            uow.commit()
        assert client.get("/v1/institutions", headers=headers).status_code == 401
