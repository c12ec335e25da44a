"""RGTI over HTTP: writes by the CAS and INASTI, the L302 consultation, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from tests.support import make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def declare(client: TestClient, headers: dict[str, str], niss: str, **body: Any) -> Any:
    payload = {"niss": niss, "begin": "2024-01-01", "contributor_category": "A", **body}
    return client.post("/v1/rgti/affiliations", json=payload, headers=headers)


def integrate(client: TestClient, headers: dict[str, str], niss: str, capacity: str) -> None:
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": capacity, "phase": 1, "begin": "2020-01-01"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def test_an_affiliation_overlapping_another_cas_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    assert declare(client, credential("cas-acerta"), niss).status_code == 201
    response = declare(client, credential("cas-xerius"), niss, begin="2024-06-01")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == PROBLEM + "conflict"
    assert "cas-acerta" in body["detail"]
    with hub.uow() as uow:
        assert [a.cas for a in uow.careers.load(niss).affiliations] == ["cas-acerta"]


def test_an_affiliation_before_the_birth_date_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss(born=date(1990, 3, 10))
    response = declare(client, credential("cas-ucm"), niss, begin="1990-03-09")
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-period"
    assert "1990-03-10" in response.json()["detail"]
    with hub.uow() as uow:
        assert uow.careers.load(niss).affiliations == ()


def test_an_end_before_the_begin_is_refused(client: TestClient, credential: Credential) -> None:
    niss = make_niss()
    response = declare(client, credential("cas-ucm"), niss, begin="2024-05-01", end="2024-04-01")
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-period"
    created = declare(client, credential("cas-ucm"), niss, begin="2024-05-01").json()
    response = client.post(
        f"/v1/rgti/affiliations/{created['affiliation_id']}/cessation",
        json={"end": "2024-04-30"},
        headers=credential("cas-ucm"),
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-period"


def test_an_unknown_contributor_category_is_refused(
    client: TestClient, credential: Credential
) -> None:
    response = declare(client, credential("cas-ucm"), make_niss(), contributor_category="Z")
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == PROBLEM + "invalid-code"
    assert "Z" in body["detail"]


def test_a_cas_cannot_change_another_cas_affiliate(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    created = declare(client, credential("cas-partena"), niss).json()
    affiliation = created["affiliation_id"]
    other = credential("cas-securex")
    for path, body in (
        ("cessation", {"end": "2024-12-31"}),
        ("contributor-code", {"contributor_category": "D", "begin": "2024-07-01"}),
        ("correction", {"begin": "2023-01-01"}),
    ):
        response = client.post(
            f"/v1/rgti/affiliations/{affiliation}/{path}", json=body, headers=other
        )
        assert response.status_code == 403, (path, response.text)
        assert response.json()["reason_code"] == "not-authorised"
    with hub.uow() as uow:
        career = uow.careers.load(niss)
    assert career.affiliations[0].period.begin == date(2024, 1, 1)
    assert career.affiliations[0].period.end is None
    assert [c.category for c in career.categories] == ["A"]


def test_only_a_cas_or_inasti_may_declare_an_affiliation(
    client: TestClient, credential: Credential
) -> None:
    response = declare(client, credential("mut-100"), make_niss())
    assert response.status_code == 403
    assert response.json()["status_code"] == "MSG00013"


def test_a_consultation_without_integration_is_refused_logged_and_leaks_nothing(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    declare(client, credential("cas-zenito"), niss)
    response = client.get(f"/v1/rgti/careers/{niss}", headers=credential("mut-300"))
    assert response.status_code == 403
    body = response.json()
    assert body["reason_code"] == "not-integrated"
    assert body["status_code"] == "MSG00012"
    assert "2024-01-01" not in response.text
    assert "cas-zenito" not in response.text
    with hub.uow() as uow:
        [entry] = uow.consultations.select(niss=niss, caller="mut-300")
    assert entry.allowed is False
    assert entry.flow == "rgti-career"


def test_the_l302_answer_gives_the_granted_fields_per_segment(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss(born=date(1975, 1, 1))
    cas = credential("cas-liantis")
    created = declare(
        client, cas, niss, begin="2023-02-15", enterprise_number="0403.019.261"
    ).json()
    response = client.post(
        f"/v1/rgti/affiliations/{created['affiliation_id']}/contributor-code",
        json={"contributor_category": "D", "begin": "2024-01-01"},
        headers=cas,
    )
    assert response.status_code == 200, response.text
    response = client.post(
        "/v1/rgti/assimilated-periods",
        json={
            "niss": niss,
            "code": 7,
            "begin": "2024-03-01",
            "end": "2024-05-31",
            "granted": True,
            "decided_on": "2024-07-01",
        },
        headers=credential("inasti"),
    )
    assert response.status_code == 201, response.text

    mut = credential("mut-400")
    integrate(client, mut, niss, "001")
    response = client.get(f"/v1/rgti/careers/{niss}", headers=mut)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status_code"] == "MSG00000"
    assert answer["attestation_id"].startswith("L302-")
    liantis = hub.catalogue.institution("cas-liantis")
    first, second = answer["segments"]
    assert first == {
        "niss": niss,
        "enterprise_number": "0403019261",
        "cas_network_number": liantis.network_number,
        "cas_enterprise_number": liantis.enterprise_number,
        "segment": 1,
        "begin": "2023-02-15",
        "end": "2023-12-31",
        "contributor_category": "A",
        "assimilated_periods": [],
    }
    assert second["contributor_category"] == "D"
    assert second["end"] is None
    assert [a["code"] for a in second["assimilated_periods"]] == [7]

    # the situation on a date, and a family fund that does not see INASTI's decisions
    on_date = client.get(f"/v1/rgti/careers/{niss}?at=2023-06-30", headers=mut).json()
    assert [s["segment"] for s in on_date["segments"]] == [1]
    fund = credential("faf-famiwal")
    integrate(client, fund, niss, "001")
    seen = client.get(f"/v1/rgti/careers/{niss}", headers=fund).json()
    assert all("assimilated_periods" not in s for s in seen["segments"])
    assert seen["assimilated_periods"] is None


def test_a_person_without_career_gets_no_data(client: TestClient, credential: Credential) -> None:
    niss = make_niss()
    mut = credential("mut-100")
    integrate(client, mut, niss, "001")
    answer = client.get(f"/v1/rgti/careers/{niss}", headers=mut).json()
    assert answer["status_code"] == "MSG00100"
    assert answer["segments"] == []


def test_only_inasti_records_assimilated_periods_and_codes_are_checked(
    client: TestClient, credential: Credential
) -> None:
    niss = make_niss()
    body = {
        "niss": niss,
        "code": 7,
        "begin": "2024-03-01",
        "end": "2024-05-31",
        "granted": True,
        "decided_on": "2024-07-01",
    }
    response = client.post("/v1/rgti/assimilated-periods", json=body, headers=credential("cas-ucm"))
    assert response.status_code == 403
    response = client.post(
        "/v1/rgti/assimilated-periods", json={**body, "code": 99}, headers=credential("inasti")
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-code"


def test_a_consultation_of_a_replaced_niss_names_the_new_one(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    from carrefour.services.directory import record_replacement

    old, new = make_niss(), make_niss()
    with hub.uow() as uow:
        record_replacement(uow, old_niss=old, new_niss=new, by="bcss")
    response = client.get(f"/v1/rgti/careers/{old}", headers=credential("inasti"))
    assert response.status_code == 409
    assert response.json()["new_niss"] == new
