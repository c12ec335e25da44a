"""L410 through the network (seed 002: the mutualities consult the insurability data at the CAS
"via le réseau de la sécurité sociale"): no CAS for the quarter, one CAS answering through its
push endpoint (a real local HTTP server), a CAS too slow that answers later from its mailbox, and
answers the hub refuses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.adapters.db import tables_inami
from carrefour.adapters.push import HttpPushSender
from carrefour.bootstrap import Hub
from tests.api.test_inami_casework_api import rows
from tests.integration.push_server import PushServer
from tests.support import FakeClock, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"
IN_ORDER = {"contributor_category": "A", "contributions": "in-order", "closed": True}


@pytest.fixture
def endpoint() -> Iterator[PushServer]:
    server = PushServer()
    server.start()
    yield server
    server.stop()


def person(client: TestClient, credential: Credential, cas: str | None = "cas-xerius") -> str:
    """A person insured by mut-100, affiliated with ``cas`` since 2024 (``None``: no CAS)."""
    niss = make_niss()
    if cas is not None:
        response = client.post(
            "/v1/rgti/affiliations",
            json={"niss": niss, "begin": "2024-01-01", "contributor_category": "A"},
            headers=credential(cas),
        )
        assert response.status_code == 201, response.text
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 201, response.text
    return niss


def register(hub: Hub, institution: str, url: str) -> None:
    with hub.uow() as uow:
        uow.catalogue_store.set_push_endpoint(institution, url)
        uow.commit()


def flows_of(client: TestClient, headers: dict[str, str]) -> list[tuple[str, Any]]:
    items = client.get("/v1/mailbox", headers=headers).json()["items"]
    return [(m["flow"], m) for m in items]


def test_no_cas_for_the_quarter_answers_at_once_definitive_and_negative(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = person(client, credential, cas=None)
    response = client.post(
        "/v1/insurability/requests",
        json={"niss": niss, "quarter": "2025Q1"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "niss": niss,
        "quarter": "2025Q1",
        "status": "definitive",
        "status_code": "MSG00100",
        "deliberation": "insurability-consult-mutualities",
        "items": [],
    }
    with hub.uow() as uow:
        assert [m.flow for m in uow.messages.of_niss(niss)] == []
    assert rows(hub, tables_inami.insurability_requests) == 0


def test_the_cas_answers_through_its_push_endpoint_and_the_answer_reaches_the_mutuality(
    client: TestClient, credential: Credential, hub: Hub, endpoint: PushServer
) -> None:
    mut = credential("mut-100")
    niss = person(client, credential)
    register(hub, "cas-xerius", endpoint.url)
    endpoint.reply = IN_ORDER

    response = client.get(f"/v1/insurability/{niss}?quarter=2025Q1", headers=mut)
    assert response.status_code == 200, response.text
    answer = response.json()
    xerius = hub.catalogue.institution("cas-xerius")
    assert answer["status"] == "definitive"  # 2025Q1 is over on 2025-06-02, and closed
    assert answer["status_code"] == "MSG00000"
    assert answer["cas"] == "cas-xerius"
    assert answer["items"] == [
        {
            "cas": "cas-xerius",
            "cas_network_number": xerius.network_number,
            "cas_enterprise_number": xerius.enterprise_number,
            "quarter": "2025Q1",
            "affiliated": True,
            "contributor_category": "A",
            "contributions": "in-order",
            "closed": True,
            "status": "definitive",
        }
    ]
    [offered] = endpoint.received
    assert offered.body["flow"] == "insurability-request"
    assert offered.body["message_id"] == answer["message_id"]
    assert offered.body["payload"] == {
        "request_id": answer["request_id"],
        "niss": niss,
        "quarter": "2025Q1",
    }

    [(_, message)] = [f for f in flows_of(client, mut) if f[0] == "insurability-answer"]
    assert message["message_id"] == answer["answer_message_id"]
    assert message["in_reply_to"] == answer["message_id"]
    assert message["sender"] == "cas-xerius"
    assert message["payload"]["status"] == "definitive"

    with hub.uow() as uow:
        tracked = uow.tracking.select(niss=niss)
        row = uow.mailbox.get("cas-xerius", answer["message_id"])
    assert [(e.flow, e.emitter, e.recipient) for e in tracked] == [
        ("insurability-request", "mut-100", "cas-xerius"),
        ("insurability-answer", "cas-xerius", "mut-100"),
    ]
    assert row is not None
    assert row.status == "delivered"  # not pushed a second time

    status = client.get(f"/v1/insurability/requests/{answer['request_id']}", headers=mut)
    assert status.status_code == 200
    assert status.json()["status"] == "definitive"
    other = client.get(
        f"/v1/insurability/requests/{answer['request_id']}", headers=credential("mut-200")
    )
    assert other.status_code == 404


def test_a_cas_too_slow_answers_later_from_its_mailbox(
    client: TestClient,
    credential: Credential,
    hub: Hub,
    clock: FakeClock,
    endpoint: PushServer,
) -> None:
    mut, cas = credential("mut-100"), credential("cas-xerius")
    niss = person(client, credential)
    register(hub, "cas-xerius", endpoint.url)
    endpoint.reply = IN_ORDER
    endpoint.delay = 1.5
    hub.network = HttpPushSender(timeout_seconds=0.3)
    hub.settings.insurability_timeout_seconds = 0.3

    response = client.post(
        "/v1/insurability/requests", json={"niss": niss, "quarter": "2025Q2"}, headers=mut
    )
    assert response.status_code == 202, response.text
    pending = response.json()
    assert pending["status"] == "pending"
    assert pending["status_code"] is None
    assert pending["items"] == []
    assert "Timeout" in pending["last_error"]
    assert [f for f in flows_of(client, mut) if f[0] == "insurability-answer"] == []

    # the request waits in the CAS's mailbox; the quarter still runs: intermediate
    [(_, request)] = [f for f in flows_of(client, cas) if f[0] == "insurability-request"]
    assert request["payload"]["request_id"] == pending["request_id"]
    answered = client.post(
        f"/v1/insurability/requests/{pending['request_id']}/answer",
        json={"contributor_category": "A", "contributions": "not-in-order"},
        headers=cas,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "intermediate"
    [(_, message)] = [f for f in flows_of(client, mut) if f[0] == "insurability-answer"]
    assert message["payload"]["items"][0]["contributions"] == "not-in-order"
    assert message["in_reply_to"] == pending["message_id"]
    again = client.post(
        f"/v1/insurability/requests/{pending['request_id']}/answer",
        json=IN_ORDER,
        headers=cas,
    )
    assert again.status_code == 409

    # a later consultation, once the quarter is over, asks again and gets the definitive answer
    clock.current = datetime(2025, 7, 15, 9, 0, tzinfo=UTC)
    endpoint.delay = 0.0
    hub.network = HttpPushSender(timeout_seconds=5)
    final = client.get(f"/v1/insurability/{niss}?quarter=2025Q2", headers=mut)
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "definitive"


def test_without_a_push_endpoint_the_request_waits_in_the_mailbox(
    client: TestClient, credential: Credential
) -> None:
    niss = person(client, credential)
    response = client.get(f"/v1/insurability/{niss}?quarter=2025Q1", headers=credential("mut-100"))
    assert response.status_code == 202, response.text
    assert response.json()["cas"] == "cas-xerius"
    inbox = flows_of(client, credential("cas-xerius"))
    assert [flow for flow, _ in inbox].count("insurability-request") == 1


def test_an_answer_from_the_wrong_cas_is_refused_and_nothing_is_written(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    mut = credential("mut-100")
    niss = person(client, credential)
    pending = client.get(f"/v1/insurability/{niss}?quarter=2025Q1", headers=mut).json()
    url = f"/v1/insurability/requests/{pending['request_id']}/answer"

    wrong = client.post(url, json=IN_ORDER, headers=credential("cas-acerta"))
    assert wrong.status_code == 403, wrong.text
    body = wrong.json()
    assert body["type"] == PROBLEM + "not-affiliate"
    assert body["status_code"] == "MSG00013"
    assert "cas-acerta" in body["detail"]
    assert "2025Q1" in body["detail"]
    not_a_cas = client.post(url, json=IN_ORDER, headers=mut)
    assert not_a_cas.status_code == 403
    assert not_a_cas.json()["type"] == PROBLEM + "not-authorised"
    bad = client.post(
        url, json={**IN_ORDER, "contributions": "paid"}, headers=credential("cas-xerius")
    )
    assert bad.status_code == 422
    assert bad.json()["type"] == PROBLEM + "invalid-code"

    status = client.get(f"/v1/insurability/requests/{pending['request_id']}", headers=mut).json()
    assert status["status"] == "pending"
    assert [f for f in flows_of(client, mut) if f[0] == "insurability-answer"] == []
    with hub.uow() as uow:
        assert [m.flow for m in uow.messages.of_niss(niss)] == ["insurability-request"]


def test_a_cas_that_did_not_choose_the_feed_may_not_feed(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = person(client, credential)
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
    assert response.status_code == 403, response.text
    assert "insurability_feeds" in response.json()["detail"]
    with hub.uow() as uow:
        assert uow.insurability.of(niss) == []
