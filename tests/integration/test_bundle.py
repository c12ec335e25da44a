"""A person's evidence as one file, checked offline with the hub's public key alone."""

from __future__ import annotations

import hashlib
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


def interleaved(hub: Hub) -> tuple[str, str]:
    """The person's and another person's messages in turn in INASTI's chain, the other's
    answered too, then a checkpoint: the person's proof runs through the other's entries."""
    person = integrated(hub, "mut-100")
    other = integrated(hub, "mut-100")
    publish_start(hub, person)
    theirs = publish_start(hub, other)
    publish_start(hub, person)
    publish_start(hub, other)
    mut = hub.catalogue.institution("mut-100")
    with hub.uow() as uow:
        pull(uow, caller=mut, after=None, limit=10)
    with hub.uow() as uow:
        acknowledge(uow, caller=mut, message_id=theirs, result=AckResult.REJECT, reason="no")
    with hub.uow() as uow:
        checkpoint(uow, signer=hub.signer, journal=hub.journal)
    return person, other


def test_a_bundle_discloses_nothing_about_anyone_else(hub: Hub, tmp_path: Path) -> None:
    person, other = interleaved(hub)
    bundle = bundle_of(hub, person)
    report = check_bundle(bundle, signature_check())
    assert report.broken is None
    assert (report.tracking, report.unproved) == (2, 0)
    entries = bundle["tracking"]["inasti"]["entries"]
    # up to the signed head, the other's entries carried by their digest alone
    assert [e.get("niss") for e in entries] == [person, None, person, None]
    assert all(set(e) == {"digest", "position"} for e in entries[1::2])
    text = json.dumps(bundle)
    assert other not in text
    assert f"{other[:6]}-{other[6:9]}-{other[9:]}" not in text
    with hub.uow() as uow:
        message_ids = {m.id for m in uow.messages.of_niss(other)}
    assert message_ids
    assert not any(m in text for m in message_ids)


@pytest.mark.parametrize("change", ["digest", "drop", "swap"])
def test_a_bundle_with_another_persons_digest_altered_is_refused(hub: Hub, change: str) -> None:
    person, _ = interleaved(hub)
    bundle = bundle_of(hub, person)
    entries = bundle["tracking"]["inasti"]["entries"]
    if change == "digest":
        entries[1]["digest"] = "ab" * 32
    elif change == "drop":
        del entries[1]
    else:
        entries[0], entries[1] = entries[1], entries[0]
    assert check_bundle(bundle, signature_check()).broken is not None


def test_a_chain_written_in_format_1_leaves_the_person_unproved_rather_than_disclose(
    hub: Hub,
) -> None:
    """Someone else's entry written before format 2 cannot be proved by its digest: the
    person's entries of that chain are listed as unproved, and the other's are not carried."""
    from dataclasses import replace

    from carrefour.domain.messages import hash_holds
    from tests.support import tamper

    person = integrated(hub, "mut-100")
    other = integrated(hub, "mut-100")
    publish_start(hub, person)
    publish_start(hub, other)
    publish_start(hub, person)
    with hub.uow() as uow:
        chain = uow.tracking.select(emitter="inasti")
    previous = chain[0].prev_hash
    for entry in chain:  # the chain as format 1 wrote it
        old = replace(entry, prev_hash=previous)
        old = replace(old, hash=hashlib.sha256(old.hashed_bytes()).hexdigest())
        assert hash_holds(old)
        tamper(
            hub,
            "UPDATE tracking SET prev_hash = :p, hash = :h WHERE position = :n",
            p=old.prev_hash, h=old.hash, n=entry.position,
        )  # fmt: skip
        previous = old.hash
    tamper(hub, "UPDATE tracking_heads SET hash = :h WHERE emitter = 'inasti'", h=previous)
    with hub.uow() as uow:
        checkpoint(uow, signer=hub.signer, journal=hub.journal)
    bundle = bundle_of(hub, person)
    assert bundle["tracking"] == {}
    assert [e["niss"] for e in bundle["unproved"]] == [person, person]
    assert other not in json.dumps(bundle)
    assert check_bundle(bundle, signature_check()).broken is None
