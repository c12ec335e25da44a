"""Signed checkpoints: a chain rewritten with every hash recomputed still passes the chain
check, and is caught by a checkpoint signed before the rewrite."""

from __future__ import annotations

import stat
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from carrefour.domain.messages import entry_hash, verify_chain
from carrefour.services.tracking import checkpoint, verify
from carrefour.services.unit_of_work import Checkpoint
from tests.integration.messaging import integrated, publish_start
from tests.support import tamper


def three_starts(hub: Hub) -> None:
    for _ in range(3):
        publish_start(hub, integrated(hub, "mut-100"))


def rewrite_inasti_chain(hub: Hub, index: int) -> None:
    """Edit one entry of INASTI's chain and recompute every hash after it, head included:
    what someone with write access to the database and time on their hands could do."""
    with hub.uow() as uow:
        entries = uow.tracking.select(emitter="inasti")
    previous = entries[index - 1].hash if index else entries[0].prev_hash
    for entry in entries[index:]:
        changed = replace(entry, prev_hash=previous, hash="")
        if entry is entries[index]:
            changed = replace(changed, recipient="mut-200")
        changed = replace(changed, hash=entry_hash(changed))
        tamper(
            hub,
            "UPDATE tracking SET recipient = :r, prev_hash = :p, hash = :h WHERE position = :n",
            r=changed.recipient, p=changed.prev_hash, h=changed.hash, n=entry.position,
        )  # fmt: skip
        previous = changed.hash
    tamper(hub, "UPDATE tracking_heads SET hash = :h WHERE emitter = 'inasti'", h=previous)


def test_a_checkpoint_signs_every_chain_head_and_verifies(hub: Hub) -> None:
    three_starts(hub)
    with hub.uow() as uow:
        signed = checkpoint(uow, signer=hub.signer)
    assert set(signed.heads) == {"inasti"}
    assert signed.heads["inasti"][0] > 0
    key = hub.settings.signing_key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with hub.uow() as uow:
        assert verify(uow, signer=hub.signer).broken is None


def test_a_rewritten_chain_passes_the_hash_check_but_not_an_earlier_checkpoint(hub: Hub) -> None:
    three_starts(hub)
    with hub.uow() as uow:
        checkpoint(uow, signer=hub.signer)
    rewrite_inasti_chain(hub, 1)
    with hub.uow() as uow:
        # the chain itself is consistent again: without a checkpoint, nothing would show it
        assert verify_chain(uow.tracking.select(emitter="inasti")) is None
    with hub.uow() as uow:
        broken = verify(uow, signer=hub.signer).broken
    assert broken is not None
    assert broken.emitter == "inasti"
    assert "checkpoint 1" in broken.reason
    assert "rewritten" in broken.reason


def test_a_forged_checkpoint_is_named(hub: Hub) -> None:
    three_starts(hub)
    with hub.uow() as uow:
        signed = checkpoint(uow, signer=hub.signer)
        forged = Checkpoint(
            at=signed.at,
            heads=signed.heads,
            signature="00" * 64,
            public_key=signed.public_key,
        )
        uow.tracking.add_checkpoint(forged)
        uow.commit()
    with hub.uow() as uow:
        broken = verify(uow, signer=hub.signer).broken
    assert broken is not None
    assert "checkpoint 2" in broken.reason
    assert "not signed by the hub's key" in broken.reason


def test_checkpoint_and_verify_from_the_command_line(
    hub: Hub, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_starts(hub)
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    monkeypatch.setenv("CARREFOUR_SIGNING_KEY", str(hub.settings.signing_key))
    runner = CliRunner()
    signed = runner.invoke(cli_app, ["checkpoint"])
    assert signed.exit_code == 0, signed.output
    assert "1 chain heads signed" in signed.output
    ok = runner.invoke(cli_app, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "1 signed checkpoint(s)" in ok.output
    rewrite_inasti_chain(hub, 0)
    broken = runner.invoke(cli_app, ["verify"])
    assert broken.exit_code == 1
    assert "checkpoint 1" in broken.output
