"""Mutual TLS: hand the client certificate the TLS layer verified to the application.

uvicorn verifies a client certificate against ``--client-ca`` (``ssl_cert_reqs``) but does not
put it in the request scope. This protocol (the server's own, ``api.protocol``, one hook more)
reads it from the connection's TLS object and fills the ASGI TLS extension
(``scope["extensions"]["tls"]["client_cert_chain"]``, PEM), which ``api/deps`` reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from typing import Any

from carrefour.api.protocol import OneWriteProtocol


class ClientCertificateProtocol(OneWriteProtocol):
    _client_pem: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls = transport.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if isinstance(tls, ssl.SSLObject) else None
        self._client_pem = ssl.DER_cert_to_PEM_cert(der) if der else None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._client_pem is not None:
            scope: Any = self.scope
            scope["extensions"] = {
                "tls": {"client_cert_chain": [self._client_pem], "server_cert": None}
            }


def client_fingerprint(scope: Any) -> str | None:
    """The SHA-256 fingerprint (of the DER form) of the client certificate the connection
    presented, if it presented one."""
    chain = (scope.get("extensions") or {}).get("tls", {}).get("client_cert_chain") or []
    if not chain:
        return None
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(str(chain[0]))).hexdigest()
