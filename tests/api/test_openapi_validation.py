"""The OpenAPI says what the validators enforce: a NISS is 11 digits with its check (format
``niss``), a quarter is YYYYQn, a cursor is one a list returned; data written as the schema says
is accepted, so a generator working from the schema produces requests the hub takes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from carrefour.api.schemas import NISS_PATTERN, QUARTER_PATTERN


def parameters(schema: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = []
    for item in schema["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == name:
                    branches = parameter["schema"].get("anyOf", [parameter["schema"]])
                    found += [b for b in branches if b.get("type") == "string"]
    return found


def test_every_niss_quarter_and_cursor_input_says_what_it_takes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    niss = parameters(schema, "niss")
    assert len(niss) >= 6
    assert all(p["pattern"] == NISS_PATTERN and p["format"] == "niss" for p in niss)
    assert all(p["pattern"] == QUARTER_PATTERN for p in parameters(schema, "quarter"))
    assert all(p["format"] == "cursor" for p in parameters(schema, "after"))
    bodies = schema["components"]["schemas"]
    assert bodies["AffiliationCreate"]["properties"]["niss"]["pattern"] == NISS_PATTERN
    correct = bodies["AckCreate"]["properties"]["correct_niss"]["anyOf"][0]
    assert correct["format"] == "niss"
    # answers are not constrained: a response may carry a NISS as the hub stores it
    assert "pattern" not in bodies["CareerRead"]["properties"]["niss"]


def test_a_niss_as_the_schema_describes_it_is_accepted_and_one_off_is_refused(
    client: TestClient, credential: Any
) -> None:
    headers = credential("inasti")
    first = "680601053"
    good = first + f"{97 - int(first) % 97:02d}"
    assert client.get(f"/v1/rgti/careers/{good}", headers=headers).status_code != 422
    bad = client.get(f"/v1/rgti/careers/{first}00", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["type"] == "urn:carrefour:problem:invalid-niss"
