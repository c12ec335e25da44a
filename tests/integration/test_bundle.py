"""A person's evidence as one file, checked offline with the hub's public key alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carrefour.bootstrap import Hub, signature_check
from carrefour.cli.main import app as cli_app
from carrefour.domain.evidence import check_bundle
from carrefour.domain.messages import AckResult
from carrefour.services.mailboxes import acknowledge, pull
from carrefour.services.operations import export_bundle
from carrefour.services.tracking import checkpoint
from tests.integration.messaging import integrated, publish_start


def scenario(hub: Hub) -> str:
    """Two persons' start messages, one pulled and accepted, a checkpoint, one more message."""
    person = integrated(hub, "mut-100")
    other = integrated(hub, "mut-100")
    mine = publish_start(hub, person)
    publish_start(hub, other)
    mut = hub.catalogue.institution("mut-100")
    with hub.uow() as uow:
        pull(uow, caller=mut, after=None, limit=10)
    with hub.uow() as uow:
        acknowledge(uow, caller=mut, message_id=mine, result=AckResult.ACCEPT)
    with hub.uow() as uow:
        checkpoint(uow, signer=hub.signer, journal=hub.journal)
    publish_start(hub, person)  # after the checkpoint: listed, not proved
    return person


def bundle_of(hub: Hub, person: str) -> dict[str, Any]:
    with hub.uow() as uow:
        bundle = export_bundle(uow, by="bcss", niss=person, public_key=hub.signer.public_key())
    return json.loads(json.dumps(bundle))  # as the file carries it


def test_a_bundle_proves_a_persons_entries_with_the_public_key_alone(hub: Hub) -> None:
    person = scenario(hub)
    bundle = bundle_of(hub, person)
    report = check_bundle(bundle, signature_check())
    assert report.broken is None
    assert (report.tracking, report.statuses, report.unproved, report.checkpoints) == (
        2,
        2,
        1,
        1,
    )  # the start message and the answer
    # other persons' status changes travel as digests only
    links = bundle["statuses"]["mut-100"]["entries"]
    assert all(set(e) == {"digest", "position"} for e in links if e.get("niss") != person)
    with hub.uow() as uow:
        lines = uow.consultations.select(niss=person, caller="bcss", limit=5)
    assert any("tracking bundle exported" in line.detail for line in lines)


@pytest.mark.parametrize(
    "change",
    ["recipient", "status", "signature", "key", "head"],
)
def test_an_altered_bundle_is_refused(hub: Hub, change: str) -> None:
    bundle = bundle_of(hub, scenario(hub))
    if change == "recipient":
        bundle["tracking"]["inasti"]["entries"][0]["recipient"] = "mut-200"
    elif change == "status":
        first = bundle["statuses"]["mut-100"]["entries"][-1]
        first["status"] = "rejected"
    elif change == "signature":
        bundle["checkpoints"][0]["signature"] = "00" * 64
    elif change == "key":
        bundle["public_key"] = "11" * 32
    else:
        bundle["tracking"]["inasti"]["entries"].pop()
    report = check_bundle(bundle, signature_check())
    assert report.broken is not None, change


def test_export_and_verify_bundle_from_the_command_line(
    hub: Hub, database_url: str, tmp_path: Path
) -> None:
    person = scenario(hub)
    env = {
        "CARREFOUR_DATABASE_URL": database_url,
        "CARREFOUR_SIGNING_KEY": str(hub.settings.signing_key),
    }
    runner = CliRunner()
    target = tmp_path / "bundle.json"
    written = runner.invoke(cli_app, ["tracking", "export", person, "-o", str(target)], env=env)
    assert written.exit_code == 0, written.output
    assert "1 checkpoint(s)" in written.output
    # offline: no database, no key file
    checked = runner.invoke(cli_app, ["tracking", "verify-bundle", str(target)], env={})
    assert checked.exit_code == 0, checked.output
    assert f"bundle intact for {person}: 2 tracking entr(ies) and 2 status change(s)" in (
        checked.output
    )
    body = json.loads(target.read_text())
    body["tracking"]["inasti"]["entries"][0]["flow"] = "self-employed-stop"
    target.write_text(json.dumps(body))
    broken = runner.invoke(cli_app, ["tracking", "verify-bundle", str(target)], env={})
    assert broken.exit_code == 1
    assert "broken bundle" in broken.output
    listed = runner.invoke(cli_app, ["tracking", person], env=env)
    assert listed.exit_code == 0, listed.output
    assert "tracking file for" in listed.output
