"""Insurability over HTTP (L410): a CAS feeds its affiliates' quarters, a mutuality consults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from tests.support import FakeClock, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def affiliate(client: TestClient, headers: dict[str, str], niss: str) -> None:
    response = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2024-01-01", "contributor_category": "A"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def integrate(client: TestClient, headers: dict[str, str], niss: str) -> None:
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def feed(client: TestClient, headers: dict[str, str], niss: str, **body: Any) -> Any:
    payload = {
        "niss": niss,
        "quarter": "2025Q2",
        "contributor_category": "A",
        "contributions": "in-order",
        **body,
    }
    return client.post("/v1/insurability", json=payload, headers=headers)


@pytest.fixture
def person(client: TestClient, credential: Credential) -> str:
    """A self-employed person affiliated with Acerta since 2024, insured by mutuality 100."""
    niss = make_niss()
    affiliate(client, credential("cas-acerta"), niss)
    integrate(client, credential("mut-100"), niss)
    return niss


def test_the_l410_answer_is_intermediate_then_definitive(
    client: TestClient, credential: Credential, hub: Hub, clock: FakeClock, person: str
) -> None:
    cas, mut = credential("cas-acerta"), credential("mut-100")
    response = feed(client, cas, person)
    assert response.status_code == 201, response.text
    assert response.json() | {"updated_at": None} == {
        "niss": person,
        "quarter": "2025Q2",
        "cas": "cas-acerta",
        "contributor_category": "A",
        "contributions": "in-order",
        "closed": False,
        "updated_at": None,
    }

    response = client.get(f"/v1/insurability/{person}?quarter=2025Q2", headers=mut)
    assert response.status_code == 200, response.text
    answer = response.json()
    acerta = hub.catalogue.institution("cas-acerta")
    assert answer == {
        "niss": person,
        "quarter": "2025Q2",
        "status": "intermediate",
        "status_code": "MSG00000",
        "deliberation": "insurability-consult-mutualities",
        "items": [
            {
                "cas": "cas-acerta",
                "cas_network_number": acerta.network_number,
                "cas_enterprise_number": acerta.enterprise_number,
                "quarter": "2025Q2",
                "affiliated": True,
                "contributor_category": "A",
                "contributions": "in-order",
                "closed": False,
                "status": "intermediate",
            }
        ],
    }
    # without a quarter: the current one
    assert client.get(f"/v1/insurability/{person}", headers=mut).json() == answer

    # closed while the quarter still runs: still intermediate
    assert feed(client, cas, person, closed=True).status_code == 201
    running = client.get(f"/v1/insurability/{person}?quarter=2025Q2", headers=mut).json()
    assert running["status"] == "intermediate"
    assert running["items"][0]["closed"] is True

    # the quarter is over and closed: definitive
    clock.current = datetime(2025, 7, 15, 9, 0, tzinfo=UTC)
    response = client.get(f"/v1/insurability/{person}?quarter=2025-Q2", headers=mut)
    assert response.status_code == 200, response.text
    final = response.json()
    assert final["status"] == "definitive"
    assert final["items"][0]["status"] == "definitive"
    assert final["items"][0]["contributions"] == "in-order"
    with hub.uow() as uow:
        [record] = uow.insurability.of(person)
        entries = uow.consultations.select(niss=person, caller="mut-100")
    assert record.closed is True
    assert record.updated_at == datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    assert [e.flow for e in entries].count("insurability") == 4
    assert all(e.allowed for e in entries if e.flow == "insurability")


def test_a_quarter_over_but_not_closed_stays_intermediate(
    client: TestClient, credential: Credential, clock: FakeClock, person: str
) -> None:
    assert feed(client, credential("cas-acerta"), person, quarter="2025Q1").status_code == 201
    answer = client.get(
        f"/v1/insurability/{person}?quarter=2025Q1", headers=credential("mut-100")
    ).json()
    assert answer["status"] == "intermediate"
    assert answer["status_code"] == "MSG00000"


def test_a_quarter_without_data_answers_msg00100(
    client: TestClient, credential: Credential, person: str
) -> None:
    feed(client, credential("cas-acerta"), person)
    response = client.get(
        f"/v1/insurability/{person}?quarter=2025Q1", headers=credential("mut-100")
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status_code"] == "MSG00100"
    assert answer["items"] == []
    assert answer["status"] == "intermediate"


def test_a_mutuality_without_integration_is_refused_and_logged(
    client: TestClient, credential: Credential, hub: Hub, person: str
) -> None:
    feed(client, credential("cas-acerta"), person)
    response = client.get(
        f"/v1/insurability/{person}?quarter=2025Q2", headers=credential("mut-200")
    )
    assert response.status_code == 403
    body = response.json()
    assert body["reason_code"] == "not-integrated"
    assert body["status_code"] == "MSG00012"
    assert "in-order" not in response.text
    with hub.uow() as uow:
        [entry] = uow.consultations.select(niss=person, caller="mut-200")
    assert entry.allowed is False
    assert entry.flow == "insurability"
    assert entry.action == "consult"


def test_onem_may_not_consult(client: TestClient, credential: Credential, person: str) -> None:
    response = client.get(f"/v1/insurability/{person}", headers=credential("onem"))
    assert response.status_code == 403
    assert response.json()["reason_code"] == "not-authorised"
    assert response.json()["status_code"] == "MSG00013"


def test_only_the_cas_of_the_quarter_may_feed_it(
    client: TestClient, credential: Credential, hub: Hub, person: str
) -> None:
    response = feed(client, credential("cas-xerius"), person)
    assert response.status_code == 403
    body = response.json()
    assert body["reason_code"] == "not-authorised"
    assert body["status_code"] == "MSG00013"
    assert "cas-xerius" in body["detail"]
    assert "2025Q2" in body["detail"]
    # a quarter before the affiliation, and an institution that is no CAS
    assert feed(client, credential("cas-acerta"), person, quarter="2023Q4").status_code == 403
    response = feed(client, credential("mut-100"), person)
    assert response.status_code == 403
    assert response.json()["reason_code"] == "not-authorised"
    with hub.uow() as uow:
        assert uow.insurability.of(person) == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"contributions": "paid"}, "invalid-code"),
        ({"contributor_category": "Z"}, "invalid-code"),
        ({"quarter": "2025Q5"}, "invalid-period"),
        ({"quarter": "Q2-2025"}, "invalid-period"),
        ({"quarter": "2025Q3"}, "invalid-period"),  # not begun on 2025-06-02
        ({"niss": "12345678901"}, "invalid-niss"),
        ({"extra": 1}, "invalid-request"),
    ],
)
def test_bad_feeds_are_refused(
    client: TestClient,
    credential: Credential,
    hub: Hub,
    person: str,
    body: dict[str, Any],
    kind: str,
) -> None:
    payload = {"niss": person, **body}
    response = feed(client, credential("cas-acerta"), **payload)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM + kind
    with hub.uow() as uow:
        assert uow.insurability.of(person) == []


def test_bad_consultations_are_refused(
    client: TestClient, credential: Credential, person: str
) -> None:
    mut = credential("mut-100")
    response = client.get(f"/v1/insurability/{person}?quarter=2025-13", headers=mut)
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-period"
    response = client.get("/v1/insurability/12345678901?quarter=2025Q2", headers=mut)
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-niss"


def test_a_later_feed_replaces_the_earlier_one(
    client: TestClient, credential: Credential, person: str
) -> None:
    cas = credential("cas-acerta")
    feed(client, cas, person, contributions="not-in-order")
    response = feed(client, cas, person, quarter="2025-Q2", contributions="regularised")
    assert response.status_code == 201, response.text
    answer = client.get(f"/v1/insurability/{person}", headers=credential("mut-100")).json()
    assert [i["contributions"] for i in answer["items"]] == ["regularised"]
