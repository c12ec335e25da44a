"""The tracking file, on SQLite and PostgreSQL: one entry per recipient, a hash chain per emitter
that ``verify`` (and ``carrefour verify``) checks, and consultation by who integrated the person.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import GENESIS_HASH, AckResult, TrackingEntry, entry_hash
from carrefour.domain.routing import Recipient
from carrefour.services.mailboxes import acknowledge
from carrefour.services.tracking import UnregisteredParty, verify
from tests import support
from tests.integration import messaging
from tests.support import make_niss, stray_rows

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"
START = messaging.START
integrated = messaging.integrated
routed = messaging.routed


def publish_start(hub: Hub, niss: str, found: list[Recipient] | None = None) -> str:
    return messaging.publish_start(hub, niss, found=found)


def chain(hub: Hub, emitter: str = "inasti") -> list[TrackingEntry]:
    with hub.uow() as uow:
        return uow.tracking.select(emitter=emitter)


def tamper(hub: Hub, statement: str, **params: Any) -> None:
    """Change the tracking table behind the hub's back, as its owner could."""
    assert support.tamper(hub, statement, **params) == 1


def test_the_tracking_file_and_the_consultation_log_refuse_updates_and_deletes(hub: Hub) -> None:
    entries = three_messages(hub)
    for statement in (
        "UPDATE tracking SET status = 'x' WHERE position = :p",
        "DELETE FROM tracking WHERE position = :p",
        "UPDATE consultation_log SET allowed = false WHERE position = :p",
        "DELETE FROM consultation_log WHERE position = :p",
    ):
        with pytest.raises(DBAPIError, match="append-only"), hub.engine.begin() as conn:
            conn.execute(text(statement), {"p": entries[0].position})
    with hub.uow() as uow:
        assert verify(uow).broken is None


def three_messages(hub: Hub) -> list[TrackingEntry]:
    """Three start messages (two to one recipient, one to two): four chained entries."""
    first = integrated(hub, "mut-100")
    publish_start(hub, first)
    publish_start(hub, integrated(hub, "mut-200", "faf-famiwal"))
    publish_start(hub, first)
    entries = chain(hub)
    assert len(entries) == 4
    return entries


def test_each_recipient_of_a_message_gets_one_tracking_entry(hub: Hub) -> None:
    niss = integrated(hub, "mut-100", "mut-200", "faf-famiwal")
    found = routed(hub, niss)

    message_id = publish_start(hub, niss, found)

    with hub.uow() as uow:
        entries = uow.tracking.select(niss=niss)
    assert sorted(e.recipient for e in entries) == ["faf-famiwal", "mut-100", "mut-200"]
    assert {e.recipient: e.rule_id for e in entries} == {r.institution: r.rule_id for r in found}
    for entry in entries:
        assert entry.message_id == message_id
        assert entry.flow == START
        assert entry.emitter == "inasti"
        assert entry.niss == niss
        assert entry.event_date == date(2025, 6, 1)
        assert entry.sent_at == hub.clock.now()
        assert entry.status == "queued"


def test_the_entries_of_an_emitter_form_a_hash_chain_that_verifies(hub: Hub) -> None:
    entries = three_messages(hub)

    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in pairwise(entries):
        assert after.prev_hash == before.hash
        assert (after.position or 0) > (before.position or 0)
    assert all(entry_hash(e) == e.hash for e in entries)
    assert len({e.hash for e in entries}) == len(entries)
    with hub.uow() as uow:
        report = verify(uow)
    assert report.broken is None
    assert report.unregistered == ()
    assert report.intact
    assert report.entries == 4
    assert report.emitters == 1


def test_verify_names_a_sender_and_a_recipient_that_no_institution_registers(hub: Hub) -> None:
    """No foreign key refuses them since migration 0020: verify finds them, beside the chains."""
    three_messages(hub)
    stray_rows(hub.engine, sender="ghost-sender", messages=2, recipient="ghost-mut", rows=1)

    with hub.uow() as uow:
        report = verify(uow)

    assert report.unregistered == (
        UnregisteredParty("messages", "sender", "ghost-sender", 2),
        UnregisteredParty("mailbox", "recipient", "ghost-mut", 1),
    )
    assert not report.intact
    assert report.entries == 4


EDITS = {
    "niss": "UPDATE tracking SET niss = :value WHERE position = :position",
    "status": "UPDATE tracking SET status = :value WHERE position = :position",
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_verify_names_an_entry_edited_in_the_database(hub: Hub, column: str) -> None:
    entries = three_messages(hub)
    edited = entries[1]
    value = make_niss() if column == "niss" else "accepted"
    tamper(hub, EDITS[column], value=value, position=edited.position)

    with hub.uow() as uow:
        broken = verify(uow).broken

    assert broken is not None
    assert (broken.emitter, broken.position) == ("inasti", edited.position)
    assert broken.message_id == edited.message_id
    assert "edited" in broken.reason


@pytest.mark.parametrize("deleted", [0, 1, 2])
def test_verify_names_the_entry_after_a_deleted_one(hub: Hub, deleted: int) -> None:
    entries = three_messages(hub)
    tamper(hub, "DELETE FROM tracking WHERE position = :p", p=entries[deleted].position)

    with hub.uow() as uow:
        broken = verify(uow).broken

    assert broken is not None
    assert (broken.emitter, broken.position) == ("inasti", entries[deleted + 1].position)
    assert "deleted" in broken.reason


def test_verify_detects_a_deleted_last_entry(hub: Hub) -> None:
    entries = three_messages(hub)
    tamper(hub, "DELETE FROM tracking WHERE position = :p", p=entries[-1].position)

    with hub.uow() as uow:
        report = verify(uow)

    assert report.broken is not None
    assert report.broken.emitter == "inasti"
    assert report.broken.position == entries[-2].position
    assert "deleted" in report.broken.reason


def test_verify_checks_the_chain_of_every_emitter(hub: Hub) -> None:
    entries = three_messages(hub)
    with hub.uow() as uow:
        acknowledge(
            uow,
            caller=hub.catalogue.institution("mut-100"),
            message_id=entries[0].message_id,
            result=AckResult.ACCEPT,
        )
    [answer] = chain(hub, "mut-100")
    assert answer.prev_hash == GENESIS_HASH
    with hub.uow() as uow:
        assert verify(uow).emitters == 2
    tamper(hub, "UPDATE tracking SET status = 'x' WHERE position = :p", p=answer.position)

    with hub.uow() as uow:
        broken = verify(uow).broken

    assert broken is not None
    assert (broken.emitter, broken.position) == ("mut-100", answer.position)


def test_the_verify_command_exits_0_when_intact_and_1_naming_the_broken_entry(
    hub: Hub, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = three_messages(hub)
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    runner = CliRunner()

    intact = runner.invoke(cli_app, ["verify"])
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output
    assert "4 entries" in intact.output

    tamper(hub, "UPDATE tracking SET status = 'x' WHERE position = :p", p=entries[2].position)
    broken = runner.invoke(cli_app, ["verify"])

    assert broken.exit_code == 1, broken.output
    assert f"inasti at entry {entries[2].position}" in broken.output
    assert entries[2].message_id in broken.output


def test_a_mutuality_that_integrated_the_person_consults_the_tracking_file(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = integrated(hub, "mut-100", "mut-200")
    message_id = publish_start(hub, niss)
    headers = credential("mut-100")
    assert client.get("/v1/mailbox", headers=headers).status_code == 200  # mut-100 pulls

    response = client.get(
        "/v1/tracking", params={"niss": parse_niss(niss).formatted()}, headers=headers
    )

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["recipient"]: i["delivery_status"] for i in items} == {
        "mut-100": "delivered",
        "mut-200": "queued",
    }
    for item in items:
        assert item["message_id"] == message_id
        assert item["emitter"] == "inasti"
        assert item["flow"] == START
        assert item["niss"] == niss
        assert item["status"] == "queued", "the entry keeps the state it was sent with"
    with hub.uow() as uow:
        logged = uow.consultations.select(niss=niss, caller="mut-100")
    assert [(e.flow, e.allowed) for e in logged if e.flow == "tracking"] == [("tracking", True)]


@pytest.mark.parametrize(
    ("caller", "reason_code"),
    [
        ("faf-famiwal", "not-integrated"),
        ("onem", "not-integrated"),
        ("mut-300", "not-integrated"),
        ("cas-acerta", "not-authorised"),
    ],
)
def test_an_institution_that_did_not_integrate_the_person_is_refused_and_logged(
    client: TestClient, hub: Hub, credential: Credential, caller: str, reason_code: str
) -> None:
    niss = integrated(hub, "mut-100")
    publish_start(hub, niss)

    response = client.get("/v1/tracking", params={"niss": niss}, headers=credential(caller))

    assert response.status_code == 403, response.text
    body = response.json()
    assert body["type"] == PROBLEM + "not-authorised"
    assert body["reason_code"] == reason_code
    assert "items" not in body
    with hub.uow() as uow:
        logged = uow.consultations.select(niss=niss, caller=caller)
    assert [(e.flow, e.allowed, e.reason_code) for e in logged] == [
        ("tracking", False, reason_code)
    ]


def test_the_tracking_view_leaves_out_flows_the_caller_may_not_receive(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = integrated(hub, "mut-100", "faf-famiwal")
    message_id = publish_start(hub, niss)
    acked = client.post(
        "/v1/mailbox/acks",
        json={"message_id": message_id, "result": "accept"},
        headers=credential("mut-100"),
    )
    assert acked.status_code == 200, acked.text

    response = client.get("/v1/tracking", params={"niss": niss}, headers=credential("faf-famiwal"))

    assert response.status_code == 200, response.text
    flows = {item["flow"] for item in response.json()["items"]}
    assert START in flows
    assert "answer" not in flows, "a family fund may not receive answers between others"


def test_two_writers_racing_on_one_emitter_keep_its_chain_unbroken(hub: Hub) -> None:
    niss = integrated(hub, "mut-100")
    found = routed(hub, niss)
    per_thread = 20
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(per_thread):
                publish_start(hub, niss, found)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    entries = chain(hub)
    assert len(entries) == 2 * per_thread
    positions = [e.position or 0 for e in entries]
    assert positions == sorted(set(positions)), "positions strictly increase"
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in pairwise(entries):
        assert after.prev_hash == before.hash
    with hub.uow() as uow:
        report = verify(uow)
        head = uow.tracking.head("inasti")
    assert report.broken is None
    assert report.entries == 2 * per_thread
    assert head == (positions[-1], entries[-1].hash)
