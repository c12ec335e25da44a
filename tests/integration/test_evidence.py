"""Tamper evidence that cannot be peeled off: every mailbox status change is a chained entry,
checkpoints are a signed chain kept in the database and in a file outside it, and
``carrefour verify`` names what an administrator with write access changed behind the hub's back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from carrefour.adapters.push import HttpPushSender
from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from carrefour.domain.errors import Conflict
from carrefour.domain.messages import AckResult
from carrefour.services.delivery import requeue_dead_letters
from carrefour.services.institutions import set_push_endpoint
from carrefour.services.mailboxes import acknowledge, pull
from carrefour.services.tracking import checkpoint, verify
from carrefour.workers.delivery import DeliveryWorker
from tests.integration.messaging import integrated, publish_start
from tests.integration.push_server import PushServer
from tests.integration.test_checkpoints import rewrite_inasti_chain, three_starts
from tests.support import tamper


def tamper_table(hub: Hub, table: str, statement: str) -> int:
    return tamper(hub, statement, table=table)


def broken_reason(hub: Hub) -> str:
    with hub.uow() as uow:
        report = verify(uow, signer=hub.signer, journal=hub.journal)
    assert report.broken is not None, "verify should have found the change"
    return report.broken.reason


def intact(hub: Hub) -> bool:
    with hub.uow() as uow:
        return verify(uow, signer=hub.signer, journal=hub.journal).broken is None


def sign(hub: Hub) -> int:
    with hub.uow() as uow:
        return checkpoint(uow, signer=hub.signer, journal=hub.journal).position or 0


def pulled_and_accepted(hub: Hub) -> str:
    """A start message to mut-100, pulled, then accepted."""
    message_id = publish_start(hub, integrated(hub, "mut-100"))
    mut = hub.catalogue.institution("mut-100")
    with hub.uow() as uow:
        pull(uow, caller=mut, after=None, limit=10)
    with hub.uow() as uow:
        acknowledge(uow, caller=mut, message_id=message_id, result=AckResult.ACCEPT)
    return message_id


def test_every_status_change_is_a_chained_entry_and_the_database_verifies(hub: Hub) -> None:
    message_id = pulled_and_accepted(hub)
    with hub.uow() as uow:
        entries = [e for e in uow.evidence.select(holder="mut-100") if e.message_id == message_id]
    assert [(e.event, e.status, e.ack_result) for e in entries] == [
        ("delivered", "delivered", None),
        ("accept", "accepted", "accept"),
    ]
    assert entries[1].prev_hash == entries[0].hash
    sign(hub)
    assert intact(hub)


def test_an_edited_mailbox_status_is_detected(hub: Hub) -> None:
    message_id = pulled_and_accepted(hub)
    assert intact(hub)
    with hub.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE mailbox SET status = 'rejected', ack_result = 'reject' "
                "WHERE message_id = :m"
            ),
            {"m": message_id},
        )
    reason = broken_reason(hub)
    assert "the mailbox row says rejected (reject)" in reason
    assert "made it accepted (accept)" in reason
    assert "mailbox status was edited" in reason


def test_a_status_set_back_to_queued_is_detected(hub: Hub) -> None:
    message_id = pulled_and_accepted(hub)
    with hub.engine.begin() as conn:
        conn.execute(
            text("UPDATE mailbox SET status = 'queued', ack_result = NULL WHERE message_id = :m"),
            {"m": message_id},
        )
    assert "the mailbox row says queued" in broken_reason(hub)


def test_an_edited_status_entry_is_detected_and_a_recomputed_one_by_the_checkpoint(
    hub: Hub,
) -> None:
    message_id = pulled_and_accepted(hub)
    sign(hub)
    tamper_table(
        hub, "status_log", "UPDATE status_log SET status = 'rejected' WHERE event = 'accept'"
    )
    with hub.engine.begin() as conn:
        conn.execute(
            text("UPDATE mailbox SET status = 'rejected' WHERE message_id = :m"), {"m": message_id}
        )
    assert "status change was edited" in broken_reason(hub)


def test_a_rewritten_chain_then_the_newest_checkpoint_deleted_is_detected(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    sign(hub)
    rewrite_inasti_chain(hub, 1)
    # without the file, the older checkpoint still catches it; delete both to hide it there
    tamper_table(
        hub,
        "tracking_checkpoints",
        "DELETE FROM tracking_checkpoints WHERE position = 2",
    )
    reason = broken_reason(hub)
    assert "checkpoint 1" in reason


def test_a_rewritten_chain_then_every_checkpoint_deleted_is_detected(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    sign(hub)
    rewrite_inasti_chain(hub, 1)
    tamper_table(hub, "tracking_checkpoints", "DELETE FROM tracking_checkpoints")
    reason = broken_reason(hub)
    assert (
        "checkpoint 1 is in the checkpoint file but not in the database (it holds none)" in reason
    )


def test_deleting_the_newest_checkpoint_alone_is_detected(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    sign(hub)
    tamper_table(hub, "tracking_checkpoints", "DELETE FROM tracking_checkpoints WHERE position = 2")
    reason = broken_reason(hub)
    assert (
        "checkpoint 2 is in the checkpoint file but not in the database (the newest is 1)" in reason
    )


def test_the_hub_refuses_to_sign_over_a_database_behind_its_checkpoint_file(hub: Hub) -> None:
    """A database rolled back (or its newest checkpoint deleted) is not signed over: a new
    checkpoint would hide the rewrite under a fresh signature."""
    three_starts(hub)
    sign(hub)
    publish_start(hub, integrated(hub, "mut-100"))
    sign(hub)
    tamper_table(hub, "tracking_checkpoints", "DELETE FROM tracking_checkpoints WHERE position = 2")
    with pytest.raises(Conflict, match="the checkpoint file ends at checkpoint 2"):
        sign(hub)
    assert [c.number for c in hub.journal.read()] == [1, 2]
    assert "checkpoint 2 is in the checkpoint file but not in the database" in broken_reason(hub)


def test_a_forged_checkpoint_file_is_detected(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    path = hub.settings.checkpoint_directory / "checkpoints.jsonl"
    line = json.loads(path.read_text())
    line["heads"]["inasti"][1] = "f" * 64
    path.write_text(json.dumps(line) + "\n")
    reason = broken_reason(hub)
    assert "checkpoint 1 of the file" in reason
    assert "not signed by the hub's key" in reason


def test_a_checkpoint_file_that_is_not_json_is_detected(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    path = hub.settings.checkpoint_directory / "checkpoints.jsonl"
    path.write_text(path.read_text() + "{not json\n")
    assert "line 2 of" in broken_reason(hub)


def test_a_deleted_checkpoint_file_is_detected(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    (hub.settings.checkpoint_directory / "checkpoints.jsonl").unlink()
    assert "checkpoint 1 of the database is not in the checkpoint file" in broken_reason(hub)


def test_checkpoints_name_the_one_before_them(hub: Hub) -> None:
    three_starts(hub)
    sign(hub)
    sign(hub)
    with hub.uow() as uow:
        first, second = uow.evidence.checkpoints()
    assert second.previous == first.digest
    assert [c.digest for c in hub.journal.read()] == [first.digest, second.digest]


def test_push_outcomes_and_requeues_are_chained(hub: Hub) -> None:
    endpoint = PushServer()
    endpoint.start()
    sender = HttpPushSender(timeout_seconds=2)
    try:
        with hub.uow() as uow:
            set_push_endpoint(uow, institution="mut-100", url=endpoint.url)
        message_id = publish_start(hub, integrated(hub, "mut-100"))
        endpoint.answer_with(410)  # a permanent refusal: a dead letter at once
        worker = DeliveryWorker(hub, sender)
        assert worker.run_once().dead == 1
        with hub.uow() as uow:
            assert requeue_dead_letters(uow, institution="mut-100") == 1
        endpoint.answer_with(200)
        hub.clock.current = datetime.now(UTC)  # type: ignore[attr-defined]
        assert worker.run_once().delivered == 1
    finally:
        sender.close()
        endpoint.stop()
    with hub.uow() as uow:
        events = [
            e.event for e in uow.evidence.select(holder="mut-100") if e.message_id == message_id
        ]
    assert events == ["failed", "requeued", "delivered"]
    sign(hub)
    assert intact(hub)


def test_verify_from_the_command_line_compares_with_the_file(
    hub: Hub, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_starts(hub)
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    monkeypatch.setenv("CARREFOUR_SIGNING_KEY", str(hub.settings.signing_key))
    runner = CliRunner()
    assert runner.invoke(cli_app, ["checkpoint"]).exit_code == 0
    ok = runner.invoke(cli_app, ["verify"])
    assert ok.exit_code == 0, ok.output
    tamper_table(hub, "tracking_checkpoints", "DELETE FROM tracking_checkpoints")
    broken = runner.invoke(cli_app, ["verify"])
    assert broken.exit_code == 1
    assert "not in the database" in broken.output
