"""HTTP push to the endpoints institutions register: retryable versus permanent errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from carrefour.services.delivery import PushResult
from carrefour.services.insurability import Exchange

# Statuses worth trying again: the endpoint is busy, down or behind a failing gateway.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class HttpPushSender:
    """POSTs the envelope as JSON with the message id as ``Idempotency-Key``."""

    def __init__(self, *, timeout_seconds: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def _post(self, url: str, body: Mapping[str, Any], *, message_id: str) -> httpx.Response:
        return self._client.post(
            url,
            content=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message_id,
                "User-Agent": "carrefour-push/1",
            },
        )

    def send(self, url: str, body: Mapping[str, Any], *, message_id: str) -> PushResult:
        try:
            response = self._post(url, body, message_id=message_id)
        except httpx.HTTPError as error:
            return PushResult(ok=False, error=f"{type(error).__name__}: {error}")
        if 200 <= response.status_code < 300:
            return PushResult(ok=True)
        return PushResult(
            ok=False,
            permanent=response.status_code not in RETRYABLE_STATUSES,
            error=f"HTTP {response.status_code} from {url}",
        )

    def exchange(self, url: str, body: Mapping[str, Any], *, message_id: str) -> Exchange:
        """POST like ``send``, and read the JSON object the endpoint answers with in the same
        exchange (a synchronous consultation), within the client's timeout."""
        try:
            response = self._post(url, body, message_id=message_id)
        except httpx.HTTPError as error:
            return Exchange(answer=None, error=f"{type(error).__name__}: {error}")
        if not 200 <= response.status_code < 300:
            return Exchange(answer=None, error=f"HTTP {response.status_code} from {url}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return Exchange(answer=None, delivered=True, error=f"no JSON object from {url}")
        return Exchange(answer=answer, delivered=True)

    def close(self) -> None:
        self._client.close()
