"""The person page on SQLite and PostgreSQL: the hub sees everything (directory history, career
timeline, paper voucher PDF, messages, who consulted); an institution's agent sees what its
deliberations allow, and is refused (and logged) for a person it has not integrated."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.console import Role
from carrefour.domain.identifiers import parse_niss
from carrefour.services import console_users
from tests.support import employee_voucher, make_niss
from tests.web.console_support import post_login, post_voucher

Credential = Callable[[str], dict[str, str]]
PASSWORD = "correct horse battery"


def signed_in(client: TestClient, hub: Hub, role: Role, institution: str | None = None) -> None:
    name = f"{role.value}-{institution or 'x'}"
    with hub.uow() as uow:
        console_users.add_user(
            uow, name=name, role=role, institution=institution, password=PASSWORD, language="en"
        )
    assert post_login(client, name=name, password=PASSWORD) == 303


def person_with_career(client: TestClient, credential: Credential) -> str:
    niss = make_niss()
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 201, response.text
    started = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2021-01-01", "contributor_category": "A"},
        headers=credential("cas-acerta"),
    )
    assert started.status_code == 201, started.text
    ended = client.post(
        f"/v1/rgti/affiliations/{started.json()['affiliation_id']}/cessation",
        json={"end": "2022-06-30", "reason": "cessation"},
        headers=credential("cas-acerta"),
    )
    assert ended.status_code in (200, 201), ended.text
    again = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2023-01-01", "contributor_category": "D"},
        headers=credential("cas-acerta"),
    )
    assert again.status_code == 201, again.text
    return niss


def test_the_operator_sees_lines_timeline_messages_and_who_consulted(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = person_with_career(client, credential)
    signed_in(client, hub, Role.OPERATOR)
    formatted = parse_niss(niss).formatted()
    found = client.get("/console/persons", params={"niss": formatted})
    assert found.url.path == f"/console/persons/{niss}"
    page = found.text
    assert formatted in page
    assert "mut-100" in page  # the directory line
    assert "<svg" in page
    assert 'class="segment"' in page
    assert page.count('class="segment"') == 2
    assert 'class="gap"' in page  # between mid-2022 and 2023
    assert "▲" in page
    assert "▼" in page
    assert "self-employed-start" in page
    with hub.uow() as uow:
        lines = uow.consultations.select(niss=niss, caller="bcss", limit=10)
    assert any("transactions of the person" in line.detail for line in lines)
    assert "Who consulted this person" in page


def test_a_paper_voucher_is_listed_with_its_pdf(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    outcome = employee_voucher(hub, niss)
    assert outcome.document_id
    signed_in(client, hub, Role.OPERATOR)
    page = client.get(f"/console/persons/{niss}").text
    assert "2025Q1" in page
    link = f"/console/documents/{outcome.document_id}"
    assert link in page
    pdf = client.get(link)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    api = client.get(f"/v1/documents/{outcome.document_id}", headers=credential("bcss"))
    assert api.status_code == 200
    assert api.content.startswith(b"%PDF")


def test_a_paper_voucher_stored_before_its_hander_was_a_reader_opens_for_the_hander(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    from sqlalchemy import update

    from carrefour.adapters.db.tables import documents

    paper = post_voucher(
        client, credential("onem"), kind="unemployment", niss=make_niss(), period="2025Q1",
        ct1="110", ct2="000", compensated_days=30, payment_body="capac",
    )  # fmt: skip
    assert paper["status"] == "paper"
    document_id = paper["document_id"]
    # As the hub stored paper vouchers before it recorded who hands them over (CAPAC here).
    with hub.engine.begin() as conn:
        conn.execute(
            update(documents)
            .where(documents.c.id == document_id)
            .values(readers=["onem", "inami-sca", "inami"])
        )
    with hub.uow() as uow:
        stored = uow.documents.get(document_id)
        uow.commit()
    assert stored is not None
    assert "capac" not in stored.readers
    api = client.get(f"/v1/documents/{document_id}", headers=credential("capac"))
    assert api.status_code == 200, api.text
    assert api.content.startswith(b"%PDF")
    assert client.get(f"/v1/documents/{document_id}", headers=credential("onem")).status_code == 200
    stranger = client.get(f"/v1/documents/{document_id}", headers=credential("onss"))
    assert stranger.status_code == 404
    signed_in(client, hub, Role.AGENT, "capac")
    page = client.get(f"/console/documents/{document_id}")
    assert page.status_code == 200
    assert page.content.startswith(b"%PDF")


def test_an_agent_sees_its_own_person_through_its_deliberations(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = person_with_career(client, credential)
    signed_in(client, hub, Role.AGENT, "mut-100")
    page = client.get(f"/console/persons/{niss}")
    assert page.status_code == 200
    assert 'class="segment"' in page.text
    assert "self-employed-start" in page.text
    with hub.uow() as uow:
        lines = uow.consultations.select(niss=niss, caller="mut-100", limit=20)
    assert {line.flow for line in lines if line.allowed} >= {"tracking", "directory"}


def test_an_agent_opening_a_person_not_integrated_is_refused_and_logged(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = person_with_career(client, credential)
    signed_in(client, hub, Role.AGENT, "mut-200")
    refused = client.get(f"/console/persons/{niss}")
    assert refused.status_code == 403
    assert "Not authorised" in refused.text
    assert "self-employed-start" not in refused.text
    with hub.uow() as uow:
        lines = uow.consultations.select(niss=niss, caller="mut-200", limit=10)
    assert lines
    assert not lines[0].allowed


def test_a_malformed_niss_is_a_clear_error(client: TestClient, hub: Hub) -> None:
    signed_in(client, hub, Role.OPERATOR)
    response = client.get("/console/persons", params={"niss": "12345"})
    assert response.status_code == 422
    assert 'role="alert"' in response.text


def test_paper_vouchers_are_counted_on_the_dashboard_and_in_the_metrics(
    client: TestClient, hub: Hub
) -> None:
    for _ in range(3):
        employee_voucher(hub, make_niss())
    metrics = client.get("/metrics").text
    assert 'carrefour_mailbox_messages{status="paper"} 3.0' in metrics
    signed_in(client, hub, Role.OPERATOR)
    board = client.get("/console/").text
    assert "status-paper" in board
    assert "<strong>3</strong>" in board


def test_the_reference_pages_list_the_catalogue_for_every_role(
    client: TestClient, hub: Hub
) -> None:
    signed_in(client, hub, Role.AGENT, "mut-100")
    page = client.get("/console/reference", params={"lang": "nl"})
    assert page.status_code == 200
    text = page.text
    for expected in ("cas-acerta", "rgti-career-consult-mutualities", "Beraadslagingen", "001"):
        assert expected in text, expected
    assert hub.catalogue.institution("mut-100").name_nl in text


def test_the_inami_cell_sees_a_persons_voucher_tracking_and_opens_the_paper_pdf(
    client: TestClient, hub: Hub
) -> None:
    niss = make_niss()
    outcome = employee_voucher(hub, niss)
    signed_in(client, hub, Role.INAMI_CELL)
    page = client.get(f"/console/persons/{niss}")
    assert page.status_code == 200
    assert "2025Q1" in page.text
    assert "onss" in page.text  # the emitter of the voucher
    pdf = client.get(f"/console/documents/{outcome.document_id}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
