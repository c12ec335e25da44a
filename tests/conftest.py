"""Fixtures: every storage and API test runs on SQLite and on PostgreSQL, on a fresh database.

A template database is migrated and loaded with the catalogue once per test process; each test gets
a copy (a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL). Where PostgreSQL
cannot be reached the PostgreSQL half skips, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from carrefour.api.app import create_app
from carrefour.bootstrap import Hub, bootstrap, upgrade_database
from carrefour.config import Settings
from carrefour.services.institutions import issue_credential
from tests.support import FakeClock

POSTGRES_URL = os.environ.get(
    "CARREFOUR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_counter = itertools.count()


def _admin_engine() -> Engine:
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _postgres_reason() -> str | None:
    try:
        engine = _admin_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}: {error}"
    return None


def _pg_url(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(Settings(database_url=f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    reason = _postgres_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required under CI=true)")
        pytest.skip(reason)
    name = f"carrefour_tpl_{WORKER}_{os.getpid()}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade_database(Settings(database_url=_pg_url(name)))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database with the catalogue loaded, on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "carrefour.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"carrefour_t_{WORKER}_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _signing_key_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run in a test sign with the test's own key, beside which their checkpoint file
    is appended (the ``hub`` fixture's), never a key or file in the working directory."""
    monkeypatch.setenv("CARREFOUR_SIGNING_KEY", str(tmp_path / "signing.key"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hub(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Hub]:
    settings = Settings(
        database_url=database_url,
        run_worker_in_server=False,
        signing_key=tmp_path / "signing.key",
    )
    hub = bootstrap(settings, clock=clock)
    yield hub
    hub.dispose()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def credential(hub: Hub) -> Callable[[str], dict[str, str]]:
    """``credential("mut-100")`` -> the Authorization headers of a new credential."""

    def issue(institution: str) -> dict[str, str]:
        with hub.uow() as uow:
            token = issue_credential(uow, institution=institution)
        return {"Authorization": f"Bearer {token}"}

    return issue
