"""The mutualities' answers to contribution vouchers, over HTTP, on SQLite and PostgreSQL.

Besides accept and reject (``test_mailboxes.py``), a mutuality may correct the identification of
the person (the NISS the mutualities know), report that it wrongly accepted or rejected a
message, and ask for the person's vouchers again (domain.md section 5, seed 002). Vouchers are
made with the voucher service (ONSS employees, ONEm unemployment); the answers go through
``POST /v1/mailbox/acks``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.identifiers import format_niss
from carrefour.services.directory import Integrate, integrate
from carrefour.services.unit_of_work import MailboxRow
from carrefour.services.vouchers import VoucherOutcome, submit_voucher
from tests.support import employee_voucher, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"
VOUCHER = "contribution-voucher"
CORRECTION = "identification-correction"


# --- set-up -----------------------------------------------------------------------------------


def integrate_person(hub: Hub, niss: str, *institutions: str) -> None:
    """``niss`` integrated (capacity 001, phase 1, since 2024) by each of ``institutions``."""
    with hub.uow() as uow:
        for institution in institutions:
            integrate(
                uow,
                caller=hub.catalogue.institution(institution),
                command=Integrate(niss=niss, capacity="001", phase=1, begin=date(2024, 1, 1)),
            )


def unemployment_voucher(hub: Hub, niss: str, period: str = "2025Q1") -> VoucherOutcome:
    """ONEm's voucher of a quarter of unemployment days."""
    data = {
        "kind": "unemployment",
        "niss": niss,
        "period": period,
        "ct1": "110",
        "ct2": "000",
        "compensated_days": 30,
        "payment_body": "capac",
    }
    with hub.uow() as uow:
        return submit_voucher(
            uow, caller=hub.catalogue.institution("onem"), data=data, renderer=hub.renderer
        )


# --- reading ----------------------------------------------------------------------------------


def pull(
    client: TestClient, headers: dict[str, str], **params: str | int
) -> tuple[list[dict[str, Any]], str | None]:
    response = client.get("/v1/mailbox", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"], body["next_cursor"]


def mail(client: TestClient, credential: Credential, institution: str, flow: str) -> list[Any]:
    items, _ = pull(client, credential(institution), limit=1000)
    return [item for item in items if item["flow"] == flow]


def ack(
    client: TestClient, headers: dict[str, str], message_id: str, result: str, **extra: Any
) -> Any:
    body = {"message_id": message_id, "result": result, **extra}
    return client.post("/v1/mailbox/acks", json=body, headers=headers)


def row(hub: Hub, institution: str, message_id: str) -> MailboxRow | None:
    with hub.uow() as uow:
        return uow.mailbox.get(institution, message_id)


def messages_of(hub: Hub, niss: str, flow: str) -> list[str]:
    with hub.uow() as uow:
        return [m.id for m in uow.messages.of_niss(niss) if m.flow == flow]


def replacement_of(hub: Hub, niss: str) -> str | None:
    with hub.uow() as uow:
        return uow.replacements.replacement_of(niss)


# --- identification correction ------------------------------------------------------------------


def test_an_identification_correction_reaches_the_emitter_and_reroutes_that_voucher_only(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    old, new = make_niss(), make_niss()
    paper = unemployment_voucher(hub, old)  # nobody knows the old NISS yet: on paper
    assert paper.status == "paper"
    integrate_person(hub, old, "mut-100")  # mut-100 holds a file under the wrong NISS...
    integrate_person(hub, new, "mut-100")  # ... and the person under the right one
    voucher = employee_voucher(hub, old)
    assert voucher.recipients == ["mut-100"]
    mutuality = credential("mut-100")
    pulled, _ = pull(client, mutuality)
    assert [item["message_id"] for item in pulled] == [voucher.message_id]

    response = ack(
        client, mutuality, voucher.message_id, "correction", correct_niss=format_niss(new)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "corrected"
    assert body["repeated"] is False
    assert body["notified"] == ["onss"]  # the emitter; mut-100 itself was the only recipient
    assert body["answer_id"]
    assert len(body["rerouted"]) == 1
    stored = row(hub, "mut-100", voucher.message_id)
    assert stored is not None
    assert (stored.status, stored.ack_result) == ("corrected", "correction")
    assert replacement_of(hub, old) is None  # a correction replaces no number

    # The emitter learns the NISS the mutualities know; ONEm, whose paper voucher was not
    # corrected, learns nothing.
    [notice] = mail(client, credential, "onss", CORRECTION)
    assert notice["message_id"] == body["answer_id"]
    assert notice["sender"] == "mut-100"
    assert notice["niss"] == old
    assert notice["in_reply_to"] == voucher.message_id
    assert (notice["payload"]["old_niss"], notice["payload"]["new_niss"]) == (old, new)
    assert notice["payload"]["message_id"] == voucher.message_id
    assert mail(client, credential, "onem", CORRECTION) == []

    # The corrected voucher goes again, under the new NISS, to the mutuality that integrated it.
    items, _ = pull(client, mutuality)
    again = [item for item in items if item["flow"] == VOUCHER and item["niss"] == new]
    assert [item["message_id"] for item in again] == body["rerouted"]
    assert again[0]["sender"] == "onss"
    assert again[0]["in_reply_to"] == voucher.message_id
    assert again[0]["payload"]["niss"] == new

    # No hub-wide replacement: another institution still integrates the old number.
    allowed = client.put(
        f"/v1/directory/{old}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2025-01-01"},
        headers=credential("mut-300"),
    )
    assert allowed.status_code in (200, 201), allowed.text

    # The same correction again changes nothing.
    before = messages_of(hub, old, CORRECTION), messages_of(hub, new, VOUCHER)
    repeated = ack(client, mutuality, voucher.message_id, "correction", correct_niss=new)
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["repeated"] is True
    assert (messages_of(hub, old, CORRECTION), messages_of(hub, new, VOUCHER)) == before


def test_a_second_correction_of_the_same_voucher_to_another_niss_is_a_conflict_naming_the_first(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    old, new, other = make_niss(), make_niss(), make_niss()
    integrate_person(hub, old, "mut-100")
    first = employee_voucher(hub, old, "2024Q4")
    second = employee_voucher(hub, old, "2025Q1")
    mutuality = credential("mut-100")
    assert (
        ack(client, mutuality, first.message_id, "correction", correct_niss=new).status_code == 200
    )
    before = messages_of(hub, old, CORRECTION)

    response = client.post(
        "/v1/corrections",
        json={"message_id": first.message_id, "correct_niss": other},
        headers=mutuality,
    )

    assert response.status_code == 409, response.text
    assert response.json()["type"] == PROBLEM + "already-corrected"
    assert response.json()["new_niss"] == new
    assert messages_of(hub, old, CORRECTION) == before
    # Another voucher of the same NISS is corrected on its own.
    agreed = ack(client, mutuality, second.message_id, "correction", correct_niss=other)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["status"] == "corrected"


# --- wrongly accepted or rejected ---------------------------------------------------------------


def test_a_wrongly_handled_notice_reopens_the_answer_and_tells_the_emitter(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-100")
    voucher = employee_voucher(hub, niss)
    mutuality = credential("mut-100")
    pull(client, mutuality)
    accepted = ack(client, mutuality, voucher.message_id, "accept")
    assert accepted.status_code == 200, accepted.text

    response = ack(
        client, mutuality, voucher.message_id, "wrongly-handled", reason="accepted by mistake"
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "delivered"
    assert body["answer_id"]
    stored = row(hub, "mut-100", voucher.message_id)
    assert stored is not None
    assert stored.status == "delivered"
    assert (stored.ack_result, stored.ack_reason, stored.acknowledged_at) == (None, None, None)
    answers = mail(client, credential, "onss", "answer")
    assert [a["payload"]["result"] for a in answers] == ["accept", "wrongly-handled"]
    notice = answers[1]
    assert notice["message_id"] == body["answer_id"]
    assert notice["in_reply_to"] == voucher.message_id
    assert notice["sender"] == "mut-100"
    assert notice["payload"] == {
        "message_id": voucher.message_id,
        "result": "wrongly-handled",
        "previous": "accept",
        "reason": "accepted by mistake",
    }

    # Reopened: the mutuality can now reject it.
    rejected = ack(client, mutuality, voucher.message_id, "reject", reason="not our member")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    answers = mail(client, credential, "onss", "answer")
    assert [a["payload"]["result"] for a in answers] == ["accept", "wrongly-handled", "reject"]


def test_a_wrongly_handled_notice_needs_an_acknowledged_message_and_a_reason(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-100")
    voucher = employee_voucher(hub, niss)
    mutuality = credential("mut-100")

    never = ack(client, mutuality, voucher.message_id, "wrongly-handled", reason="oops")
    assert ack(client, mutuality, voucher.message_id, "accept").status_code == 200
    no_reason = ack(client, mutuality, voucher.message_id, "wrongly-handled")

    assert never.status_code == 409, never.text
    assert never.json()["type"] == PROBLEM + "conflict"
    assert "nothing to reopen" in never.json()["detail"]
    assert no_reason.status_code == 422, no_reason.text
    stored = row(hub, "mut-100", voucher.message_id)
    assert stored is not None
    assert stored.status == "accepted"
    answers = mail(client, credential, "onss", "answer")
    assert [a["payload"]["result"] for a in answers] == ["accept"]


# --- request to send again ---------------------------------------------------------------------


def test_a_resend_replays_the_vouchers_under_their_original_ids(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-100")
    employee = employee_voucher(hub, niss)
    unemployment = unemployment_voucher(hub, niss)
    mutuality = credential("mut-100")
    first, cursor = pull(client, mutuality)
    assert [item["message_id"] for item in first] == [employee.message_id, unemployment.message_id]
    assert cursor is not None
    assert pull(client, mutuality, after=cursor)[0] == []
    vouchers = messages_of(hub, niss, VOUCHER)

    response = ack(client, mutuality, employee.message_id, "resend")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["replayed"] == [employee.message_id, unemployment.message_id]
    assert body["status"] == "queued"
    again, next_cursor = pull(client, mutuality, after=cursor)
    assert [item["message_id"] for item in again] == body["replayed"]
    assert [item["replay"] for item in again] == [1, 1]
    assert [item["payload"] for item in again] == [item["payload"] for item in first]
    assert next_cursor != cursor
    assert messages_of(hub, niss, VOUCHER) == vouchers, "no new voucher: the hub served it"

    # The request is on record at both emitters, served by the hub.
    assert body["notified"] == ["onem", "onss"]
    for emitter in ("onss", "onem"):
        requests = mail(client, credential, emitter, "resend-request")
        assert [r["message_id"] for r in requests] == [body["answer_id"]], emitter
        assert requests[0]["in_reply_to"] == employee.message_id
        assert requests[0]["payload"] == {
            "niss": niss,
            "period": None,
            "served_by_hub": True,
            "replayed": body["replayed"],
        }


def test_a_resend_for_one_period_replays_only_its_vouchers_or_asks_the_emitter(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-100")
    older = employee_voucher(hub, niss, "2024Q4")
    newer = employee_voucher(hub, niss, "2025Q1")
    mutuality = credential("mut-100")
    _, cursor = pull(client, mutuality)
    assert cursor is not None

    one = ack(client, mutuality, newer.message_id, "resend", period="2024q4")
    none = ack(client, mutuality, newer.message_id, "resend", period="2023Q1")

    assert one.status_code == 200, one.text
    assert one.json()["replayed"] == [older.message_id]
    assert none.status_code == 200, none.text
    assert none.json()["replayed"] == []
    items, _ = pull(client, mutuality, after=cursor)
    assert [item["message_id"] for item in items] == [older.message_id]
    requests = mail(client, credential, "onss", "resend-request")
    assert [r["payload"]["served_by_hub"] for r in requests] == [True, False]
    assert requests[1]["payload"]["period"] == "2023Q1"
    assert requests[1]["payload"]["replayed"] == []


# --- bad input ---------------------------------------------------------------------------------


def test_a_correction_to_an_invalid_niss_is_refused_and_records_nothing(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-100")
    voucher = employee_voucher(hub, niss)
    mutuality = credential("mut-100")
    invalid = niss[:9] + f"{(int(niss[9:]) + 1) % 100:02d}"  # wrong check digits

    bad = ack(client, mutuality, voucher.message_id, "correction", correct_niss=invalid)
    missing = ack(client, mutuality, voucher.message_id, "correction")
    same = ack(client, mutuality, voucher.message_id, "correction", correct_niss=niss)

    assert bad.status_code == 422, bad.text
    assert bad.json()["type"] == PROBLEM + "invalid-niss"
    assert missing.status_code == 422, missing.text
    assert missing.json()["type"].startswith(PROBLEM)
    assert same.status_code == 422, same.text
    assert replacement_of(hub, niss) is None
    assert messages_of(hub, niss, CORRECTION) == []
    stored = row(hub, "mut-100", voucher.message_id)
    assert stored is not None
    assert (stored.status, stored.ack_result) == ("queued", None)


@pytest.mark.parametrize(
    "answer",
    [
        {"result": "accept"},
        {"result": "reject", "reason": "not ours"},
        {"result": "wrongly-handled", "reason": "not ours"},
        {"result": "resend"},
    ],
    ids=lambda answer: str(answer["result"]),
)
def test_an_answer_on_a_message_the_caller_never_received_is_not_found(
    client: TestClient, hub: Hub, credential: Credential, answer: dict[str, str]
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-200")
    voucher = employee_voucher(hub, niss)
    before = row(hub, "mut-200", voucher.message_id)

    response = client.post(
        "/v1/mailbox/acks",
        json={"message_id": voucher.message_id, **answer},
        headers=credential("mut-100"),
    )

    assert response.status_code == 404, response.text
    assert response.json()["type"] == PROBLEM + "not-found"
    assert row(hub, "mut-200", voucher.message_id) == before
    assert row(hub, "mut-100", voucher.message_id) is None
    assert replacement_of(hub, niss) is None


def test_a_correction_from_a_mutuality_that_neither_received_nor_holds_the_voucher_is_refused(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    niss = make_niss()
    integrate_person(hub, niss, "mut-200")
    voucher = employee_voucher(hub, niss)
    before = row(hub, "mut-200", voucher.message_id)

    response = ack(client, credential("mut-100"), voucher.message_id, "correction",
                   correct_niss="68060105329")  # fmt: skip

    assert response.status_code == 403, response.text
    assert response.json()["type"] == PROBLEM + "not-holder"
    assert row(hub, "mut-200", voucher.message_id) == before
    assert messages_of(hub, niss, CORRECTION) == []
    with hub.uow() as uow:
        refused = [
            line
            for line in uow.consultations.select(niss=niss)
            if line.flow == CORRECTION and not line.allowed
        ]
    assert [(line.caller, line.object_id) for line in refused] == [("mut-100", voucher.message_id)]
