"""The domain's error tree.

Every error carries a stable ``code`` (the last segment of the RFC 9457 problem ``type`` the API
returns), a human ``detail`` and optional ``extra`` fields that travel with it (for example the new
NISS of a replaced one). The HTTP status of each kind is chosen in one table, in the API layer.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CarrefourError(Exception):
    """Base of every error the hub reports to a caller."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = extra


class InvalidInput(CarrefourError):
    """Input that is well-formed JSON but not acceptable data."""

    code = "invalid-input"
    title = "Invalid input"


class InvalidNiss(InvalidInput):
    """A NISS that is not structurally valid. ``reason`` is one of
    ``length``, ``non-digit``, ``bad-date``, ``bad-check-digits``."""

    code = "invalid-niss"
    title = "Invalid NISS"

    def __init__(self, detail: str, *, reason: str, value: str) -> None:
        super().__init__(detail, reason=reason, value=value)
        self.reason = reason


class InvalidEnterpriseNumber(InvalidInput):
    """An enterprise (KBO/BCE) number that is not valid. ``reason`` is one of
    ``length``, ``non-digit``, ``bad-prefix``, ``bad-check-digits``."""

    code = "invalid-enterprise-number"
    title = "Invalid enterprise number"

    def __init__(self, detail: str, *, reason: str, value: str) -> None:
        super().__init__(detail, reason=reason, value=value)
        self.reason = reason


class InvalidPeriod(InvalidInput):
    """A period whose end lies before its begin, or a malformed period or quarter."""

    code = "invalid-period"
    title = "Invalid period"


class InvalidCode(InvalidInput):
    """A value outside its code list (contributor category, assimilation code, voucher kind...)."""

    code = "invalid-code"
    title = "Value not in its code list"


class InvalidPhase(InvalidInput):
    """An integration's phase that is not one of the catalogue's phases."""

    code = "invalid-phase"
    title = "Phase not in the catalogue"


class CapacityNotAllowed(InvalidInput):
    """A capacity that exists in the sector but that no deliberation lets the caller hold."""

    code = "capacity-not-allowed"
    title = "Capacity not allowed to this institution by the deliberations"


class BeginBeyondRetroactivity(InvalidPeriod):
    """An integration beginning further back than the sector's retroactivity limit."""

    code = "begin-beyond-retroactivity"
    title = "Begin date beyond the retroactivity limit"


class BeginBeforeBirth(InvalidPeriod):
    """An integration beginning before the birth date the NISS carries."""

    code = "begin-before-birth"
    title = "Begin date before the person's birth"


class UnknownInstitution(CarrefourError):
    code = "unknown-institution"
    title = "Unknown institution"


class UnknownCapacity(CarrefourError):
    """A capacity code that does not exist for the institution's sector."""

    code = "unknown-capacity"
    title = "Unknown capacity code for this sector"


class NotFound(CarrefourError):
    code = "not-found"
    title = "Not found"


class Conflict(CarrefourError):
    """A write that contradicts data already held."""

    code = "conflict"
    title = "Conflict"


class AlreadyCorrected(Conflict):
    """A second identification correction of one voucher, to another NISS than the first."""

    code = "already-corrected"
    title = "The voucher's identification was already corrected"


class PayloadTooLarge(CarrefourError):
    """A request body over the configured limit (``CARREFOUR_MAX_UPLOAD_BYTES``)."""

    code = "payload-too-large"
    title = "Request body too large"


class OverlappingIntegration(Conflict):
    code = "overlapping-integration"
    title = "Overlapping integration"


class NissReplaced(Conflict):
    """The NISS was replaced by another one; ``new_niss`` names it."""

    code = "niss-replaced"
    title = "NISS replaced"

    def __init__(self, detail: str, *, old_niss: str, new_niss: str) -> None:
        super().__init__(detail, old_niss=old_niss, new_niss=new_niss)
        self.new_niss = new_niss


class Unauthenticated(CarrefourError):
    code = "unauthenticated"
    title = "Missing, invalid or revoked credential"


class CredentialExpired(Unauthenticated):
    code = "credential-expired"
    title = "The credential expired"


class UnknownCertificate(Unauthenticated):
    """A client certificate the hub does not map to an institution (mutual TLS)."""

    code = "unknown-certificate"
    title = "The client certificate is not registered for any institution"


class NotAuthorised(CarrefourError):
    """Refused by the deliberations. ``reason_code`` is one of the ``deliberations.ReasonCode``
    values (``not-authorised``, ``not-integrated``, ``phase-too-low``)."""

    code = "not-authorised"
    title = "Not authorised by the deliberations"

    def __init__(self, detail: str, *, reason_code: str, status_code: str, **extra: Any) -> None:
        super().__init__(detail, reason_code=reason_code, status_code=status_code, **extra)
        self.reason_code = reason_code


class InvalidBatch(InvalidInput):
    """A batch file that is unusable as a whole: ``reason`` is one of ``encoding``, ``header``,
    ``trailer``, ``count-mismatch``, ``empty``, ``unknown-format``; nothing of it is routed."""

    code = "invalid-batch"
    title = "Unusable batch file"

    def __init__(self, detail: str, *, reason: str, line: int | None = None, **extra: Any) -> None:
        super().__init__(detail, reason=reason, line=line, **extra)
        self.reason = reason


class SchemaNotReady(CarrefourError):
    """The database has no schema, or an older one, than this version of the hub needs."""

    code = "schema-not-ready"
    title = "The database needs an upgrade"


# --- INAMI's cell and L410 through the network ------------------------------------------------


class NotHolder(NotAuthorised):
    """A correction of a voucher the caller neither received nor holds the paper of."""

    code = "not-holder"
    title = "The caller neither received this voucher nor holds its paper"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, reason_code="not-authorised", status_code="MSG00013", **extra)


class NotAddressee(NotAuthorised):
    """An answer from an institution the request was not sent to."""

    code = "not-addressee"
    title = "The request was not sent to this institution"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, reason_code="not-authorised", status_code="MSG00013", **extra)


class NotAffiliate(NotAuthorised):
    """A CAS's L410 answer for a person who is not its affiliate during the quarter (RGTI)."""

    code = "not-affiliate"
    title = "The person is not this CAS's affiliate during the quarter"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, reason_code="not-authorised", status_code="MSG00013", **extra)


class DocumentTooLarge(InvalidInput):
    code = "document-too-large"
    title = "Document over the size limit"


class UnsupportedDocumentType(InvalidInput):
    """A document that is not one of the accepted types (read from its first bytes)."""

    code = "unsupported-document-type"
    title = "Document type not accepted"
