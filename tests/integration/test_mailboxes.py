"""Mailboxes over HTTP, on SQLite and PostgreSQL: pull with a cursor, then acknowledge.

INASTI publishes ``self-employed-start`` messages to the institutions that integrated the person
(the real routing decides who); the recipients pull them from ``GET /v1/mailbox`` and answer on
``POST /v1/mailbox/acks``, which sends an ``answer`` message back to INASTI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.routing import Recipient, recipients
from carrefour.services.messages import publish
from carrefour.services.unit_of_work import MailboxRow
from tests.integration import messaging

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"
START = messaging.START
integrated = messaging.integrated
# catalogue.toml, rule rgti-start-receive-mutualities: what a mutuality may see of a start message.
GRANTED = {"niss", "cas_network_number", "cas_enterprise_number", "begin", "contributor_category"}
NOT_GRANTED = {"annual_income", "medical_note"}


def start_payload(niss: str) -> dict[str, Any]:
    return {
        "niss": niss,
        "cas_network_number": "001",
        "cas_enterprise_number": "1999000348",
        "begin": "2025-06-01",
        "contributor_category": "A",
        "annual_income": 48_000,
        "medical_note": "not for the recipients",
    }


def publish_start(hub: Hub, niss: str) -> str:
    """INASTI's start message about ``niss``, with fields no rule grants, to whoever routing
    finds; its id."""
    return messaging.publish_start(hub, niss, payload=start_payload(niss))


def row(hub: Hub, institution: str, message_id: str) -> MailboxRow | None:
    with hub.uow() as uow:
        return uow.mailbox.get(institution, message_id)


def pull(
    client: TestClient, headers: dict[str, str], **params: str | int
) -> tuple[list[dict[str, Any]], str | None]:
    response = client.get("/v1/mailbox", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"], body["next_cursor"]


def ack(
    client: TestClient, headers: dict[str, str], message_id: str, result: str, reason: str | None
) -> Any:
    body = {"message_id": message_id, "result": result, "reason": reason}
    return client.post("/v1/mailbox/acks", json=body, headers=headers)


def answers_in_inasti_mailbox(client: TestClient, credential: Credential) -> list[dict[str, Any]]:
    items, _ = pull(client, credential("inasti"), limit=1000)
    return [item for item in items if item["flow"] == "answer"]


def test_a_published_message_reaches_the_integrated_mutuality_with_only_the_granted_fields(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    rule = next(r for r in hub.catalogue.rules if r.id == "rgti-start-receive-mutualities")
    assert set(rule.fields) == GRANTED
    niss = integrated(hub, "mut-100")
    message_id = publish_start(hub, niss)

    items, _ = pull(client, credential("mut-100"))

    assert [item["message_id"] for item in items] == [message_id]
    item = items[0]
    assert item["flow"] == START
    assert item["sender"] == "inasti"
    assert item["niss"] == niss
    assert item["event_date"] == "2025-06-01"
    assert item["deliberation"] == "rgti-start-receive-mutualities"
    assert item["payload"] == {key: start_payload(niss)[key] for key in GRANTED}
    assert not NOT_GRANTED & set(item["payload"])


def test_a_message_is_not_in_the_mailbox_of_an_institution_that_did_not_integrate_the_person(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    ours = publish_start(hub, integrated(hub, "mut-100"))
    theirs = publish_start(hub, integrated(hub, "mut-200"))

    mine, _ = pull(client, credential("mut-100"))
    other, _ = pull(client, credential("mut-200"))
    nobody, cursor = pull(client, credential("mut-300"))

    assert [item["message_id"] for item in mine] == [ours]
    assert [item["message_id"] for item in other] == [theirs]
    assert nobody == []
    assert cursor is None
    assert row(hub, "mut-200", ours) is None


def test_paging_with_the_cursor_returns_every_message_once_in_order(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    headers = credential("mut-100")
    published = []
    for _ in range(5):
        published.append(publish_start(hub, integrated(hub, "mut-100")))
        publish_start(hub, integrated(hub, "mut-200"))  # interleaved mail for someone else

    seen: list[str] = []
    sizes = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, str | int] = {"limit": 2}
        if cursor is not None:
            params["after"] = cursor
        items, next_cursor = pull(client, headers, **params)
        if not items:
            assert next_cursor == cursor, "an empty page keeps the cursor where it was"
            break
        sizes.append(len(items))
        seen += [item["message_id"] for item in items]
        assert next_cursor == items[-1]["cursor"]
        cursor = next_cursor
    assert seen == published
    assert sizes == [2, 2, 1]
    assert cursor is not None

    later = publish_start(hub, integrated(hub, "mut-100"))
    items, next_cursor = pull(client, headers, after=cursor, limit=2)
    assert [item["message_id"] for item in items] == [later]
    assert next_cursor != cursor


def test_pulled_messages_become_delivered_and_the_others_stay_queued(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    headers = credential("mut-100")
    first = publish_start(hub, integrated(hub, "mut-100"))
    second = publish_start(hub, integrated(hub, "mut-100"))

    items, _ = pull(client, headers, limit=1)

    assert [item["message_id"] for item in items] == [first]
    assert items[0]["status"] == "delivered"
    pulled, waiting = row(hub, "mut-100", first), row(hub, "mut-100", second)
    assert pulled is not None
    assert waiting is not None
    assert pulled.status == "delivered"
    assert pulled.delivered_at == hub.clock.now()
    assert waiting.status == "queued"
    assert waiting.delivered_at is None

    again, _ = pull(client, headers)
    assert [(item["message_id"], item["status"]) for item in again] == [
        (first, "delivered"),
        (second, "delivered"),
    ]


def test_accepting_a_message_sends_an_answer_back_to_inasti(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    headers = credential("mut-100")
    niss = integrated(hub, "mut-100")
    message_id = publish_start(hub, niss)
    pull(client, headers)

    response = ack(client, headers, message_id, "accept", None)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "accepted"
    assert body["repeated"] is False
    assert body["answer_id"]
    stored = row(hub, "mut-100", message_id)
    assert stored is not None
    assert stored.status == "accepted"
    items, _ = pull(client, headers)
    assert [item["status"] for item in items] == ["accepted"]

    answers = answers_in_inasti_mailbox(client, credential)
    assert len(answers) == 1
    answer = answers[0]
    assert answer["message_id"] == body["answer_id"]
    assert answer["in_reply_to"] == message_id
    assert answer["sender"] == "mut-100"
    assert answer["niss"] == niss
    assert answer["payload"]["result"] == "accept"


@pytest.mark.parametrize(
    ("result", "reason", "status"),
    [("accept", None, "accepted"), ("reject", "the person is unknown here", "rejected")],
)
def test_the_same_acknowledgement_twice_is_answered_once(
    client: TestClient,
    hub: Hub,
    credential: Credential,
    result: str,
    reason: str | None,
    status: str,
) -> None:
    headers = credential("mut-100")
    message_id = publish_start(hub, integrated(hub, "mut-100"))
    first = ack(client, headers, message_id, result, reason)
    assert first.status_code == 200, first.text

    second = ack(client, headers, message_id, result, reason)

    assert second.status_code == 200, second.text
    assert second.json()["repeated"] is True
    assert second.json()["status"] == status
    answers = answers_in_inasti_mailbox(client, credential)
    assert [a["in_reply_to"] for a in answers] == [message_id]
    assert answers[0]["message_id"] == first.json()["answer_id"]


def test_a_message_accepted_cannot_then_be_rejected(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    headers = credential("mut-100")
    message_id = publish_start(hub, integrated(hub, "mut-100"))
    assert ack(client, headers, message_id, "accept", None).status_code == 200

    response = ack(client, headers, message_id, "reject", "sent by mistake")

    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "conflict"
    assert message_id in response.json()["detail"]
    stored = row(hub, "mut-100", message_id)
    assert stored is not None
    assert stored.status == "accepted"
    assert stored.ack_reason is None
    assert len(answers_in_inasti_mailbox(client, credential)) == 1


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_without_a_reason_is_refused(
    client: TestClient, hub: Hub, credential: Credential, reason: str | None
) -> None:
    headers = credential("mut-100")
    message_id = publish_start(hub, integrated(hub, "mut-100"))

    response = ack(client, headers, message_id, "reject", reason)

    assert response.status_code == 422, response.text
    assert response.json()["type"].startswith(PROBLEM)
    stored = row(hub, "mut-100", message_id)
    assert stored is not None
    assert stored.status == "queued"
    assert stored.ack_result is None
    assert answers_in_inasti_mailbox(client, credential) == []


def test_acknowledging_a_message_of_another_mailbox_is_not_found_and_changes_nothing(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    integrated(hub, "mut-100")  # mut-100 knows people, but not this one
    message_id = publish_start(hub, integrated(hub, "mut-200"))
    before = row(hub, "mut-200", message_id)

    for result, reason in (("accept", None), ("reject", "not ours")):
        response = ack(client, credential("mut-100"), message_id, result, reason)
        assert response.status_code == 404, response.text
        assert response.json()["type"] == PROBLEM + "not-found"

    assert row(hub, "mut-200", message_id) == before
    assert before is not None
    assert before.status == "queued"
    assert row(hub, "mut-100", message_id) is None
    assert answers_in_inasti_mailbox(client, credential) == []


def test_acknowledging_an_unknown_message_is_not_found(
    client: TestClient, credential: Credential
) -> None:
    response = ack(client, credential("mut-100"), "0" * 32, "accept", None)
    assert response.status_code == 404
    assert response.json()["type"] == PROBLEM + "not-found"


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "-1",
        "1.5",
        "0x10",
        " 7",
        pytest.param("\N{SUPERSCRIPT TWO}", id="superscript-digit"),
        pytest.param("9" * 30, id="beyond-64-bits"),
    ],
)
def test_a_malformed_cursor_is_refused_with_a_422_problem(
    client: TestClient, hub: Hub, credential: Credential, cursor: str
) -> None:
    message_id = publish_start(hub, integrated(hub, "mut-100"))

    response = client.get("/v1/mailbox", params={"after": cursor}, headers=credential("mut-100"))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].startswith(PROBLEM)
    stored = row(hub, "mut-100", message_id)
    assert stored is not None
    assert stored.status == "queued", "a refused pull delivers nothing"


def test_a_client_pulling_while_two_emitters_publish_never_skips_a_message(hub: Hub) -> None:
    """Mailbox positions are the pull cursor: they must become visible in order, or a client
    that already read past a position would miss a message committed later below it."""
    import threading
    import time

    from carrefour.services.mailboxes import pull

    niss = integrated(hub, "mut-100")
    found = messaging.routed(hub, niss)
    published: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    with hub.uow() as uow:
        to_mut = recipients(
            "contribution-voucher", uow.directory.lines_of(niss), hub.clock.today(),
            catalogue=hub.catalogue,
        )  # fmt: skip

    def emit(sender: str, flow: str, to: list[Recipient], pause: float) -> None:
        for _ in range(15):
            with hub.uow() as uow:
                message = publish(
                    uow, flow=flow, sender=sender, niss=niss, payload={"niss": niss}, recipients=to
                )
                time.sleep(pause)  # a slow transaction: its rows are written, not yet committed
                uow.commit()
            with lock:
                published.append(message.id)

    seen: list[str] = []

    def read() -> None:
        caller = hub.catalogue.institution("mut-100")
        cursor: str | None = None
        while True:
            finished = done.is_set()
            with hub.uow() as uow:
                page = pull(uow, caller=caller, after=cursor, limit=1000)
            seen.extend(item["message_id"] for item in page.items)
            cursor = page.next_cursor
            if finished and not page.items:
                return

    assert found
    reader = threading.Thread(target=read)
    reader.start()
    # Two emitters (two tracking chains, so no shared chain lock) to the same mailbox; one holds
    # its transaction open after writing its mailbox row.
    emitters = [
        threading.Thread(target=emit, args=("inasti", START, found, 0.02)),
        threading.Thread(target=emit, args=("onss", "contribution-voucher", to_mut, 0.0)),
    ]
    for thread in emitters:
        thread.start()
    for thread in emitters:
        thread.join()
    done.set()
    reader.join(timeout=60)
    assert sorted(seen) == sorted(published)
    assert len(seen) == 30
