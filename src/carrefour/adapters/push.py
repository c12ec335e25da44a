"""HTTP push to the endpoints institutions register: retryable versus permanent errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from carrefour.services.delivery import PushResult

# Statuses worth trying again: the endpoint is busy, down or behind a failing gateway.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class HttpPushSender:
    """POSTs the envelope as JSON with the message id as ``Idempotency-Key``."""

    def __init__(self, *, timeout_seconds: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def send(self, url: str, body: Mapping[str, Any], *, message_id: str) -> PushResult:
        try:
            response = self._client.post(
                url,
                content=json.dumps(body).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Idempotency-Key": message_id,
                    "User-Agent": "carrefour-push/1",
                },
            )
        except httpx.HTTPError as error:
            return PushResult(ok=False, error=f"{type(error).__name__}: {error}")
        if 200 <= response.status_code < 300:
            return PushResult(ok=True)
        return PushResult(
            ok=False,
            permanent=response.status_code not in RETRYABLE_STATUSES,
            error=f"HTTP {response.status_code} from {url}",
        )

    def close(self) -> None:
        self._client.close()
