"""The classic BCSS web-service connector, in the domain's terms.

Existing clients (the public centres for social welfare, CPAS/OCMW, first) send an ``SSDNRequest``
document: who is calling (``AuthorizedUser``: UserID, Email, OrgUnit = enterprise number, MatrixID
= sector, MatrixSubID = institution type), the client's own ``Message`` Reference, then one
service request. The hub answers an ``SSDNReply`` with a ``ResultSummary`` (ReturnCode 0 = ok,
1 = warnings, 10000 = errors, and ``Detail`` lines) and a ticket.

The one service offered is ``OCMWCPASManageAccess`` version ``20050930``: a centre registers
(REGISTER), unregisters (UNREGISTER) or lists (LIST) a person's integration in the person
directory, the ``Purpose`` being the capacity code.

This module holds the plain data of a parsed request and of a reply, and the pure checks: does the
AuthorizedUser name the calling institution, does a birth date agree with the SSIN. Parsing and
writing the XML is an adapter's work. Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum
from typing import Final

from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import InvalidInput
from carrefour.domain.identifiers import parse_niss

__all__ = [
    "AUTHOR",
    "MANAGE_ACCESS",
    "MANAGE_ACCESS_VERSION",
    "AuthorizedUser",
    "Detail",
    "InvalidDocument",
    "ManageAccess",
    "ManageAccessAction",
    "ProofOfAuthentication",
    "QueryRegister",
    "Registration",
    "ReturnCode",
    "Severity",
    "SsdnReply",
    "SsdnRequest",
    "birth_date_contradiction",
    "identity_mismatches",
    "return_code",
]

MANAGE_ACCESS: Final = "OCMWCPASManageAccess"
MANAGE_ACCESS_VERSION: Final = "20050930"

#: The ``AuthorCodeList`` of the reason codes the hub itself sets. [assumption] the real BCSS
#: names its own list differently; the codes are the hub's stable problem codes.
AUTHOR: Final = "CARREFOUR"


class ReturnCode(IntEnum):
    OK = 0
    WARNING = 1
    ERROR = 10000


class Severity(StrEnum):
    INFORMATION = "INFORMATION"
    WARNING = "WARNING"
    ERROR = "ERROR"


class ManageAccessAction(StrEnum):
    REGISTER = "REGISTER"
    UNREGISTER = "UNREGISTER"
    LIST = "LIST"


class QueryRegister(StrEnum):
    """Where a LIST looks: PRIMARY = the hub's own directory (the caller's lines), SECONDARY =
    the caller's sector (every centre's lines), ALL = both."""

    PRIMARY = "PRIMARY"
    SECONDARY = "SECONDARY"
    ALL = "ALL"


class InvalidDocument(InvalidInput):
    """An ``xmlString`` that is not an acceptable SSDN document: ``reason`` is the reason code of
    the reply (``invalid-document``, ``not-ssdn-request``, ...), ``element`` the element at
    fault."""

    code = "invalid-document"
    title = "Invalid SSDN document"

    def __init__(self, detail: str, *, reason: str, element: str | None = None) -> None:
        super().__init__(detail, reason=reason, element=element)
        self.reason = reason
        self.element = element


@dataclass(frozen=True, slots=True)
class AuthorizedUser:
    user_id: str
    email: str
    org_unit: str | None
    matrix_id: int
    matrix_sub_id: int | None


@dataclass(frozen=True, slots=True)
class ProofOfAuthentication:
    sis_card_number: str | None = None
    identity_card_number: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    birth_date: str | None = None
    """As written: ``yyyy-mm-dd``, ``yyyy-mm-00`` or ``yyyy-00-00``."""

    @property
    def given(self) -> bool:
        return bool(self.sis_card_number or self.identity_card_number or self.last_name)


@dataclass(frozen=True, slots=True)
class ManageAccess:
    """An ``OCMWCPASManageAccess`` request."""

    ssin: str
    purpose: int | None
    begin: date
    end: date | None
    action: ManageAccessAction
    sector: int | None
    query_register: QueryRegister | None
    proof: ProofOfAuthentication

    @property
    def capacity(self) -> str | None:
        """The Purpose as a capacity code of the person directory (``"002"``)."""
        return None if self.purpose is None else f"{self.purpose:03d}"


@dataclass(frozen=True, slots=True)
class SsdnRequest:
    """A parsed, schema-valid ``SSDNRequest`` with its one service request."""

    user: AuthorizedUser
    reference: str | None
    time_request: str | None
    service_id: str
    version: str
    manage_access: ManageAccess | None
    """``None`` when the service request is not an ``OCMWCPASManageAccess`` one."""
    body_element: str
    """The name of the service request's document element, as sent."""


@dataclass(frozen=True, slots=True)
class Detail:
    """One ``Detail`` of a ``ResultSummary``."""

    severity: Severity
    reason_code: str
    diagnostic: str
    field_name: str | None = None
    field_value: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """One line of a ManageAccess reply: a registration of the person."""

    purpose: int
    begin: date
    end: date | None
    org_unit: str
    register: QueryRegister


@dataclass(frozen=True, slots=True)
class SsdnReply:
    """Everything an ``SSDNReply`` says; the adapter writes it as XML."""

    ticket: str
    time_receive: str
    time_response: str
    details: Sequence[Detail]
    request: SsdnRequest | None
    """The request answered (echoed); ``None`` when it could not be read."""
    registrations: Sequence[Registration] = field(default_factory=tuple)
    service_details: Sequence[Detail] = field(default_factory=tuple)
    """The service's own ``ResultSummary`` details (the envelope's are in ``details``)."""

    @property
    def return_code(self) -> ReturnCode:
        return return_code([*self.details, *self.service_details])


def return_code(details: Sequence[Detail]) -> ReturnCode:
    """10000 when a detail is an error, 1 when one is a warning, else 0."""
    severities = {d.severity for d in details}
    if Severity.ERROR in severities:
        return ReturnCode.ERROR
    if Severity.WARNING in severities:
        return ReturnCode.WARNING
    return ReturnCode.OK


def identity_mismatches(institution: Institution, user: AuthorizedUser) -> list[Detail]:
    """The AuthorizedUser's fields that do not name ``institution``: OrgUnit must be its
    enterprise number, MatrixID its sector, MatrixSubID its institution type."""
    found: list[Detail] = []
    expected: list[tuple[str, str | None, str]] = [
        ("OrgUnit", user.org_unit, institution.enterprise_number),
        ("MatrixID", str(user.matrix_id), str(institution.sector)),
        (
            "MatrixSubID",
            None if user.matrix_sub_id is None else str(user.matrix_sub_id),
            str(institution.institution_type),
        ),
    ]
    for name, given, wanted in expected:
        if given != wanted:
            found.append(
                Detail(
                    Severity.ERROR,
                    "caller-mismatch",
                    f"AuthorizedUser/{name} is {given!r} but the calling institution "
                    f"{institution.id} has {wanted!r}",
                    field_name=name,
                    field_value=given,
                )
            )
    return found


def birth_date_contradiction(ssin: str, birth_date: str) -> str | None:
    """Why a ProofOfAuthentication birth date (``yyyy-mm-dd``, ``00`` for an unknown part)
    contradicts the SSIN, or ``None`` when it agrees. Only the known parts are compared."""
    niss = parse_niss(ssin)
    year, month, day = (int(part) for part in birth_date.split("-"))
    parts = [
        ("year", year, niss.birth_year),
        ("month", month or None, niss.birth_month),
        ("day", day or None, niss.birth_day),
    ]
    for name, given, known in parts:
        if given is not None and known is not None and given != known:
            return (
                f"the birth date {birth_date} contradicts the SSIN {ssin}: "
                f"its {name} is {known}, not {given}"
            )
    return None
