"""Upgrading a database whose consultation log holds lines written before 0011 (no hash): 0016
chains every line, old and new, in position order, so ``carrefour verify`` covers them all; a
log already broken refuses the upgrade instead of being chained again over the damage."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import column, insert, table, text

from carrefour.adapters.db.engine import make_engine
from carrefour.adapters.db.migrate import alembic_config
from carrefour.adapters.db.repositories import write_consultation_lines
from carrefour.bootstrap import bootstrap, upgrade_database
from carrefour.config import Settings
from carrefour.services.tracking import verify
from carrefour.services.unit_of_work import ConsultationEntry
from tests.conftest import WORKER, _admin_engine, _pg_url, _postgres_reason
from tests.support import tamper

AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
OLD = ("position", "at", "caller", "action", "flow", "niss", "rule_id", "allowed",
       "reason_code", "status_code", "detail")  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    reason = _postgres_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"carrefour_m16_{WORKER}_{os.getpid()}_{tmp_path.name[-20:]}".replace("-", "_")
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(
    url: str, revision: str, *, step: Callable[[Config, str], None] = command.upgrade
) -> None:
    """Upgrade (or, with ``step=command.downgrade``, downgrade) the database to ``revision``."""
    engine = make_engine(url)
    config = alembic_config(url)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        step(config, revision)
        conn.commit()
    engine.dispose()


def old_lines(url: str, count: int) -> None:
    """Lines as revision 0010 wrote them: no object id, no status, no hash."""
    log = table("consultation_log", *(column(name) for name in OLD[1:]))
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(log),
            [
                {"at": AT + timedelta(minutes=i), "caller": "mut-100", "action": "consult",
                 "flow": "tracking", "niss": "68060105329", "rule_id": "r", "allowed": True,
                 "reason_code": None, "status_code": "MSG00000", "detail": f"old line {i}"}
                for i in range(count)
            ],
        )  # fmt: skip
    engine.dispose()


def new_lines(url: str, count: int) -> None:
    """Lines written by the hub between 0011 and 0016: chained after the genesis."""
    engine = make_engine(url)
    with engine.begin() as conn:
        write_consultation_lines(
            conn,
            [
                ConsultationEntry(
                    at=AT + timedelta(days=1, minutes=i),
                    caller="inasti",
                    action="send",
                    flow="rgti",
                    niss="68060105329",
                    rule_id=None,
                    allowed=False,
                    reason_code="not-authorised",
                    status_code="MSG00013",
                    detail=f"new line {i}",
                    http_status=403,
                )
                for i in range(count)
            ],
        )
    engine.dispose()


def test_lines_written_before_0011_are_chained_by_the_upgrade(
    empty_url: str, tmp_path: Path
) -> None:
    migrate(empty_url, "0010")
    old_lines(empty_url, 4)
    migrate(empty_url, "0014")
    new_lines(empty_url, 2)
    settings = Settings(database_url=empty_url, signing_key=tmp_path / "key")
    upgrade_database(settings)
    hub = bootstrap(settings)
    try:
        with hub.uow() as uow:
            chain = list(uow.consultations.chain())
            assert [line.detail for line in chain] == [
                *(f"old line {i}" for i in range(4)),
                "new line 0",
                "new line 1",
            ]
            assert uow.consultations.head() == (6, chain[-1].hash)
            assert verify(uow, signer=hub.signer, journal=hub.journal).broken is None
        # an old line is now as much in the chain as a new one
        tamper(
            hub,
            "DELETE FROM consultation_log WHERE position = :p",
            table="consultation_log",
            p=chain[1].position,
        )
        with hub.uow() as uow:
            broken = verify(uow, signer=hub.signer, journal=hub.journal).broken
        assert broken is not None
        assert broken.emitter == "consultation-log"
        assert "a consultation line was deleted or edited" in broken.reason
    finally:
        hub.dispose()


def test_a_log_broken_before_the_upgrade_refuses_it(empty_url: str, tmp_path: Path) -> None:
    migrate(empty_url, "0010")
    old_lines(empty_url, 2)
    migrate(empty_url, "0014")
    new_lines(empty_url, 2)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE consultation_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER consultation_log_no_update"))
        conn.execute(
            text("UPDATE consultation_log SET detail = 'edited' WHERE detail = 'new line 0'")
        )
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE consultation_log ENABLE TRIGGER USER"))
    engine.dispose()
    settings = Settings(database_url=empty_url, signing_key=tmp_path / "key")
    with pytest.raises(RuntimeError, match="the consultation log is already broken"):
        upgrade_database(settings)
