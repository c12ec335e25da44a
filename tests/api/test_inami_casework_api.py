"""The INAMI cell's case work over HTTP (seed 002: the cell examines the person's documents and
intervenes with the emitters): documents, an intervention answered by the CAS, the thread, the
states, closing, and bad input that writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carrefour.adapters.db import tables_inami
from carrefour.bootstrap import Hub
from tests.support import make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def self_employed_case(client: TestClient, credential: Credential) -> tuple[str, dict[str, Any]]:
    """A self-employed person affiliated with Xerius, insured by mut-100, who has a case."""
    niss = make_niss()
    response = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2024-01-01", "contributor_category": "A"},
        headers=credential("cas-xerius"),
    )
    assert response.status_code == 201, response.text
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 201, response.text
    response = client.post(
        "/v1/inami/cases",
        json={
            "niss": niss,
            "begin": "2024-01-01",
            "end": "2024-12-31",
            "reason": "pas de bon de cotisation indépendant pour 2024",
        },
        headers=credential("mut-100"),
    )
    assert response.status_code == 201, response.text
    return niss, response.json()


def upload(
    client: TestClient, headers: dict[str, str], case_id: str, content: bytes, media_type: str
) -> Any:
    return client.post(
        f"/v1/inami/cases/{case_id}/documents?filename=fiche.pdf",
        content=content,
        headers={**headers, "Content-Type": media_type},
    )


def rows(hub: Hub, table: Any) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_case_with_a_document_and_an_intervention_answered_by_the_cas(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    mut, cell, cas = credential("mut-100"), credential("inami-sca"), credential("cas-xerius")
    niss, case = self_employed_case(client, credential)

    # the mutuality attaches the person's document; the cell lists and downloads it
    sent = upload(client, mut, case["id"], PDF, "application/pdf")
    assert sent.status_code == 201, sent.text
    document = sent.json()
    assert document["media_type"] == "application/pdf"
    assert document["size"] == len(PDF)
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["filename"] == "fiche.pdf"
    listed = client.get(f"/v1/inami/cases/{case['id']}/documents", headers=cell).json()["items"]
    assert [d["id"] for d in listed] == [document["id"]]
    fetched = client.get(f"/v1/inami/cases/{case['id']}/documents/{document['id']}", headers=cell)
    assert fetched.status_code == 200
    assert fetched.content == PDF
    assert fetched.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(fetched.content).hexdigest() == document["sha256"]
    for other in ("mut-200", "inami", "cas-xerius"):
        refused = client.get(
            f"/v1/inami/cases/{case['id']}/documents/{document['id']}", headers=credential(other)
        )
        assert refused.status_code in (403, 404), other
        assert PDF not in refused.content

    # the cell asks the CAS to send the voucher: the case waits for the emitter
    asked = client.post(
        f"/v1/inami/cases/{case['id']}/interventions",
        json={"emitter": "cas-xerius", "action": "send", "note": "bon 2024 manquant"},
        headers=cell,
    )
    assert asked.status_code == 201, asked.text
    intervention = asked.json()
    assert (intervention["status"], intervention["begin"], intervention["end"]) == (
        "waiting",
        "2024-01-01",
        "2024-12-31",
    )
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=mut).json()
    assert detail["status"] == "waiting-emitter"
    inbox = client.get("/v1/mailbox", headers=cas).json()["items"]
    [request] = [m for m in inbox if m["flow"] == "intervention-request"]
    assert request["message_id"] == intervention["request_message_id"]
    assert request["sender"] == "inami-sca"
    assert request["payload"]["action"] == "send"
    assert request["payload"]["case_id"] == case["id"]

    # the CAS sends the voucher, then answers with its message id
    voucher = client.post(
        "/v1/vouchers",
        json={
            "kind": "self-employed",
            "niss": niss,
            "period": "2024",
            "ct1": "410",
            "ct2": "461",
            "cas": "cas-xerius",
            "contributor_category": "A",
            "quarters": ["in-order", "in-order", "in-order", "in-order"],
        },
        headers=cas,
    )
    assert voucher.status_code == 201, voucher.text
    answered = client.post(
        f"/v1/inami/interventions/{intervention['id']}/answer",
        json={"answer": "sent", "message_id": voucher.json()["message_id"]},
        headers=cas,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answer"] == "sent"
    assert answered.json()["sent_message_id"] == voucher.json()["message_id"]
    inbox = client.get("/v1/mailbox", headers=cell).json()["items"]
    [reply] = [m for m in inbox if m["flow"] == "intervention-answer"]
    assert reply["in_reply_to"] == intervention["request_message_id"]
    assert reply["payload"]["message_id"] == voucher.json()["message_id"]

    # the case shows the thread, back to open, and the cell closes it with its outcome
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()
    assert detail["status"] == "open"
    assert [m["flow"] for m in detail["thread"]] == [
        "inami-case",
        "intervention-request",
        "intervention-answer",
    ]
    assert [d["sha256"] for d in detail["documents"]] == [document["sha256"]]
    assert [i["answer"] for i in detail["interventions"]] == ["sent"]
    closed = client.post(
        f"/v1/inami/cases/{case['id']}/close", json={"outcome": "in-order"}, headers=cell
    )
    assert closed.status_code == 200, closed.text
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=mut).json()
    assert detail["status"] == "closed"
    assert detail["closure"]["outcome"] == "in-order"
    again = upload(client, mut, case["id"], PDF, "application/pdf")
    assert again.status_code == 409
    assert again.json()["reason"] == "case-closed"


def test_a_proof_then_no_obligation_and_the_states(
    client: TestClient, credential: Credential
) -> None:
    cell, cas = credential("inami-sca"), credential("cas-xerius")
    _, case = self_employed_case(client, credential)
    proof = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert proof.status_code == 201, proof.text
    assert client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()["status"] == (
        "proof-issued"
    )
    asked = client.post(
        f"/v1/inami/cases/{case['id']}/interventions",
        json={"emitter": "cas-xerius", "action": "explain"},
        headers=cell,
    ).json()
    assert client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()["status"] == (
        "waiting-emitter"
    )
    answered = client.post(
        f"/v1/inami/interventions/{asked['id']}/answer",
        json={"answer": "no-obligation", "reason": "dispense de cotisations accordée"},
        headers=cas,
    )
    assert answered.status_code == 200, answered.text
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()
    assert detail["status"] == "proof-issued"
    assert [m["flow"] for m in detail["thread"]] == [
        "inami-case",
        "provisional-proof",
        "intervention-request",
        "intervention-answer",
    ]
    twice = client.post(
        f"/v1/inami/interventions/{asked['id']}/answer",
        json={"answer": "no-obligation", "reason": "encore"},
        headers=cas,
    )
    assert twice.status_code == 409
    assert twice.json()["reason"] == "already-answered"


def test_an_answer_from_an_institution_the_request_was_not_sent_to_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    cell = credential("inami-sca")
    _, case = self_employed_case(client, credential)
    asked = client.post(
        f"/v1/inami/cases/{case['id']}/interventions",
        json={"emitter": "cas-xerius", "action": "send"},
        headers=cell,
    ).json()
    before = rows(hub, tables_inami.inami_interventions)
    for intruder in ("onss", "cas-acerta", "mut-100"):
        response = client.post(
            f"/v1/inami/interventions/{asked['id']}/answer",
            json={"answer": "no-obligation", "reason": "rien à voir"},
            headers=credential(intruder),
        )
        assert response.status_code == 403, intruder
        assert response.json()["type"] == PROBLEM + "not-addressee"
        assert response.json()["addressee"] == "cas-xerius"
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()
    assert detail["status"] == "waiting-emitter"
    assert [i["answer"] for i in detail["interventions"]] == [None]
    assert [m["flow"] for m in detail["thread"]] == ["inami-case", "intervention-request"]
    assert rows(hub, tables_inami.inami_interventions) == before


@pytest.mark.parametrize(
    ("content", "media_type", "status", "kind"),
    [
        (b"GIF89a" + b"\x00" * 32, "image/gif", 415, "unsupported-document-type"),
        (b"PK\x03\x04 a zip, named .pdf", "application/pdf", 415, "unsupported-document-type"),
        (PNG, "application/pdf", 415, "unsupported-document-type"),
        (b"%PDF-" + b"x" * 2048, "application/pdf", 413, "document-too-large"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_kept(
    credential: Credential,
    hub: Hub,
    content: bytes,
    media_type: str,
    status: int,
    kind: str,
) -> None:
    from carrefour.api.app import create_app

    hub.settings.case_document_max_bytes = 1024
    with TestClient(create_app(hub)) as client:
        _, case = self_employed_case(client, credential)
        response = upload(client, credential("mut-100"), case["id"], content, media_type)
        assert response.status_code == status, response.text
        assert response.json()["type"] == PROBLEM + kind
        listed = client.get(
            f"/v1/inami/cases/{case['id']}/documents", headers=credential("inami-sca")
        )
        assert listed.json()["items"] == []
    assert rows(hub, tables_inami.inami_case_documents) == 0


def test_bad_interventions_are_refused(client: TestClient, credential: Credential) -> None:
    cell = credential("inami-sca")
    _, case = self_employed_case(client, credential)
    url = f"/v1/inami/cases/{case['id']}/interventions"
    bad = client.post(url, json={"emitter": "cas-xerius", "action": "shout"}, headers=cell)
    assert bad.status_code == 422
    assert bad.json()["type"] == PROBLEM + "invalid-code"
    mutuality = client.post(url, json={"emitter": "mut-200", "action": "send"}, headers=cell)
    assert mutuality.status_code == 403  # a mutuality is no emitter
    by_mutuality = client.post(
        url, json={"emitter": "cas-xerius", "action": "send"}, headers=credential("mut-100")
    )
    assert by_mutuality.status_code == 403
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()
    assert detail["interventions"] == []
    assert detail["status"] == "open"
    asked = client.post(url, json={"emitter": "cas-xerius", "action": "send"}, headers=cell).json()
    missing = client.post(
        f"/v1/inami/interventions/{asked['id']}/answer",
        json={"answer": "sent"},
        headers=credential("cas-xerius"),
    )
    assert missing.status_code == 422
    assert missing.json()["type"] == PROBLEM + "invalid-input"
    close = client.post(
        f"/v1/inami/cases/{case['id']}/close", json={"outcome": "maybe"}, headers=cell
    )
    assert close.status_code == 422
