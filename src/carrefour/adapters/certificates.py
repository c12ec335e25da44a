"""Reading a client certificate file (PEM or DER) for its registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from carrefour.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class CertificateFile:
    fingerprint: str
    subject: str
    not_after: datetime


def read_certificate(data: bytes, *, name: str) -> CertificateFile:
    """The SHA-256 fingerprint (of the DER form), RFC 4514 subject and end of validity of the
    certificate in ``data``; ``InvalidInput`` naming ``name`` when it holds none."""
    try:
        if b"-----BEGIN" in data:
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise InvalidInput(f"{name} holds no X.509 certificate: {error}", file=name) from None
    return CertificateFile(
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        subject=certificate.subject.rfc4514_string(),
        not_after=certificate.not_valid_after_utc,
    )
