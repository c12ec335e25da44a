"""The consultation log over HTTP: every refused write and every read by id leaves its line,
under the person's NISS; the log is chained (``verify`` finds deleted or edited lines); and
``GET /v1/consultations`` answers who consulted what about a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from carrefour.services.tracking import verify
from carrefour.services.unit_of_work import ConsultationEntry
from tests.support import employee, make_niss, tamper

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def lines(hub: Hub, niss: str | None = None, caller: str | None = None) -> list[ConsultationEntry]:
    with hub.uow() as uow:
        return uow.consultations.select(niss=niss, caller=caller, limit=1000)


def integrate(client: TestClient, headers: dict[str, str], niss: str, capacity: str = "001") -> Any:
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": capacity, "phase": 1, "begin": "2020-01-01"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def affiliate(client: TestClient, headers: dict[str, str], niss: str) -> str:
    response = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2024-01-01", "contributor_category": "A"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["affiliation_id"])


def refused_line(hub: Hub, niss: str, caller: str) -> ConsultationEntry:
    found = [line for line in lines(hub, niss, caller) if not line.allowed]
    assert found, f"no refused line of {caller} under {niss}: {lines(hub, niss)}"
    return found[0]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("cessation", {"end": "2024-12-31"}),
        ("contributor-code", {"contributor_category": "D", "begin": "2024-07-01"}),
        ("correction", {"begin": "2023-01-01"}),
    ],
)
def test_a_cas_changing_another_cas_affiliation_leaves_its_line(
    client: TestClient, credential: Credential, hub: Hub, path: str, body: dict[str, Any]
) -> None:
    niss = make_niss()
    affiliation = affiliate(client, credential("cas-partena"), niss)
    response = client.post(
        f"/v1/rgti/affiliations/{affiliation}/{path}", json=body, headers=credential("cas-securex")
    )
    assert response.status_code == 403
    line = refused_line(hub, niss, "cas-securex")
    assert (line.object_id, line.http_status, line.status_code) == (affiliation, 403, "MSG00013")
    assert f"/v1/rgti/affiliations/{{affiliation_id}}/{path}" in line.detail


def test_a_cas_feeding_insurability_for_someone_not_its_affiliate_leaves_its_line(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    affiliate(client, credential("cas-acerta"), niss)
    response = client.post(
        "/v1/insurability",
        json={
            "niss": niss,
            "quarter": "2025Q2",
            "contributor_category": "A",
            "contributions": "in-order",
        },
        headers=credential("cas-xerius"),
    )
    assert response.status_code == 403
    line = refused_line(hub, niss, "cas-xerius")
    assert line.http_status == 403
    assert line.flow == "insurability"


@pytest.mark.parametrize("sender", ["onem", "mut-100"])
def test_an_employee_voucher_from_onem_or_a_mutuality_leaves_its_line(
    client: TestClient, credential: Credential, hub: Hub, sender: str
) -> None:
    niss = make_niss()
    response = client.post("/v1/vouchers", json=employee(niss), headers=credential(sender))
    assert response.status_code == 403, response.text
    line = refused_line(hub, niss, sender)
    assert (line.status_code, line.http_status, line.flow) == ("MSG00013", 403, "vouchers")


def test_a_read_of_another_mutuality_s_case_is_logged_under_the_person(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    mut = credential("mut-100")
    integrate(client, mut, niss)
    case = client.post(
        "/v1/inami/cases",
        json={"niss": niss, "begin": "2025-01-01", "end": "2025-03-31", "reason": "aucun bon"},
        headers=mut,
    ).json()
    assert client.get(f"/v1/inami/cases/{case['id']}", headers=mut).status_code == 200
    hidden = client.get(f"/v1/inami/cases/{case['id']}", headers=credential("mut-200"))
    assert hidden.status_code == 404
    line = refused_line(hub, niss, "mut-200")
    assert (line.object_id, line.http_status, line.status_code) == (case["id"], 404, "MSG00100")
    assert line.reason_code == "not-found"


def test_every_pdf_read_is_logged_and_another_s_document_is_logged_under_the_person(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()  # nobody integrated: the voucher goes on paper
    onss = credential("onss")
    outcome = client.post("/v1/vouchers", json=employee(niss), headers=onss).json()
    document = outcome["document_id"]

    assert client.get(f"/v1/documents/{document}", headers=onss).status_code == 200
    [read] = [line for line in lines(hub, niss, "onss") if line.object_id == document]
    assert (read.allowed, read.http_status, read.action, read.flow) == (
        True,
        200,
        "consult",
        "documents",
    )

    assert client.get(f"/v1/documents/{document}", headers=credential("mut-300")).status_code == (
        404
    )
    line = refused_line(hub, niss, "mut-300")
    assert (line.object_id, line.http_status) == (document, 404)


def test_a_404_on_another_s_batch_and_directory_line_and_message_is_logged(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    line = integrate(client, credential("mut-100"), niss)
    ended = client.delete(
        f"/v1/directory/{niss}/integrations/{line['id']}", headers=credential("mut-200")
    )
    assert ended.status_code == 404
    refused = refused_line(hub, niss, "mut-200")
    assert (refused.object_id, refused.http_status) == (line["id"], 404)

    assert client.get("/v1/batches/nosuchbatch", headers=credential("onss")).status_code == 404
    [batch] = [x for x in lines(hub, caller="onss") if x.object_id == "nosuchbatch"]
    assert (batch.allowed, batch.http_status, batch.niss) == (False, 404, None)

    outcome = client.post("/v1/vouchers", json=employee(niss), headers=credential("onss")).json()
    ack = client.post(
        "/v1/mailbox/acks",
        json={"message_id": outcome["message_id"], "result": "accept"},
        headers=credential("mut-300"),
    )
    assert ack.status_code == 404, ack.text
    refused = refused_line(hub, niss, "mut-300")
    assert refused.object_id == outcome["message_id"]


def test_an_unauthenticated_request_writes_no_line(client: TestClient, hub: Hub) -> None:
    niss = make_niss()
    assert client.get(f"/v1/rgti/careers/{niss}").status_code == 401
    assert lines(hub, niss) == []


def three_reads(client: TestClient, credential: Credential, hub: Hub) -> list[ConsultationEntry]:
    niss = make_niss()
    mut = credential("mut-100")
    for _ in range(3):
        assert client.get(f"/v1/rgti/careers/{niss}", headers=mut).status_code == 403
    return sorted(lines(hub, niss), key=lambda line: line.position or 0)


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_verify_reports_a_deleted_consultation_line(
    client: TestClient, credential: Credential, hub: Hub, which: str
) -> None:
    written = three_reads(client, credential, hub)
    with hub.uow() as uow:
        assert verify_log(uow) is None
    victim = {"first": written[0], "middle": written[1], "last": written[2]}[which]
    tamper(
        hub,
        "DELETE FROM consultation_log WHERE position = :p",
        table="consultation_log",
        p=victim.position,
    )

    with hub.uow() as uow:
        broken = verify(uow).broken
    assert broken is not None
    assert broken.emitter == "consultation-log"
    assert "deleted" in broken.reason


def test_verify_reports_an_edited_consultation_line(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    written = three_reads(client, credential, hub)
    tamper(
        hub,
        "UPDATE consultation_log SET caller = 'mut-200' WHERE position = :p",
        table="consultation_log",
        p=written[1].position,
    )
    with hub.uow() as uow:
        broken = verify(uow).broken
    assert broken is not None
    assert broken.position == written[1].position
    assert "edited" in broken.reason


def test_bcss_and_the_person_s_mutuality_read_who_consulted_the_person_page_by_page(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    integrate(client, credential("mut-100"), niss)
    for _ in range(3):
        client.get(f"/v1/rgti/careers/{niss}", headers=credential("mut-300"))

    bcss = credential("bcss")
    first = client.get("/v1/consultations", params={"niss": niss, "limit": 2}, headers=bcss)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [x["caller"] for x in page["items"]] == ["mut-300", "mut-300"]
    assert all(x["allowed"] is False and x["flow"] == "rgti-career" for x in page["items"])
    rest = client.get(
        "/v1/consultations",
        params={"niss": niss, "limit": 2, "after": page["next_cursor"]},
        headers=bcss,
    ).json()
    assert [x["caller"] for x in rest["items"]] == ["mut-300", "mut-100"]
    assert rest["items"][-1]["object_id"] is not None  # the integration names its line
    assert rest["next_cursor"] is None

    own = client.get("/v1/consultations", params={"niss": niss}, headers=credential("mut-100"))
    assert own.status_code == 200
    assert {x["caller"] for x in own.json()["items"]} >= {"mut-300", "bcss"}


@pytest.mark.parametrize(("caller", "reason"), [("mut-300", "not-integrated"), ("onss", None)])
def test_others_may_not_read_the_consultation_log_and_the_attempt_is_logged(
    client: TestClient, credential: Credential, hub: Hub, caller: str, reason: str | None
) -> None:
    niss = make_niss()
    integrate(client, credential("mut-100"), niss)
    response = client.get("/v1/consultations", params={"niss": niss}, headers=credential(caller))
    assert response.status_code == 403
    assert response.json()["reason_code"] == (reason or "not-authorised")
    assert "mut-100" not in response.text
    line = refused_line(hub, niss, caller)
    assert line.flow == "consultations"


@pytest.mark.parametrize(
    ("params", "kind"),
    [
        ({"niss": "12345678901"}, "invalid-niss"),
        ({"niss": "68060105329", "after": "x"}, "invalid-input"),
        ({}, "invalid-request"),
    ],
)
def test_bad_consultation_log_queries_are_refused(
    client: TestClient, credential: Credential, params: dict[str, str], kind: str
) -> None:
    response = client.get("/v1/consultations", params=params, headers=credential("bcss"))
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + kind
