"""Contribution vouchers end to end over HTTP, on SQLite and PostgreSQL: a batch of 1,000, the
paper fallback and its A911 record, the pension cadastre's two hops, duplicates, bad input."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from carrefour.adapters.formats.fixedwidth import write_fixed
from carrefour.bootstrap import Hub
from carrefour.domain.identifiers import format_niss
from carrefour.simulate.population import MUTUALITIES, people
from tests.support import employee, integrate_all, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def pull_all(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = ""
    while True:
        page = client.get(f"/v1/mailbox?limit=1000{after}", headers=headers).json()
        items += page["items"]
        if not page["items"]:
            return items
        after = f"&after={page['next_cursor']}"


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_an_onss_batch_of_1000_routes_950_to_the_right_mutualities_and_reports_50(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    rng = random.Random(11)
    population = [p.niss for p in people(1000, seed=99)]
    assignments = {niss: rng.choice(MUTUALITIES) for niss in population}
    integrate_all(hub, assignments)
    bad_lines = set(rng.sample(range(1000), 50))
    breakers = [
        {"niss": "12345678901"},
        {"days_worked": 78},
        {"days_worked": 200},
        {"employer": "0431150351"},
        {"period": "2030Q1"},
    ]
    records = [
        employee(niss, **(breakers[i % len(breakers)] if i in bad_lines else {}))
        for i, niss in enumerate(population)
    ]
    content = write_fixed("onss", date(2025, 5, 31), records)
    onss = credential("onss")

    response = client.post("/v1/batches", content=content, headers=onss)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert (batch["status"], batch["total"], batch["accepted"], batch["rejected"]) == (
        "done",
        1000,
        950,
        50,
    )
    assert batch["routed"] == 950

    report = client.get(f"/v1/batches/{batch['id']}", headers=onss).json()
    # the header is line 1, so record i is on line i + 2
    assert sorted(e["line"] for e in report["errors"]) == sorted(i + 2 for i in bad_lines)
    codes = Counter(e["code"] for e in report["errors"])
    assert set(codes) == {
        "invalid-niss",
        "invalid-input",
        "invalid-enterprise-number",
        "invalid-period",
    }

    expected = Counter(assignments[population[i]] for i in range(1000) if i not in bad_lines)
    for mutuality in MUTUALITIES:
        received = [
            m
            for m in pull_all(client, credential(mutuality))
            if m["flow"] == "contribution-voucher"
        ]
        assert len(received) == expected[mutuality], mutuality
        assert all(assignments[m["niss"]] == mutuality for m in received)

    # the same file again creates nothing new
    again = client.post("/v1/batches", content=content, headers=onss)
    assert again.status_code == 200
    assert again.json()["id"] == batch["id"]
    assert again.json()["duplicate"] is True
    with hub.uow() as uow:
        assert uow.mailbox.counts()["delivered"] == 950


def test_a_batch_with_the_same_idempotency_key_is_taken_once(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-200"})
    headers = {**credential("onss"), "Idempotency-Key": "onss-2025-05-31-001"}
    first = json.dumps(employee(niss)).encode() + b"\n"
    second = json.dumps(employee(niss, reference="other")).encode() + b"\n"
    response = client.post("/v1/batches?format=jsonl", content=first, headers=headers)
    assert response.status_code == 201
    response_again = client.post("/v1/batches?format=jsonl", content=second, headers=headers)
    assert response_again.status_code == 200
    assert response_again.json()["id"] == response.json()["id"]
    with hub.uow() as uow:
        assert len(uow.messages.of_niss(niss)) == 1


def test_a_person_no_mutuality_knows_gets_a_paper_voucher_and_an_a911_record(
    client: TestClient, credential: Credential
) -> None:
    niss = make_niss()
    onss = credential("onss")
    response = client.post("/v1/vouchers", json=employee(niss), headers=onss)
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["status"] == "paper"
    assert outcome["recipients"] == []

    document = client.get(f"/v1/documents/{outcome['document_id']}", headers=onss)
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    text = pdf_text(document.content)
    for expected in (
        format_niss(niss),
        "2025Q1",
        "0403.019.261",
        "60",
        outcome["message_id"],
        "Bon de cotisation",
        "Bijdragebon",
    ):
        assert expected in text, expected
    # another institution cannot fetch it
    assert (
        client.get(
            f"/v1/documents/{outcome['document_id']}", headers=credential("mut-100")
        ).status_code
        == 404
    )

    a911 = client.get("/v1/inami/a911", headers=credential("inami-sca"))
    assert a911.status_code == 200, a911.text
    [record] = [r for r in a911.json()["items"] if r["niss"] == niss]
    assert record["document_id"] == outcome["document_id"]
    assert (record["sender"], record["days_worked"], record["period"]) == ("onss", 60, "2025Q1")

    tracking = client.get(f"/v1/tracking?niss={niss}", headers=credential("inami-sca")).json()
    assert sorted((e["flow"], e["recipient"], e["status"]) for e in tracking["items"]) == [
        ("contribution-voucher", "paper", "paper"),
        ("paper-voucher", "inami", "queued"),
        ("paper-voucher", "inami-sca", "queued"),
        ("paper-voucher", "onss", "queued"),  # the notice: ONSS tells the employer
    ]


def test_a_pension_voucher_from_a_payer_goes_through_the_cadastre_and_both_hops_are_tracked(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss(born=date(1950, 2, 2))
    integrate_all(hub, {niss: "mut-500"})
    voucher = {
        "kind": "pension",
        "niss": niss,
        "period": "2025-03",
        "ct1": "110",
        "ct2": "460",
        "gross_pension": "1834.20",
        "health_withholding": "65.11",
        "pension_payer": "payer-ethias-pension",
    }
    response = client.post("/v1/vouchers", json=voucher, headers=credential("payer-ethias-pension"))
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["recipients"] == ["mut-500"]
    assert outcome["submitted_id"] is not None
    tracking = client.get(f"/v1/tracking?niss={niss}", headers=credential("mut-500")).json()
    hops = {(e["flow"], e["emitter"], e["recipient"]) for e in tracking["items"]}
    assert ("contribution-voucher", "pension-cadastre", "mut-500") in hops
    with hub.uow() as uow:
        first_hop = uow.tracking.select(niss=niss, flow="pension-voucher")
    assert [(e.emitter, e.recipient) for e in first_hop] == [
        ("payer-ethias-pension", "pension-cadastre")
    ]


def test_bad_vouchers_get_a_specific_error_and_nothing_is_routed(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    onss = credential("onss")
    cases = [
        (employee("12345678901"), 422, "invalid-niss"),
        (employee(niss, employer="0431150351"), 422, "invalid-enterprise-number"),
        (employee(niss, kind="lottery"), 422, "invalid-code"),
        (employee(niss, period="2031Q1"), 422, "invalid-period"),
        (employee(niss, days_worked=-3), 422, "invalid-input"),
        (employee(niss, days_worked=80), 422, "invalid-input"),
    ]
    for body, status, kind in cases:
        response = client.post("/v1/vouchers", json=body, headers=onss)
        assert response.status_code == status, (body, response.text)
        assert response.json()["type"] == PROBLEM + kind, body
    pension = {
        "kind": "pension",
        "niss": niss,
        "period": "2025-03",
        "ct1": "110",
        "ct2": "460",
        "gross_pension": "1000.00",
        "health_withholding": "35.50",
        "pension_payer": "sfp",
    }
    response = client.post("/v1/vouchers", json=pension, headers=credential("onem"))
    assert response.status_code == 403
    assert response.json()["reason_code"] == "not-authorised"
    payer_direct = client.post(
        "/v1/vouchers", json=employee(niss), headers=credential("payer-ethias-pension")
    )
    assert payer_direct.status_code == 403
    with hub.uow() as uow:
        assert uow.messages.of_niss(niss) == []


def test_broken_batch_files_are_refused_whole_or_per_record(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    nisses = [make_niss() for _ in range(20)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-300"))
    onss = credential("onss")
    good = write_fixed("onss", date(2025, 5, 31), [employee(n) for n in nisses])
    lines = good.decode().splitlines()

    truncated = "\n".join([*lines[:3], lines[3][:40], *lines[4:]]).encode() + b"\n"
    response = client.post("/v1/batches", content=truncated, headers=onss)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (19, 1)
    report = client.get(f"/v1/batches/{body['id']}", headers=onss).json()
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(4, "truncated")]

    latin1 = good.replace(b"onss", "onss\xe9".encode("latin-1"), 1)
    response = client.post("/v1/batches", content=latin1, headers=onss)
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-batch"
    assert response.json()["reason"] == "encoding"

    short_trailer = "\n".join([*lines[:-2], lines[-1]]).encode() + b"\n"
    response = client.post("/v1/batches", content=short_trailer, headers=onss)
    assert response.status_code == 422
    assert response.json()["reason"] == "count-mismatch"

    jsonl = b"\n".join(
        json.dumps(employee(n, days_worked=-1 if i % 10 == 0 else 60)).encode()
        for i, n in enumerate(nisses)
    )
    response = client.post(
        "/v1/vouchers", content=jsonl, headers={**onss, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 201, response.text
    assert (response.json()["accepted"], response.json()["rejected"]) == (18, 2)


def test_a_pension_payer_submits_a_batch_of_pension_vouchers_through_the_cadastre(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    nisses = [make_niss(born=date(1950, 3, 3)) for _ in range(3)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-400"))
    lines = b"\n".join(
        json.dumps({
            "kind": "pension", "niss": niss, "period": "2025-03", "ct1": "110", "ct2": "460",
            "gross_pension": "1000.00", "health_withholding": "35.50",
            "pension_payer": "payer-ethias-pension",
        }).encode()
        for niss in nisses
    )  # fmt: skip
    response = client.post(
        "/v1/batches?format=jsonl", content=lines, headers=credential("payer-ethias-pension")
    )
    assert response.status_code == 201, response.text
    assert (response.json()["routed"], response.json()["rejected"]) == (3, 0)
    with hub.uow() as uow:
        hops = [
            (e.flow, e.emitter, e.recipient) for n in nisses for e in uow.tracking.select(niss=n)
        ]
    assert hops.count(("pension-voucher", "payer-ethias-pension", "pension-cadastre")) == 3
    assert hops.count(("contribution-voucher", "pension-cadastre", "mut-400")) == 3


def test_a_large_batch_is_taken_at_once_and_processed_by_the_batch_worker(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    from carrefour.workers.delivery import BatchWorker

    hub.settings = hub.settings.model_copy(update={"batch_inline_max_bytes": 100})
    nisses = [make_niss() for _ in range(12)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-600"))
    records = [employee(n, days_worked=200 if i == 5 else 60) for i, n in enumerate(nisses)]
    content = write_fixed("onss", date(2025, 5, 31), records)
    onss = credential("onss")

    response = client.post("/v1/batches", content=content, headers=onss)
    assert response.status_code == 202, response.text
    batch = response.json()
    assert (batch["status"], batch["total"]) == ("received", 0)
    again = client.post("/v1/batches", content=content, headers=onss)
    assert (again.status_code, again.json()["id"]) == (200, batch["id"])

    processed = BatchWorker(hub).run_once()
    assert processed is not None
    assert processed.id == batch["id"]
    assert BatchWorker(hub).run_once() is None  # nothing else waits
    report = client.get(f"/v1/batches/{batch['id']}", headers=onss).json()
    assert (report["status"], report["accepted"], report["rejected"]) == ("done", 11, 1)
    assert [e["line"] for e in report["errors"]] == [7]
    with hub.uow() as uow:
        assert uow.batches.content(batch["id"]) is None  # the file is not kept once done

    lines = content.decode().splitlines()
    lines[-1] = lines[-1][:-2] + "99"  # the trailer announces 99 records
    broken = ("\n".join(lines) + "\n").encode()
    response = client.post("/v1/batches", content=broken, headers=onss)
    assert response.status_code == 202, response.text
    refused = BatchWorker(hub).run_once()
    assert refused is not None
    assert refused.status == "refused"
    report = client.get(f"/v1/batches/{refused.id}", headers=onss).json()
    assert (report["status"], report["error_code"]) == ("refused", "count-mismatch")
    assert "99" in report["error"]
