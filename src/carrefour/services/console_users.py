"""Console users and sessions: add, change a password, disable, list; sign in and out.

Passwords are hashed with argon2id (``argon2-cffi``, its default parameters). A session id is
256 random bits, sent to the browser once in an HttpOnly cookie and stored only as its SHA-256;
it expires after ``hours`` and is revoked on sign-out, on a password change and when the user is
disabled. Each session has its own CSRF token that every form it posts must carry. The session id
is never a credential of the API: the API only knows bearer credentials (``cf_...``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from carrefour.domain.catalogue import Institution
from carrefour.domain.console import (
    LANGUAGES,
    ConsoleSession,
    ConsoleUser,
    Role,
    check_language,
    check_name,
    check_password,
    institution_of,
)
from carrefour.domain.errors import Conflict, NotFound, Unauthenticated
from carrefour.services.operations import operator
from carrefour.services.unit_of_work import UnitOfWork

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when a name is unknown, so that an unknown name costs as long as a wrong
    password; made at the first sign-in, not when a command imports this module."""
    return _hasher.hash("not a password of anyone")


DEFAULT_SESSION_HOURS = 8.0


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a page knows about who is looking: the session, and the institution it acts as."""

    session: ConsoleSession
    institution: Institution

    @property
    def role(self) -> Role:
        return self.session.role

    @property
    def name(self) -> str:
        return self.session.user or self.institution.id

    @property
    def language(self) -> str:
        return self.session.language

    @property
    def csrf(self) -> str:
        return self.session.csrf


# --- users ----------------------------------------------------------------------------------


def add_user(
    uow: UnitOfWork,
    *,
    name: str,
    role: Role,
    password: str,
    institution: str | None = None,
    language: str = LANGUAGES[0],
) -> ConsoleUser:
    """A new console user. ``Conflict`` if the name is taken; the institution must exist."""
    clean = check_name(name)
    acting = uow.catalogue.institution(institution_of(role, institution)).id
    if uow.console.user(clean) is not None:
        raise Conflict(f"a console user {clean!r} exists already", name=clean)
    user = ConsoleUser(
        name=clean,
        role=role,
        institution=acting,
        password_hash=_hasher.hash(check_password(password)),
        language=check_language(language),
        created_at=uow.clock.now(),
    )
    uow.console.add_user(user)
    uow.commit()
    return user


def _known(uow: UnitOfWork, name: str) -> ConsoleUser:
    user = uow.console.user(name.strip())
    if user is None:
        raise NotFound(f"no console user {name!r}", name=name)
    return user


def set_password(uow: UnitOfWork, *, name: str, password: str) -> int:
    """A new password; the user's open sessions are revoked (returns how many)."""
    user = _known(uow, name)
    uow.console.update_user(user.name, password_hash=_hasher.hash(check_password(password)))
    count = uow.console.revoke_sessions_of(user.name, uow.clock.now())
    uow.commit()
    return count


def disable(uow: UnitOfWork, *, name: str) -> int:
    """The user can no longer sign in; their open sessions are revoked (returns how many)."""
    user = _known(uow, name)
    now = uow.clock.now()
    if user.disabled_at is None:
        uow.console.update_user(user.name, disabled_at=now)
    count = uow.console.revoke_sessions_of(user.name, now)
    uow.commit()
    return count


def users(uow: UnitOfWork) -> list[ConsoleUser]:
    return uow.console.users()


# --- sessions -------------------------------------------------------------------------------


def _open(
    uow: UnitOfWork,
    *,
    user: str | None,
    role: Role,
    institution: str,
    language: str,
    hours: float,
) -> str:
    session_id = secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.console.add_session(
        ConsoleSession(
            id_hash=_digest(session_id),
            user=user,
            role=role,
            institution=institution,
            language=language,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    uow.commit()
    return session_id


def sign_in(
    uow: UnitOfWork,
    *,
    name: str,
    password: str,
    hours: float = DEFAULT_SESSION_HOURS,
) -> str:
    """A new session id for a user's name and password; ``Unauthenticated`` otherwise (one
    message for an unknown name, a wrong password and a disabled user)."""
    user = uow.console.user(name.strip())
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        valid = user is not None and user.active
    except (VerificationError, InvalidHashError):
        valid = False
    if user is None or not valid:
        raise Unauthenticated("wrong user name or password, or the user is disabled")
    return _open(
        uow,
        user=user.name,
        role=user.role,
        institution=user.institution,
        language=user.language,
        hours=hours,
    )


def sign_in_with_credential(
    uow: UnitOfWork,
    *,
    token: str,
    language: str = LANGUAGES[0],
    hours: float = DEFAULT_SESSION_HOURS,
) -> str:
    """A new operator session for a bearer credential of the hub itself (``bcss``)."""
    hub = operator(uow, token=token)
    return _open(
        uow,
        user=None,
        role=Role.OPERATOR,
        institution=hub.id,
        language=check_language(language),
        hours=hours,
    )


def signed_in(uow: UnitOfWork, *, session_id: str | None) -> SignedIn:
    """Who an open session is; ``Unauthenticated`` for a missing, unknown, expired or revoked one.
    A session whose user was disabled since is refused as well."""
    if not session_id:
        raise Unauthenticated("not signed in")
    session = uow.console.session(_digest(session_id))
    if session is None or not session.open_at(uow.clock.now()):
        raise Unauthenticated("the session expired or was closed: sign in again")
    if session.user is not None:
        user = uow.console.user(session.user)
        if user is None or not user.active:
            raise Unauthenticated("the user is disabled")
    return SignedIn(session, uow.catalogue.institution(session.institution))


def check_csrf(session: ConsoleSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, token or "")


def sign_out(uow: UnitOfWork, *, session_id: str | None) -> None:
    if session_id:
        uow.console.revoke_session(_digest(session_id), uow.clock.now())
        uow.commit()


def set_language(uow: UnitOfWork, *, who: SignedIn, language: str) -> None:
    """The language of the session, and the user's own from now on."""
    check_language(language)
    uow.console.set_session_language(who.session.id_hash, language)
    if who.session.user is not None:
        uow.console.update_user(who.session.user, language=language)
    uow.commit()
