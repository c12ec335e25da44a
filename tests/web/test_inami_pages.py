"""The INAMI cell's pages on SQLite and PostgreSQL: the case queue, a case with the person's
voucher tracking, issuing a provisional proof and opening its PDF; the hub's operator reads the
same pages; an institution agent has none of them."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.console import Role
from tests.api.test_inami_api import integrate, open_case
from tests.support import employee_voucher, make_niss
from tests.web.console_support import SAME_ORIGIN
from tests.web.test_person import signed_in

Credential = Callable[[str], dict[str, str]]


def a_case(client: TestClient, credential: Credential) -> tuple[str, str]:
    niss = make_niss()
    mut = credential("mut-100")
    integrate(client, mut, niss)
    created = open_case(client, mut, niss)
    assert created.status_code == 201, created.text
    return niss, str(created.json()["id"])


def test_the_cell_handles_a_case_and_opens_the_proof(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss, case_id = a_case(client, credential)
    employee_voucher(hub, make_niss())  # someone else's voucher: not in this case
    signed_in(client, hub, Role.INAMI_CELL)
    queue = client.get("/console/inami/cases")
    assert queue.status_code == 200
    assert case_id[:12] in queue.text
    assert "mut-100" in queue.text
    page = client.get(f"/console/inami/cases/{case_id}").text
    assert "Voucher tracking across the emitters" in page
    assert "No proof issued." in page
    assert "Issue a provisional proof" in page
    issued = client.post(
        f"/console/inami/cases/{case_id}/provisional-proof",
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert issued.status_code == 200
    assert "proof-issued" in issued.text
    assert "Issue a provisional proof" not in issued.text  # one proof in force at a time
    link = re.search(r'href="(/console/documents/[^"]+)"', issued.text)
    assert link
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    with hub.uow() as uow:
        log = uow.consultations.select(niss=niss, caller="inami-sca", limit=20)
    assert log  # the cell's reads of the case are on record
    again = client.post(f"/console/inami/cases/{case_id}/provisional-proof", headers=SAME_ORIGIN)
    assert again.status_code == 409  # one proof in force at a time


def test_the_operator_reads_the_cases_but_issues_no_proof(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    _, case_id = a_case(client, credential)
    signed_in(client, hub, Role.OPERATOR)
    assert case_id[:12] in client.get("/console/inami/cases").text
    page = client.get(f"/console/inami/cases/{case_id}").text
    assert "Issue a provisional proof" not in page
    refused = client.post(f"/console/inami/cases/{case_id}/provisional-proof", headers=SAME_ORIGIN)
    assert refused.status_code == 403


def test_an_agent_has_no_inami_page_and_a_post_without_token_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    _, case_id = a_case(client, credential)
    signed_in(client, hub, Role.AGENT, "mut-100")
    assert client.get("/console/inami/cases").status_code == 403
    assert client.get(f"/console/inami/cases/{case_id}").status_code == 403
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token")
    signed_in(client, hub, Role.INAMI_CELL)
    client.headers.pop("X-CSRF-Token")
    forged = client.post(f"/console/inami/cases/{case_id}/provisional-proof", headers=SAME_ORIGIN)
    assert forged.status_code == 403
    with hub.uow() as uow:
        case = uow.inami.case(case_id)
    assert case is not None
    assert case.status == "open"
