"""Integration (form I605) within bounds: a catalogue phase, a capacity the deliberations let the
sector hold, a begin within the sector's retroactivity limit and not before birth; and every
integration, end and cut in the consultation log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from tests.support import make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def put(client: TestClient, headers: dict[str, str], niss: str, **body: Any) -> Any:
    payload = {"capacity": "001", "phase": 1, "begin": "2024-01-01", **body}
    return client.put(f"/v1/directory/{niss}/integrations", json=payload, headers=headers)


@pytest.mark.parametrize(
    ("body", "kind", "named"),
    [
        ({"phase": 99}, "invalid-phase", "phase 99"),
        ({"capacity": "902"}, "capacity-not-allowed", "capacity 902"),
        ({"begin": "1950-01-01"}, "begin-beyond-retroactivity", "10 years"),
    ],
)
def test_an_integration_out_of_bounds_is_refused_and_logged(
    client: TestClient,
    credential: Credential,
    hub: Hub,
    body: dict[str, Any],
    kind: str,
    named: str,
) -> None:
    niss = make_niss(born=date(1940, 5, 5))
    response = put(client, credential("mut-300"), niss, **body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == PROBLEM + kind
    assert named in problem["detail"]
    with hub.uow() as uow:
        assert uow.directory.lines_of(niss) == []
        logged = uow.consultations.select(niss=niss, caller="mut-300")
    assert any(not line.allowed and line.http_status == 422 for line in logged), logged
    # what mut-300 then tries to read stays refused
    assert client.get(f"/v1/rgti/careers/{niss}", headers=credential("mut-300")).status_code == 403


def test_an_integration_before_birth_is_refused(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss(born=date(2020, 3, 10))
    response = put(client, credential("mut-100"), niss, begin="2020-03-09")
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM + "begin-before-birth"
    assert "2020-03-10" in response.json()["detail"]
    assert put(client, credential("mut-100"), niss, begin="2020-03-10").status_code == 201


def test_the_deliberated_capacities_and_phases_are_accepted(
    client: TestClient, credential: Credential
) -> None:
    niss = make_niss()
    assert put(client, credential("mut-100"), niss, capacity="002", phase=0).status_code == 201
    assert put(client, credential("onem"), niss, capacity="004").status_code == 201
    refused = put(client, credential("onem"), niss, capacity="002")
    assert refused.status_code == 422  # 002 is a mutuality's code, not ONEm's
    assert refused.json()["type"] == PROBLEM + "unknown-capacity"


def test_every_integration_end_and_cut_is_in_the_consultation_log(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = make_niss()
    mut = credential("mut-100")
    line = put(client, mut, niss, begin="2020-01-01").json()
    cut = client.delete(
        f"/v1/directory/{niss}/integrations/{line['id']}",
        params={"cut_begin": "2021-01-01", "cut_end": "2021-12-31"},
        headers=mut,
    )
    assert cut.status_code == 200, cut.text
    last = cut.json()["items"][-1]
    ended = client.delete(
        f"/v1/directory/{niss}/integrations/{last['id']}", params={"end": "2024-12-31"}, headers=mut
    )
    assert ended.status_code == 200, ended.text
    with hub.uow() as uow:
        logged = uow.consultations.select(niss=niss, caller="mut-100")
    writes = [(x.action, x.flow, x.object_id, x.allowed) for x in reversed(logged)]
    assert writes == [
        ("send", "directory", line["id"], True),
        ("send", "directory", line["id"], True),
        ("send", "directory", last["id"], True),
    ]
