"""Console users, their roles and their sessions: plain data and the rules about them.

Three roles open the console:

- ``operator``: the hub's operators; they act as the hub itself (``bcss``) and see everything.
- ``agent``: an agent of one institution (a mutuality, a social insurance fund...); they see
  exactly what the deliberations let that institution see, through the same use cases as the API.
- ``inami-cell``: an agent of INAMI's administrative cell (``inami-sca``): the case queue, the
  voucher tracking of a case, the provisional proofs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from carrefour.domain.errors import InvalidInput


class Role(StrEnum):
    OPERATOR = "operator"
    AGENT = "agent"
    INAMI_CELL = "inami-cell"


#: The institution an operator acts as, and the one an INAMI cell agent acts as.
HUB_INSTITUTION = "bcss"
INAMI_CELL_INSTITUTION = "inami-sca"

#: Languages of the console; the first is the default.
LANGUAGES = ("fr", "nl", "en")

NAME_MAX = 64
PASSWORD_MIN = 12


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    name: str
    role: Role
    institution: str
    password_hash: str
    language: str
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser. Only the SHA-256 of the session id is stored (``id_hash``); the
    CSRF token is sent back with every form the session posts."""

    id_hash: str
    user: str | None
    """The console user; ``None`` for an operator signed in with a credential of the hub."""
    role: Role
    institution: str
    language: str
    csrf: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def open_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {text!r}: one of {names}", field="role") from None


def institution_of(role: Role, institution: str | None) -> str:
    """The institution a user of ``role`` acts as: fixed for operators and the INAMI cell,
    given (and required) for an agent."""
    if role is Role.OPERATOR:
        if institution not in (None, HUB_INSTITUTION):
            raise InvalidInput(
                "an operator acts as the hub: give no institution", field="institution"
            )
        return HUB_INSTITUTION
    if role is Role.INAMI_CELL:
        if institution not in (None, INAMI_CELL_INSTITUTION):
            raise InvalidInput(
                f"an INAMI cell agent acts as {INAMI_CELL_INSTITUTION}: give no institution",
                field="institution",
            )
        return INAMI_CELL_INSTITUTION
    if not institution:
        raise InvalidInput("an agent needs --institution ID", field="institution")
    return institution


def check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > NAME_MAX or not all(c.isalnum() or c in "._-@" for c in clean):
        raise InvalidInput(
            f"a user name is 1 to {NAME_MAX} letters, digits or . _ - @", field="name"
        )
    return clean


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"a password has at least {PASSWORD_MIN} characters", field="password")
    return password


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidInput(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    return language
