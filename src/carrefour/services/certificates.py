"""Client certificates (mutual TLS): which institution a certificate stands for."""

from __future__ import annotations

from datetime import datetime

from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import InvalidInput, Unauthenticated, UnknownCertificate
from carrefour.services.institutions import authenticate
from carrefour.services.unit_of_work import ClientCertificate, UnitOfWork


def register_certificate(
    uow: UnitOfWork, *, institution: str, fingerprint: str, subject: str, not_after: datetime
) -> ClientCertificate:
    """Let the certificate with that SHA-256 ``fingerprint`` stand for ``institution`` (a
    certificate registered before for another institution now stands for this one)."""
    known = uow.catalogue.institution(institution)
    now = uow.clock.now()
    if not_after <= now:
        raise InvalidInput(
            f"the certificate {subject} expired on {not_after.isoformat(timespec='seconds')}",
            field="certificate",
        )
    record = ClientCertificate(fingerprint.lower(), known.id, subject, not_after, now)
    uow.certificates.add(record)
    uow.commit()
    return record


def authenticate_certificate(uow: UnitOfWork, fingerprint: str, token: str | None) -> Institution:
    """The institution of a client certificate the TLS layer verified. A bearer credential sent
    with it must be that institution's own."""
    record = uow.certificates.get(fingerprint.lower())
    if record is None or record.revoked_at is not None:
        raise UnknownCertificate(
            f"the client certificate (SHA-256 {fingerprint[:16]}…) is registered for no "
            "institution; register it with `carrefour institutions certificate ID FILE`",
            fingerprint=fingerprint,
        )
    institution = uow.catalogue.institution(record.institution_id)
    if token:
        other = authenticate(uow, token)
        if other.id != institution.id:
            raise Unauthenticated(
                f"the client certificate stands for {institution.id} and the credential for "
                f"{other.id}: send one institution's"
            )
    return institution
