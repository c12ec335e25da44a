"""Credentials with an expiry: valid until the day they were issued for, then 401."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from carrefour.domain.errors import InvalidInput
from carrefour.services.institutions import issue_credential
from tests.support import FakeClock

PROBLEM = "urn:carrefour:problem:"


def test_an_expired_credential_is_refused_with_401(
    client: TestClient, hub: Hub, clock: FakeClock
) -> None:
    with hub.uow() as uow:
        token = issue_credential(uow, institution="mut-100", days=30)
    headers = {"Authorization": f"Bearer {token}"}
    clock.advance(days=29, hours=23)
    assert client.get("/v1/institutions", headers=headers).status_code == 200
    clock.advance(hours=1)
    response = client.get("/v1/institutions", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "credential-expired"
    assert "expired on 2025-07-02T09:00:00" in response.json()["detail"]


def test_a_credential_without_days_does_not_expire(
    client: TestClient, hub: Hub, clock: FakeClock
) -> None:
    with hub.uow() as uow:
        token = issue_credential(uow, institution="mut-100")
    clock.advance(days=3650)
    response = client.get("/v1/institutions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_zero_days_is_refused(hub: Hub) -> None:
    with hub.uow() as uow, pytest.raises(InvalidInput, match="at least 1 day"):
        issue_credential(uow, institution="mut-100", days=0)


def test_the_command_issues_a_credential_that_expires(hub: Hub, database_url: str) -> None:
    result = CliRunner().invoke(
        cli_app, ["institutions", "credential", "mut-100", "--days", "7"],
        env={"CARREFOUR_DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    credential_id = token.split("_")[1]
    with hub.uow() as uow:
        record = uow.credentials.get(credential_id)
    assert record is not None
    assert record.expires_at is not None
    assert (record.expires_at - record.created_at).days == 7
    refused = CliRunner().invoke(
        cli_app, ["institutions", "credential", "mut-100", "--days", "0"],
        env={"CARREFOUR_DATABASE_URL": database_url},
    )  # fmt: skip
    assert refused.exit_code != 0
