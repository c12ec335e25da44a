"""The consultation log's head is signed in every checkpoint: lines deleted behind the hub's
back, with the head row set back so that the chain itself looks whole, are still caught by
``carrefour verify`` against the checkpoints and the checkpoint file."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from carrefour.domain.messages import GENESIS_HASH
from carrefour.services.consultations import chained
from carrefour.services.tracking import verify
from tests.integration.messaging import integrated, publish_start
from tests.integration.test_evidence import broken_reason, intact, sign
from tests.support import tamper


def consultations(hub: Hub, count: int = 3) -> tuple[int, str]:
    """A few starts (each integration writes its line), then the log's head."""
    for _ in range(count):
        publish_start(hub, integrated(hub, "mut-100"))
    with hub.uow() as uow:
        head = uow.consultations.head()
    assert head[0] >= count
    return head


def set_head(hub: Hub, lines: int, digest: str) -> None:
    with hub.engine.begin() as conn:
        conn.execute(
            text("UPDATE consultation_log_head SET lines = :n, hash = :h WHERE id = 1"),
            {"n": lines, "h": digest},
        )


def keep_first(hub: Hub, lines: int) -> None:
    """Delete every consultation line after the first ``lines`` and set the head back to the
    last one kept: the chain that stays is consistent, nothing recomputed."""
    with hub.uow() as uow:
        kept = list(uow.consultations.chain())[:lines]
    last = kept[-1].position if kept else 0
    tamper(
        hub, "DELETE FROM consultation_log WHERE position > :p", table="consultation_log", p=last
    )
    set_head(hub, len(kept), kept[-1].hash if kept else GENESIS_HASH)


def test_a_checkpoint_signs_the_consultation_logs_head(hub: Hub) -> None:
    head = consultations(hub)
    sign(hub)
    with hub.uow() as uow:
        (signed,) = uow.evidence.checkpoints()
    assert signed.log_head == head
    assert hub.journal.read()[0].log_head == head
    assert intact(hub)


def test_every_line_deleted_and_the_head_set_back_is_detected(hub: Hub) -> None:
    lines, _ = consultations(hub)
    sign(hub)
    keep_first(hub, 0)
    with hub.uow() as uow:
        assert uow.consultations.head() == (0, GENESIS_HASH)
        assert list(uow.consultations.chain()) == []
    reason = broken_reason(hub)
    assert f"checkpoint 1 signed the consultation log at {lines} line(s)" in reason
    assert "the log holds 0" in reason


def test_the_newest_lines_deleted_and_the_head_set_back_are_detected(hub: Hub) -> None:
    lines, _ = consultations(hub)
    sign(hub)
    publish_start(hub, integrated(hub, "mut-100"))  # lines after the checkpoint
    keep_first(hub, lines - 1)
    reason = broken_reason(hub)
    assert f"checkpoint 1 signed the consultation log at {lines} line(s)" in reason
    assert f"the log holds {lines - 1}" in reason


def test_lines_deleted_after_the_checkpoint_alone_show_in_the_next_one(hub: Hub) -> None:
    """Lines newer than every checkpoint are the chain's own business: deleting them with the
    head set back is caught once a later checkpoint signed them, not before."""
    lines, _ = consultations(hub)
    sign(hub)
    publish_start(hub, integrated(hub, "mut-100"))
    sign(hub)
    keep_first(hub, lines)
    assert "checkpoint 2 signed the consultation log" in broken_reason(hub)


def test_a_rewritten_log_is_detected_by_the_signed_hash(hub: Hub) -> None:
    lines, _ = consultations(hub)
    sign(hub)
    with hub.uow() as uow:
        chain = list(uow.consultations.chain())
    # every line edited and chained again: the chain holds, the count holds, the hash does not
    relinked = chained([replace(line, caller="inasti") for line in chain], GENESIS_HASH)
    for line in relinked:
        tamper(
            hub,
            "UPDATE consultation_log SET caller = :c, prev_hash = :p, hash = :h "
            "WHERE position = :n",
            table="consultation_log", c=line.caller, p=line.prev_hash, h=line.hash, n=line.position,
        )  # fmt: skip
    set_head(hub, len(relinked), relinked[-1].hash)
    reason = broken_reason(hub)
    assert f"checkpoint 1 signed the consultation log at {lines} line(s)" in reason
    assert "differs" in reason


def test_lines_and_checkpoints_deleted_are_caught_by_the_file(
    hub: Hub, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    consultations(hub)
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    monkeypatch.setenv("CARREFOUR_SIGNING_KEY", str(hub.settings.signing_key))
    monkeypatch.setenv("CARREFOUR_CHECKPOINT_DIR", str(hub.settings.checkpoint_directory))
    runner = CliRunner()
    assert runner.invoke(cli_app, ["checkpoint"]).exit_code == 0
    assert runner.invoke(cli_app, ["verify"]).exit_code == 0
    keep_first(hub, 0)
    broken = runner.invoke(cli_app, ["verify"])
    assert broken.exit_code == 1
    assert "signed the consultation log" in broken.output
    tamper(hub, "DELETE FROM tracking_checkpoints", table="tracking_checkpoints")
    with hub.uow() as uow:
        # without the file, nothing is left to show it
        assert verify(uow, signer=hub.signer).broken is None
    broken = runner.invoke(cli_app, ["verify"])
    assert broken.exit_code == 1
    assert "in the checkpoint file but not in the database" in broken.output
