"""The person directory over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.identifiers import niss_check_digits
from carrefour.services.directory import record_replacement
from tests.support import make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def integrate(
    client: TestClient, headers: dict[str, str], niss: str, **body: object
) -> dict[str, object]:
    payload = {"capacity": "001", "phase": 1, "begin": "2024-01-01", "end": None, **body}
    response = client.put(f"/v1/directory/{niss}/integrations", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def consultations(hub: Hub, niss: str | None = None, caller: str | None = None) -> list[object]:
    with hub.uow() as uow:
        return list(uow.consultations.select(niss=niss, caller=caller))


def test_health_answers_with_the_database_kind(client: TestClient, hub: Hub) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == hub.engine.dialect.name


def test_metrics_count_the_messages_per_delivery_status(
    client: TestClient, credential: Credential
) -> None:
    niss = make_niss()
    integrate(client, credential("mut-100"), niss)
    declared = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2025-01-06", "contributor_category": "A"},
        headers=credential("cas-acerta"),
    )
    assert declared.status_code == 201, declared.text
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'carrefour_mailbox_messages{status="queued"} 1.0' in metrics.text
    assert 'carrefour_mailbox_messages{status="failed"} 0.0' in metrics.text


def test_an_institution_lists_the_catalogue(client: TestClient, credential: Credential) -> None:
    response = client.get("/v1/institutions", headers=credential("mut-100"))
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert {"bcss", "inasti", "cas-acerta", "mut-100", "onem", "inami-sca"} <= ids
    cas = client.get("/v1/institutions?sector=15", headers=credential("mut-100")).json()["items"]
    assert len([i for i in cas if i["institution_type"] == 1]) == 11


def test_an_unknown_institution_is_a_404_problem(
    client: TestClient, credential: Credential
) -> None:
    response = client.get("/v1/institutions/mut-999", headers=credential("mut-100"))
    assert response.status_code == 404
    assert response.json()["type"] == PROBLEM + "unknown-institution"


def test_a_request_without_credential_is_refused_with_401(client: TestClient) -> None:
    response = client.get("/v1/institutions")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "unauthenticated"
    assert "no credential" in response.json()["detail"]


def test_an_invalid_credential_is_refused_with_401(client: TestClient) -> None:
    for token in ("nonsense", "cf_0123456789abcdef_wrongsecret"):
        response = client.get("/v1/institutions", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["type"] == PROBLEM + "unauthenticated"


def test_a_revoked_credential_is_refused_with_401(
    client: TestClient, hub: Hub, credential: Credential
) -> None:
    from carrefour.services.institutions import revoke_credentials

    headers = credential("mut-100")
    assert client.get("/v1/institutions", headers=headers).status_code == 200
    with hub.uow() as uow:
        assert revoke_credentials(uow, institution="mut-100") == 1
    response = client.get("/v1/institutions", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "not-found"


def test_a_mutuality_integrates_a_person_and_sees_its_line(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    headers = credential("mut-100")
    niss = make_niss()
    formatted = f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}"
    created = integrate(client, headers, formatted)
    assert created["niss"] == niss
    assert created["institution"] == "mut-100"
    listed = client.get(f"/v1/directory/{niss}", headers=headers).json()["items"]
    assert [line["id"] for line in listed] == [created["id"]]
    # another institution does not see mut-100's line in its own view
    other = client.get(f"/v1/directory/{niss}", headers=credential("onem")).json()["items"]
    assert other == []
    # the hub's routing query sees it
    hub_view = client.get(f"/v1/directory/{niss}", headers=credential("bcss")).json()["items"]
    assert [line["institution"] for line in hub_view] == ["mut-100"]
    logged = consultations(hub, niss=niss, caller="mut-100")
    assert len(logged) == 2  # the integration and the consultation


def test_a_malformed_niss_is_refused_with_its_cause(
    client: TestClient, credential: Credential
) -> None:
    headers = credential("mut-100")
    cases = {
        "12345678901": "bad-check-digits",
        "1234567890": "length",
        "6806010532X": "non-digit",
        "681331053" + niss_check_digits("681331053", born_2000_or_later=False): "bad-date",
    }
    for niss, reason in cases.items():
        response = client.put(
            f"/v1/directory/{niss}/integrations",
            json={"capacity": "001", "begin": "2024-01-01"},
            headers=headers,
        )
        assert response.status_code == 422, niss
        body = response.json()
        assert body["type"] == PROBLEM + "invalid-niss"
        assert body["reason"] == reason, (niss, body)


def test_an_unknown_capacity_for_the_sector_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "010", "begin": "2024-01-01"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "unknown-capacity"
    with hub.uow() as uow:
        assert uow.directory.lines_of(niss) == []


def test_an_overlapping_integration_is_refused_and_nothing_is_written(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    headers = credential("mut-200")
    niss = make_niss()
    first = integrate(client, headers, niss, begin="2024-01-01", end="2024-12-31")
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "begin": "2024-12-31"},
        headers=headers,
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "overlapping-integration"
    assert response.json()["line_id"] == first["id"]
    with hub.uow() as uow:
        assert len(uow.directory.lines_of(niss)) == 1
    # the day after is fine, and so is another capacity over the same period
    integrate(client, headers, niss, begin="2025-01-01")
    integrate(client, headers, niss, capacity="002", begin="2024-06-01")


def test_an_end_before_the_begin_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    headers = credential("mut-100")
    niss = make_niss()
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "begin": "2024-05-01", "end": "2024-04-30"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-period"
    line = integrate(client, headers, niss, begin="2024-05-01")
    response = client.delete(
        f"/v1/directory/{niss}/integrations/{line['id']}?end=2024-04-01", headers=headers
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-period"
    with hub.uow() as uow:
        assert uow.directory.lines_of(niss)[0].period.end is None


def test_an_integration_on_a_replaced_niss_names_the_new_one(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    old, new = make_niss(), make_niss()
    with hub.uow() as uow:
        record_replacement(uow, old_niss=old, new_niss=new, by="bcss")
    response = client.put(
        f"/v1/directory/{old}/integrations",
        json={"capacity": "001", "begin": "2024-01-01"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == PROBLEM + "niss-replaced"
    assert body["new_niss"] == new
    with hub.uow() as uow:
        assert uow.directory.lines_of(old) == []


def test_a_caller_outside_the_network_is_refused_with_the_reason_code_and_logged(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "begin": "2024-01-01"},
        headers=credential("payer-ethias-pension"),
    )
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == PROBLEM + "not-authorised"
    assert body["reason_code"] == "not-authorised"
    assert body["status_code"] == "MSG00013"
    with hub.uow() as uow:
        assert uow.directory.lines_of(niss) == []
    [entry] = consultations(hub, niss=niss)
    assert entry.allowed is False  # type: ignore[attr-defined]
    assert entry.caller == "payer-ethias-pension"  # type: ignore[attr-defined]


def test_ending_a_line_keeps_it_ended_in_the_history(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    headers = credential("mut-300")
    niss = make_niss()
    line = integrate(client, headers, niss, begin="2024-01-01")
    response = client.delete(
        f"/v1/directory/{niss}/integrations/{line['id']}?end=2024-06-30", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["end"] == "2024-06-30"
    in_force = client.get(f"/v1/directory/{niss}?at=2024-07-01", headers=headers).json()
    assert in_force["items"] == []
    earlier = client.get(f"/v1/directory/{niss}?at=2024-06-30", headers=headers).json()
    assert [x["id"] for x in earlier["items"]] == [line["id"]]


def test_cutting_a_period_out_leaves_two_lines_and_keeps_the_original_in_history(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    headers = credential("mut-400")
    niss = make_niss()
    line = integrate(client, headers, niss, begin="2024-01-01")
    response = client.delete(
        f"/v1/directory/{niss}/integrations/{line['id']}?cut_begin=2024-03-01&cut_end=2024-03-31",
        headers=headers,
    )
    assert response.status_code == 200, response.text
    remains = [(x["begin"], x["end"]) for x in response.json()["items"]]
    assert remains == [("2024-01-01", "2024-02-29"), ("2024-04-01", None)]
    with hub.uow() as uow:
        history = uow.directory.history_of(niss)
    assert [h.change for h in history if h.cancelled_at is not None] == ["cut"]


def test_an_institution_cannot_end_another_institutions_line(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    line = integrate(client, credential("mut-100"), niss)
    response = client.delete(
        f"/v1/directory/{niss}/integrations/{line['id']}?end=2024-06-30",
        headers=credential("mut-200"),
    )
    assert response.status_code == 404
    with hub.uow() as uow:
        assert uow.directory.lines_of(niss)[0].period.end is None


def test_an_institution_pages_through_its_persons(
    client: TestClient, credential: Credential
) -> None:
    headers = credential("mut-500")
    nisses = sorted(make_niss() for _ in range(5))
    for niss in nisses:
        integrate(client, headers, niss)
    seen: list[str] = []
    url = "/v1/directory?limit=2"
    while True:
        page = client.get(url, headers=headers).json()
        seen += [item["niss"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/v1/directory?limit=2&after={page['next_cursor']}"
    assert seen == nisses


def test_a_body_with_unknown_fields_is_refused_as_invalid_request(
    client: TestClient, credential: Credential
) -> None:
    response = client.put(
        f"/v1/directory/{make_niss()}/integrations",
        json={"capacity": "001", "begin": "2024-01-01", "colour": "blue"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "invalid-request"
