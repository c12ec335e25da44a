"""Hostile requests are refused with a specific problem before anything parses them, on SQLite
and PostgreSQL: each request below is one that answered 500, or took what it should not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.api.guards import MAX_JSON_DEPTH
from carrefour.bootstrap import Hub
from tests.support import employee, integrate_all, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM + kind, body
    assert body["status"] == status
    return body


def vouchers_sent(hub: Hub) -> int:
    with hub.uow() as uow:
        return sum(uow.mailbox.counts().values())


def test_a_body_nested_a_thousand_levels_deep_is_refused_without_being_parsed(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    headers = {**credential("onss"), "Content-Type": "application/json"}
    response = client.post("/v1/vouchers", content=b"[" * 1000, headers=headers)
    body = assert_problem(response, 422, "json-too-deep")
    assert f"at most {MAX_JSON_DEPTH}" in str(body["detail"])
    nested = client.put(
        f"/v1/directory/{make_niss()}/integrations",
        content=b'{"capacity": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        headers={**credential("mut-100"), "Content-Type": "application/json"},
    )
    assert_problem(nested, 422, "json-too-deep")
    assert vouchers_sent(hub) == 0


def test_a_five_thousand_digit_integer_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    voucher = json.dumps(employee(niss)).replace(
        '"days_worked": 60', '"days_worked": ' + "9" * 5000
    )
    response = client.post(
        "/v1/vouchers",
        content=voucher,
        headers={**credential("onss"), "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "json-number-too-long")
    assert "5000 characters" in str(body["detail"])
    assert vouchers_sent(hub) == 0
    # The same voucher with a sane number goes through.
    good = client.post("/v1/vouchers", json=employee(niss), headers=credential("onss"))
    assert good.status_code == 201, good.text


def test_a_300_character_idempotency_key_is_refused_before_the_database(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    content = (json.dumps(employee(niss)) + "\n").encode()
    headers = {**credential("onss"), "Idempotency-Key": "k" * 300}
    response = client.post("/v1/batches?format=jsonl", content=content, headers=headers)
    body = assert_problem(response, 431, "header-too-long")
    assert "idempotency-key" in str(body["detail"])
    assert "at most 200" in str(body["detail"])
    assert vouchers_sent(hub) == 0
    headers["Idempotency-Key"] = "k" * 200
    accepted = client.post("/v1/batches?format=jsonl", content=content, headers=headers)
    assert accepted.status_code == 201, accepted.text


def test_an_over_long_authorization_header_is_refused(client: TestClient) -> None:
    response = client.get("/v1/institutions", headers={"Authorization": "Bearer " + "x" * 5000})
    assert_problem(response, 431, "header-too-long")


def test_a_json_body_over_the_limit_is_refused_quickly_with_a_small_answer(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    big = json.dumps({f"field{i}": "x" * 100 for i in range(130_000)})  # about 13 MB
    assert len(big) > 13_000_000
    response = client.post(
        "/v1/vouchers",
        content=big,
        headers={**credential("onss"), "Content-Type": "application/json"},
    )
    body = assert_problem(response, 413, "body-too-large")
    assert "CARREFOUR_MAX_JSON_BYTES" in str(body["detail"])
    assert len(response.content) < 1000
    assert vouchers_sent(hub) == 0


def test_an_invalid_body_under_the_limit_answers_a_bounded_problem(
    client: TestClient, credential: Credential
) -> None:
    """Many unknown keys (each refused) and a long one: the problem lists 20 and cuts keys."""
    body = {
        "capacity": "001",
        "begin": "2024-01-01",
        **{"k" * 5000 + str(i): 1 for i in range(150)},
    }
    response = client.put(
        f"/v1/directory/{make_niss()}/integrations", json=body, headers=credential("mut-100")
    )
    problem = assert_problem(response, 422, "invalid-request")
    assert len(problem["errors"]) == 20  # type: ignore[arg-type]
    assert "and 130 more" in str(problem["detail"])
    assert len(response.content) < 20_000


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", None),
        ("application/x-www-form-urlencoded", None),
        (None, None),
        ("application/json; charset=utf-16", "utf-16"),
        ("application/json", "utf-16"),
    ],
    ids=["text-plain", "form", "no-content-type", "declared-utf-16", "utf-16-bytes"],
)
def test_a_voucher_not_sent_as_json_in_utf8_is_refused(
    client: TestClient,
    credential: Credential,
    hub: Hub,
    content_type: str | None,
    content: str | None,
) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    text = json.dumps(employee(niss))
    raw = text.encode(content or "utf-8")
    headers = credential("onss")
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.post("/v1/vouchers", content=raw, headers=headers)
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in str(body["detail"]) or "UTF-8" in str(body["detail"])
    assert vouchers_sent(hub) == 0


def test_an_integer_is_not_a_date(client: TestClient, credential: Credential) -> None:
    niss = make_niss()
    for begin in (0, 86400 * 20000, "20240101", "1700000000"):
        response = client.put(
            f"/v1/directory/{niss}/integrations",
            json={"capacity": "001", "begin": begin},
            headers=credential("mut-100"),
        )
        body = assert_problem(response, 422, "invalid-request")
        assert "body.begin" in str(body["detail"]), body
    declared = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": 0, "contributor_category": "A"},
        headers=credential("cas-acerta"),
    )
    assert_problem(declared, 422, "invalid-request")
    listed = client.get("/v1/directory?at=0", headers=credential("mut-100"))
    assert_problem(listed, 422, "invalid-request")
    ok = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "begin": "2024-01-01"},
        headers=credential("mut-100"),
    )
    assert ok.status_code == 201, ok.text


def test_a_refused_batch_file_names_its_line_in_the_problem(
    client: TestClient, credential: Credential
) -> None:
    content = b'{"kind": "employee"}\n\xff\xfe not utf-8\n'
    headers = credential("onss")
    first = client.post("/v1/batches?format=jsonl", content=content, headers=headers)
    body = assert_problem(first, 422, "invalid-batch")
    assert "line 2" in str(body["detail"])
    assert body["line"] == 2
    again = client.post("/v1/batches?format=jsonl", content=content, headers=headers)
    assert_problem(again, 422, "invalid-batch")
    assert again.json()["line"] == 2


def test_a_wrong_method_answers_405_with_every_allowed_method(
    client: TestClient, credential: Credential
) -> None:
    response = client.patch(f"/v1/directory/{make_niss()}", headers=credential("mut-100"))
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"
    batches = client.delete("/v1/batches", headers=credential("onss"))
    assert_problem(batches, 405, "method-not-allowed")
    assert batches.headers["allow"] == "POST"


def test_the_openapi_documents_the_problems_of_each_operation(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/vouchers"]["post"]
    for status in ("401", "403", "404", "409", "413", "415", "422", "431"):
        content = operation["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], (status, content)
    assert operation["security"] == [{"bearer": []}]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    begin = schema["components"]["schemas"]["IntegrationCreate"]["properties"]["begin"]
    assert begin["format"] == "date"


def test_a_number_is_not_a_boolean_and_a_string_not_an_integer(
    client: TestClient, credential: Credential
) -> None:
    niss = make_niss()
    record = {"niss": niss, "quarter": "2025Q2", "contributor_category": "A"}
    insurability = client.post(
        "/v1/insurability",
        json={**record, "contributions": "in-order", "closed": 0},
        headers=credential("cas-acerta"),
    )
    body = assert_problem(insurability, 422, "invalid-request")
    assert "body.closed" in str(body["detail"])
    integration = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "begin": "2024-01-01", "phase": "1"},
        headers=credential("mut-100"),
    )
    assert "body.phase" in str(assert_problem(integration, 422, "invalid-request")["detail"])


def test_a_query_parameter_given_twice_is_refused_not_silently_the_last(
    client: TestClient, credential: Credential
) -> None:
    url = "/v1/institutions?sector=false&sector=false&sector=0.0"
    response = client.get(url, headers=credential("mut-100"))
    body = assert_problem(response, 422, "repeated-query-parameter")
    assert "'sector'" in body["detail"]
    assert (
        client.get("/v1/institutions?sector=15", headers=credential("mut-100")).status_code == 200
    )


def test_405_names_the_methods_of_a_literal_path_not_of_a_template_it_also_fits(
    client: TestClient, credential: Credential
) -> None:
    response = client.options("/v1/insurability/requests", headers=credential("mut-100"))
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


def test_a_literal_path_taken_by_a_template_route_answers_405_not_the_templates_422(
    client: TestClient, credential: Credential
) -> None:
    # GET /v1/insurability/{niss} fits the path, but /v1/insurability/requests is its own path
    response = client.get("/v1/insurability/requests", headers=credential("mut-100"))
    body = assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"
    assert "takes POST, not GET" in body["detail"]
    niss_read = client.get("/v1/insurability/00000000000", headers=credential("mut-100"))
    assert niss_read.status_code == 422
