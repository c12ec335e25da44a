"""Running the hub: an online backup and its restore, payload retention, readiness."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from carrefour.adapters.push import HttpPushSender
from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from carrefour.domain.errors import InvalidInput
from carrefour.services.operations import purge_payloads
from carrefour.services.tracking import checkpoint, verify
from carrefour.workers.delivery import DeliveryWorker
from tests.integration.messaging import integrated, publish_start
from tests.support import FakeClock


def run(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, list(args), env={"CARREFOUR_DATABASE_URL": database_url})
    return result.exit_code, result.output


def tracked(hub: Hub) -> int:
    with hub.uow() as uow:
        return sum(len(uow.tracking.select(emitter=e)) for e in uow.tracking.emitters())


def test_a_backup_restores_to_a_database_that_verifies(
    hub: Hub, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        code, output = run(database_url, "backup", str(tmp_path / "copy.db"))
        assert code == 1
        assert "pg_dump" in output
        return
    for _ in range(3):
        publish_start(hub, integrated(hub, "mut-100"))
    with hub.uow() as uow:
        checkpoint(uow, signer=hub.signer, journal=hub.journal)
    copy = tmp_path / "backups" / "carrefour.db"
    code, output = run(database_url, "backup", str(copy))
    assert code == 0, output
    assert "integrity checked" in output
    before = tracked(hub)
    publish_start(hub, integrated(hub, "mut-100"))  # written after the backup: lost by restore
    assert tracked(hub) == before + 1
    code, output = run(database_url, "backup", str(copy))
    assert code == 1
    assert "exists already" in output
    code, output = run(database_url, "restore", str(copy))
    assert code == 0, output
    assert tracked(hub) == before
    with hub.uow() as uow:
        assert verify(uow, signer=hub.signer, journal=hub.journal).broken is None


def test_restore_refuses_a_file_that_is_not_a_backup(
    hub: Hub, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL is restored with pg_restore")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    code, output = run(database_url, "restore", str(junk))
    assert code == 1
    assert "not an SQLite database" in output
    with hub.uow() as uow:  # the live database is untouched
        assert verify(uow, signer=hub.signer, journal=hub.journal).broken is None


def test_purge_empties_old_payloads_and_the_tracking_file_still_verifies(
    hub: Hub, clock: FakeClock
) -> None:
    old = publish_start(hub, integrated(hub, "mut-100"))
    clock.advance(days=40)
    recent = publish_start(hub, integrated(hub, "mut-100"))
    with hub.uow() as uow:
        checkpoint(uow, signer=hub.signer, journal=hub.journal)
    with hub.uow() as uow:
        assert purge_payloads(uow, older_than_days=30, chunk=1) == 1
    with hub.uow() as uow:
        purged, kept = uow.messages.get(old), uow.messages.get(recent)
        assert purge_payloads(uow, older_than_days=30) == 0  # a rerun finds nothing left
        assert verify(uow, signer=hub.signer, journal=hub.journal).broken is None
    assert purged is not None
    assert kept is not None
    assert set(purged.payload) == {"purged_at"}
    assert "begin" in kept.payload
    with hub.uow() as uow, pytest.raises(InvalidInput, match="at least 1 day"):
        purge_payloads(uow, older_than_days=0)


def test_purge_from_the_command_line(hub: Hub, database_url: str, clock: FakeClock) -> None:
    publish_start(hub, integrated(hub, "mut-100"))  # on the test clock, in 2025: old today
    code, output = run(database_url, "purge", "--payloads-older-than", "30")
    assert code == 0, output
    assert "1 message payload(s) older than 30 days emptied" in output


def test_readyz_needs_the_database_the_schema_and_a_live_worker(
    client: TestClient, hub: Hub, clock: FakeClock
) -> None:
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json()["worker"] is False
    assert "no background worker ever reported" in waiting.json()["problems"][0]
    sender = HttpPushSender(timeout_seconds=1)
    try:
        DeliveryWorker(hub, sender).run_once()
    finally:
        sender.close()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json() == {
        "status": "ready",
        "database": True,
        "migrations": True,
        "worker": True,
        "problems": [],
    }
    clock.advance(seconds=hub.settings.worker_stale_seconds + 1)
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert "no background worker reported for 61 s" in stale.json()["problems"][0]
    clock.advance(seconds=-hub.settings.worker_stale_seconds)
    with hub.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["migrations"] is False
    assert "run `carrefour db upgrade`" in behind.json()["problems"][0]
    assert client.get("/healthz").status_code == 200
