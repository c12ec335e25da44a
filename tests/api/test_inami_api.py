"""INAMI's administrative cell over HTTP: cases, provisional proofs that end when the voucher
arrives, the PDF for its readers, A911 records, and bad input."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from carrefour.bootstrap import Hub
from carrefour.domain.identifiers import format_niss
from tests.support import FakeClock, employee_voucher, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def integrate(client: TestClient, headers: dict[str, str], niss: str) -> None:
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def open_case(client: TestClient, headers: dict[str, str], niss: str, **body: Any) -> Any:
    payload = {
        "niss": niss,
        "begin": "2025-01-01",
        "end": "2025-03-31",
        "reason": "aucun bon de cotisation reçu pour 2025Q1",
        **body,
    }
    return client.post("/v1/inami/cases", json=payload, headers=headers)


def test_the_cell_issues_a_provisional_proof_that_ends_when_the_voucher_arrives(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    mut, cell = credential("mut-100"), credential("inami-sca")
    integrate(client, mut, niss)

    created = open_case(client, mut, niss)
    assert created.status_code == 201, created.text
    case = created.json()
    assert (case["niss"], case["mutuality"], case["status"]) == (niss, "mut-100", "open")

    listed = client.get("/v1/inami/cases", headers=cell)
    assert listed.status_code == 200, listed.text
    assert case["id"] in [c["id"] for c in listed.json()["items"]]
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=cell)
    assert detail.status_code == 200, detail.text
    assert detail.json()["tracking"] == []
    assert detail.json()["proofs"] == []
    assert detail.json()["message_id"] is not None

    issued = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert issued.status_code == 201, issued.text
    proof = issued.json()
    assert proof["valid_until"] == "2025-09-30"  # 2025-06-02: the end of the next quarter
    assert proof["status"] == "active"
    assert client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()["status"] == (
        "proof-issued"
    )

    mailbox = client.get("/v1/mailbox", headers=mut).json()["items"]
    sent = [m for m in mailbox if m["flow"] == "provisional-proof"]
    assert [m["message_id"] for m in sent] == [proof["message_id"]]
    assert sent[0]["sender"] == "inami-sca"
    assert sent[0]["payload"]["document_id"] == proof["document_id"]
    assert sent[0]["payload"]["valid_until"] == "2025-09-30"

    pdf = client.get(f"/v1/documents/{proof['document_id']}", headers=mut)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'inline; filename="{proof["document_id"]}.pdf"'
    assert pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert format_niss(niss) in text
    other = client.get(f"/v1/documents/{proof['document_id']}", headers=credential("mut-200"))
    assert other.status_code == 404
    assert other.json()["type"] == PROBLEM + "not-found"

    voucher = employee_voucher(hub, niss)
    assert voucher.recipients == ["mut-100"]
    detail = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()
    assert [(p["id"], p["status"], p["ended_by"]) for p in detail["proofs"]] == [
        (proof["id"], "superseded", voucher.message_id)
    ]
    assert [(t["flow"], t["emitter"], t["recipient"]) for t in detail["tracking"]] == [
        ("contribution-voucher", "onss", "mut-100")
    ]

    again = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert again.status_code == 409
    body = again.json()
    assert body["reason"] == "in-order"
    assert body["message_id"] == voucher.message_id
    assert "onss" in body["detail"]
    assert "mut-100" in body["detail"]


def test_the_mutuality_reads_its_own_cases_only(client: TestClient, credential: Credential) -> None:
    niss = make_niss()
    mut = credential("mut-100")
    integrate(client, mut, niss)
    case = open_case(client, mut, niss).json()

    own = client.get("/v1/inami/cases", headers=mut).json()["items"]
    assert [c["id"] for c in own] == [case["id"]]
    assert client.get(f"/v1/inami/cases/{case['id']}", headers=mut).status_code == 200
    assert client.get("/v1/inami/cases", headers=credential("mut-200")).json()["items"] == []
    hidden = client.get(f"/v1/inami/cases/{case['id']}", headers=credential("mut-200"))
    assert hidden.status_code == 404
    assert client.get(f"/v1/inami/cases/{case['id']}", headers=credential("inami")).status_code == (
        200
    )
    refused = client.get(f"/v1/inami/cases/{case['id']}", headers=credential("onss"))
    assert refused.status_code == 403
    assert client.get("/v1/inami/cases", headers=credential("onss")).status_code == 403


def test_cases_are_paged_newest_first(client: TestClient, credential: Credential) -> None:
    niss = make_niss()
    mut, cell = credential("mut-100"), credential("inami-sca")
    integrate(client, mut, niss)
    ids = [open_case(client, mut, niss).json()["id"] for _ in range(3)]
    first = client.get("/v1/inami/cases?limit=2", headers=cell).json()
    second = client.get(
        "/v1/inami/cases", params={"limit": 2, "after": first["next_cursor"]}, headers=cell
    ).json()
    seen = [c["id"] for c in first["items"] + second["items"]]
    assert sorted(seen) == sorted(ids)
    assert second["next_cursor"] is None
    bad = client.get("/v1/inami/cases?after=nonsense", headers=cell)
    assert bad.status_code == 422


def test_a_proof_for_a_person_in_order_is_refused_with_the_voucher(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    mut, cell = credential("mut-100"), credential("inami-sca")
    integrate(client, mut, niss)
    voucher = employee_voucher(hub, niss)
    case = open_case(client, mut, niss).json()
    response = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == PROBLEM + "conflict"
    assert body["reason"] == "in-order"
    assert (body["message_id"], body["emitter"], body["recipient"]) == (
        voucher.message_id,
        "onss",
        "mut-100",
    )
    assert voucher.message_id in body["detail"]
    with hub.uow() as uow:
        assert uow.inami.proofs(niss) == []
        stored = uow.inami.case(case["id"])
        assert stored is not None
        assert stored.status == "open"


def test_a_paper_voucher_does_not_put_the_person_in_order(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    paper = employee_voucher(hub, niss)  # nobody integrated the person yet: paper
    assert paper.status == "paper"
    mut = credential("mut-100")
    integrate(client, mut, niss)
    case = open_case(client, mut, niss).json()
    cell = credential("inami-sca")
    tracking = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()["tracking"]
    assert {(t["flow"], t["recipient"]) for t in tracking} == {
        ("contribution-voucher", "paper"),
        ("paper-voucher", "inami-sca"),
        ("paper-voucher", "inami"),
        ("paper-voucher", "onss"),  # the hand-over notice to the emitter, for the employer
    }
    response = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert response.status_code == 201, response.text
    again = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert again.status_code == 409
    assert again.json()["reason"] == "proof-active"


def test_an_expired_proof_reads_as_expired_and_may_be_renewed(
    client: TestClient, credential: Credential, hub: Hub, clock: FakeClock
) -> None:
    niss = make_niss()
    mut, cell = credential("mut-100"), credential("inami-sca")
    integrate(client, mut, niss)
    case = open_case(client, mut, niss).json()
    first = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell).json()
    clock.current = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
    proofs = client.get(f"/v1/inami/cases/{case['id']}", headers=cell).json()["proofs"]
    assert [(p["id"], p["status"]) for p in proofs] == [(first["id"], "expired")]
    with hub.uow() as uow:  # computed on read: the stored status is unchanged
        assert [p.status for p in uow.inami.proofs(niss)] == ["active"]
    renewed = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=cell)
    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["valid_until"] == "2026-03-31"


def test_bad_requests_are_refused(client: TestClient, credential: Credential, hub: Hub) -> None:
    niss = make_niss()
    mut = credential("mut-100")

    not_integrated = open_case(client, mut, niss)
    assert not_integrated.status_code == 403
    assert not_integrated.json()["reason_code"] == "not-integrated"

    integrate(client, mut, niss)
    backwards = open_case(client, mut, niss, begin="2025-03-31", end="2025-01-01")
    assert backwards.status_code == 422
    assert backwards.json()["type"] == PROBLEM + "invalid-period"
    blank = open_case(client, mut, niss, reason="   ")
    assert blank.status_code == 422
    assert open_case(client, credential("onss"), niss).status_code == 403

    case = open_case(client, mut, niss).json()
    by_mutuality = client.post(f"/v1/inami/cases/{case['id']}/provisional-proof", headers=mut)
    assert by_mutuality.status_code == 403
    assert by_mutuality.json()["reason_code"] == "not-authorised"

    cell = credential("inami-sca")
    unknown = client.post("/v1/inami/cases/nope/provisional-proof", headers=cell)
    assert unknown.status_code == 404
    assert unknown.json()["type"] == PROBLEM + "not-found"
    assert client.get("/v1/inami/cases/nope", headers=cell).status_code == 404
    with hub.uow() as uow:
        assert uow.inami.proofs(niss) == []


def test_a911_records_go_to_inami_and_its_cell_only(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    outcome = employee_voucher(hub, niss)  # no mutuality knows the person
    assert outcome.status == "paper"
    assert outcome.document_id is not None

    for institution in ("inami-sca", "inami"):
        response = client.get("/v1/inami/a911", headers=credential(institution))
        assert response.status_code == 200, response.text
        records = [r for r in response.json()["items"] if r["niss"] == niss]
        assert len(records) == 1
        record = records[0]
        assert record["a911_id"] == outcome.a911_id
        assert record["document_id"] == outcome.document_id
        assert record["message_id"] == outcome.message_id
        assert record["sender"] == "onss"
        assert record["reason"]
        assert (record["kind"], record["period"], record["employer"], record["days_worked"]) == (
            "employee",
            "2025Q1",
            "0403019261",
            60,
        )

    cell = credential("inami-sca")
    cursor = client.get("/v1/inami/a911", headers=cell).json()["next_cursor"]
    assert client.get(f"/v1/inami/a911?after={cursor}", headers=cell).json()["items"] == []
    refused = client.get("/v1/inami/a911", headers=credential("mut-100"))
    assert refused.status_code == 403
    assert refused.json()["reason_code"] == "not-authorised"

    pdf = client.get(f"/v1/documents/{outcome.document_id}", headers=cell)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    hidden = client.get(f"/v1/documents/{outcome.document_id}", headers=credential("mut-100"))
    assert hidden.status_code == 404
