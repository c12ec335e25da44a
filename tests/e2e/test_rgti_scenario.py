"""Issue scenario: integrations, a start, an end, resumptions, the tracking file and its check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from tests.support import make_niss, tamper

Credential = Callable[[str], dict[str, str]]


_cursors: dict[str, str] = {}


def mailbox(client: TestClient, headers: dict[str, str]) -> list[dict[str, object]]:
    """The new messages since the last call, as a client keeping its cursor would read them."""
    key = headers["Authorization"]
    after = f"&after={_cursors[key]}" if key in _cursors else ""
    response = client.get(f"/v1/mailbox?limit=1000{after}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    if body["next_cursor"] is not None:
        _cursors[key] = body["next_cursor"]
    items: list[dict[str, object]] = body["items"]
    return items


def flows_for(items: list[dict[str, object]], niss: str) -> list[tuple[object, object]]:
    return [(m["flow"], m["event_date"]) for m in items if m["niss"] == niss]


def test_a_self_employed_career_is_distributed_tracked_and_verified(
    client: TestClient,
    credential: Credential,
    hub: Hub,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    niss = make_niss(born=date(1980, 5, 17))
    mut, onem, fund, cas = (
        credential("mut-100"),
        credential("onem"),
        credential("faf-famiwal"),
        credential("cas-acerta"),
    )

    # a mutuality and ONEm integrate the person; the family-allowance fund does not
    for headers, capacity in ((mut, "001"), (onem, "004")):
        response = client.put(
            f"/v1/directory/{niss}/integrations",
            json={"capacity": capacity, "phase": 1, "begin": "2020-01-01"},
            headers=headers,
        )
        assert response.status_code == 201, response.text

    # the CAS declares a start: both find it in their mailbox, the fund does not
    response = client.post(
        "/v1/rgti/affiliations",
        json={
            "niss": niss,
            "begin": "2025-01-06",
            "contributor_category": "A",
            "enterprise_number": "0403019261",
        },
        headers=cas,
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert [m["flow"] for m in first["messages"]] == ["self-employed-start"]
    start = ("self-employed-start", "2025-01-06")
    received = mailbox(client, mut)
    assert flows_for(received, niss) == [start]
    assert flows_for(mailbox(client, onem), niss) == [start]
    assert flows_for(mailbox(client, fund), niss) == []
    payload = received[-1]["payload"]
    assert payload["contributor_category"] == "A"  # type: ignore[index]
    assert "affiliation_id" not in payload  # type: ignore[operator]

    # the CAS declares the end: stop messages follow
    response = client.post(
        f"/v1/rgti/affiliations/{first['affiliation_id']}/cessation",
        json={"end": "2025-03-31", "reason": "cessation"},
        headers=cas,
    )
    assert response.status_code == 200, response.text
    stop = ("self-employed-stop", "2025-03-31")
    assert flows_for(mailbox(client, mut), niss) == [stop]
    assert flows_for(mailbox(client, onem), niss) == [stop]

    # a resumption two quarters later (Q2 and Q3 free) gives a start
    response = client.post(
        "/v1/rgti/affiliations",
        json={
            "niss": niss,
            "begin": "2025-10-01",
            "end": "2025-12-15",
            "contributor_category": "D",
        },
        headers=cas,
    )
    assert response.status_code == 201, response.text
    assert [m["flow"] for m in response.json()["messages"]] == [
        "self-employed-start",
        "self-employed-stop",
    ]
    assert flows_for(mailbox(client, mut), niss) == [
        ("self-employed-start", "2025-10-01"),
        ("self-employed-stop", "2025-12-15"),
    ]

    # one a month later does not give a start
    response = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2026-01-15", "contributor_category": "D"},
        headers=cas,
    )
    assert response.status_code == 201, response.text
    assert response.json()["messages"] == []
    assert flows_for(mailbox(client, mut), niss) == []
    assert flows_for(mailbox(client, fund), niss) == []

    # the tracking file shows each message, per recipient
    response = client.get(f"/v1/tracking?niss={niss}", headers=mut)
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert sorted((e["recipient"], e["flow"], e["event_date"]) for e in entries) == sorted(
        (recipient, flow, day)
        for recipient in ("mut-100", "onem")
        for flow, day in (
            ("self-employed-start", "2025-01-06"),
            ("self-employed-stop", "2025-03-31"),
            ("self-employed-start", "2025-10-01"),
            ("self-employed-stop", "2025-12-15"),
        )
    )
    assert {e["emitter"] for e in entries} == {"inasti"}
    states = {(e["recipient"], e["event_date"]): e["delivery_status"] for e in entries}
    assert {s for (who, _), s in states.items() if who == "mut-100"} == {"delivered"}
    assert states[("onem", "2025-03-31")] == "delivered"
    assert states[("onem", "2025-10-01")] == "queued"  # ONEm has not pulled it yet

    # carrefour verify passes, then fails once a tracking row is edited in the database
    runner = CliRunner()
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    result = runner.invoke(cli_app, ["verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    edited = entries[1]["position"]
    tamper(hub, "UPDATE tracking SET recipient = 'mut-200' WHERE position = :p", p=edited)
    result = runner.invoke(cli_app, ["verify"])
    assert result.exit_code == 1
    assert f"at entry {edited}" in result.output
