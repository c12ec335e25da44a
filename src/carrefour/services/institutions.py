"""Institutions and their credentials.

A credential is ``cf_<id>_<secret>``: the id finds the stored row, the secret is kept only as
its SHA-256 (the secret has 256 bits of entropy, so a plain hash is enough) and compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import CredentialExpired, InvalidInput, Unauthenticated
from carrefour.services.unit_of_work import CredentialRecord, UnitOfWork

TOKEN_PREFIX = "cf"  # noqa: S105 - the public prefix of every credential, not a secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_credential(uow: UnitOfWork, *, institution: str, days: int | None = None) -> str:
    """A new bearer credential for ``institution``; only its hash is stored. With ``days``, it
    expires that many days from now (401 afterwards); without, it is valid until revoked."""
    known = uow.catalogue.institution(institution)
    if days is not None and days < 1:
        raise InvalidInput(f"a credential is valid for at least 1 day, not {days}", field="days")
    now = uow.clock.now()
    credential_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    uow.credentials.add(
        CredentialRecord(
            id=credential_id,
            institution_id=known.id,
            secret_hash=_hash(secret),
            created_at=now,
            revoked_at=None,
            expires_at=None if days is None else now + timedelta(days=days),
        )
    )
    uow.commit()
    return f"{TOKEN_PREFIX}_{credential_id}_{secret}"


def revoke_credentials(uow: UnitOfWork, *, institution: str) -> int:
    """Revoke every active credential of ``institution``; returns how many were revoked."""
    known = uow.catalogue.institution(institution)
    count = uow.credentials.revoke_all(known.id, uow.clock.now())
    uow.commit()
    CredentialCache.revoked()
    return count


def authenticate(uow: UnitOfWork, token: str | None) -> Institution:
    """The institution a bearer credential belongs to, or ``Unauthenticated``."""
    if not token:
        raise Unauthenticated("no credential given; send 'Authorization: Bearer <credential>'")
    prefix, _, rest = token.partition("_")
    credential_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not credential_id or not secret:
        raise Unauthenticated("the credential is not of the form cf_<id>_<secret>")
    record = uow.credentials.get(credential_id)
    if record is None or not hmac.compare_digest(record.secret_hash, _hash(secret)):
        raise Unauthenticated("the credential is not known")
    if record.revoked_at is not None:
        raise Unauthenticated(
            f"the credential was revoked on {record.revoked_at.isoformat(timespec='seconds')}"
        )
    if record.expires_at is not None and uow.clock.now() >= record.expires_at:
        raise CredentialExpired(
            f"the credential expired on {record.expires_at.isoformat(timespec='seconds')}; "
            "ask the hub for a new one"
        )
    return uow.catalogue.institution(record.institution_id)


def set_push_endpoint(uow: UnitOfWork, *, institution: str, url: str | None) -> None:
    """Register (or with ``None`` remove) the endpoint the hub pushes ``institution``'s mail to."""
    known = uow.catalogue.institution(institution)
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidInput(f"push endpoint {url!r} is not an http:// or https:// URL", url=url)
    uow.catalogue_store.set_push_endpoint(known.id, url)
    uow.commit()


# --- verified credentials, remembered a short while --------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verified:
    institution: Institution
    expires_at: datetime | None
    until: float  # time.monotonic() past which the row is read again
    epoch: int


class CredentialCache:
    """Credentials verified in the last ``seconds`` seconds, by the SHA-256 of the whole bearer
    token: a hit costs no database read and no unit of work.

    A revocation in this process (``revoke_credentials``) empties every cache at once, so the
    next request is refused; one made by another process (``carrefour institutions revoke``) is
    seen when the entry ages out, ``seconds`` at most. An expiry is checked on every hit.
    ``seconds=0`` reads the credential row on every request.
    """

    _epoch = 0
    _epoch_lock = threading.Lock()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, _Verified] = {}

    @classmethod
    def revoked(cls) -> None:
        """Forget every verified credential of every cache in this process."""
        with cls._epoch_lock:
            cls._epoch += 1

    def authenticate(
        self,
        uow_factory: Callable[[], AbstractContextManager[UnitOfWork]],
        token: str | None,
        now: datetime,
    ) -> Institution:
        """``authenticate``'s answer, from the cache when a fresh entry has it."""
        if not token or self.seconds <= 0:
            with uow_factory() as uow:
                return authenticate(uow, token)
        key = hashlib.sha256(token.encode()).hexdigest()
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry.epoch == CredentialCache._epoch
            and time.monotonic() < entry.until
            and (entry.expires_at is None or now < entry.expires_at)
        ):
            return entry.institution
        epoch = CredentialCache._epoch
        with uow_factory() as uow:
            institution = authenticate(uow, token)
            record = uow.credentials.get(token.split("_")[1])
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = _Verified(
            institution,
            record.expires_at if record is not None else None,
            time.monotonic() + self.seconds,
            epoch,
        )
        return institution
