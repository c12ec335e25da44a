"""Signing in to the console from a test client: the sign-in form's token, then the session's;
submitting a voucher through the API."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

SAME_ORIGIN = {"Origin": "http://testserver"}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def post_login(client: TestClient, **fields: str) -> int:
    """Post the sign-in form (with its token) and return the status; on success the client
    sends the session's CSRF token with every later request."""
    form = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), **fields},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    if response.status_code == 303:
        landing = client.get(response.headers["location"])
        found = _CSRF.search(landing.text)
        if found:
            client.headers["X-CSRF-Token"] = found.group(1)
    return response.status_code


def post_voucher(client: TestClient, headers: dict[str, str], **voucher: Any) -> dict[str, Any]:
    """Submit one voucher through the API as ``headers``' institution; its outcome."""
    response = client.post("/v1/vouchers", json=voucher, headers=headers)
    assert response.status_code == 201, response.text
    outcome: dict[str, Any] = response.json()
    return outcome
