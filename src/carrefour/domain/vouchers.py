"""Contribution vouchers (form A908): what opens a person's right to health care and indemnities.

The institutions that collect contributions or withhold them, and those that pay a replacement
income, tell the person's mutuality electronically what it needs to open the right to the
compulsory health-care and indemnity insurance (domain.md section 5). One **kind** of voucher per
sender:

==========================  ==============================  ===========================  =========
kind                        sender (sector/type)            period                        example
==========================  ==============================  ===========================  =========
``employee``                ONSS (12/0)                     a quarter ``YYYYQn``          2025Q1
``self-employed``           INASTI (15/0) or a CAS (15/1)   a calendar year ``YYYY``      2024
``unemployment``            ONEm (18/0)                     a quarter ``YYYYQn``          2025Q1
``work-accident``           Fedris (1/0 or 6/0)             the incapacity period         see below
``occupational-disease``    Fedris (1/0 or 6/0)             the incapacity period         see below
``pension``                 the pension cadastre (22/0)     a month ``YYYY-MM``           2025-03
==========================  ==============================  ===========================  =========

The incapacity period of a Fedris voucher is written ``YYYY-MM-DD/YYYY-MM-DD`` (both days
included). Pension vouchers never come straight from the SFP, INASTI or a pension payer (51/x):
they submit them to the pension cadastre, which forwards them (``check_pension_submission``).

Every voucher carries the **insurability holder codes** CT1 and CT2 (*codes titulaire*, 3 digits
each). [assumption] A CT1 starting with 4 denotes the self-employed regime: a ``self-employed``
voucher requires one, every other kind refuses one. CT2 may be any 3 digits; 460 and 461 (without
and with increased reimbursement) are the common values.

``parse_voucher`` validates a voucher as the API and the batch files receive it and returns a
``Voucher`` with normalised values; it raises the domain error of the first problem found, in
this order: the object itself, ``kind``, unknown fields, missing fields (``null`` counts as
missing), ``niss``, ``period``, ``ct1``, ``ct2``, ``reference``, then the kind's own fields in
the order of ``KIND_FIELDS``. Every error carries an extra ``field`` naming the offending field
(``None`` when the whole voucher is at fault).
Institution ids inside a voucher (``cas``, ``payment_body``, ``pension_payer``) are checked only
for their shape here; the service layer checks them against the catalogue.

Batch files hold hundreds of thousands of vouchers, nearly all written canonically (plain NISS
and enterprise numbers, no spaces). ``CanonicalVouchers`` builds those with cheap checks and
declines anything else, which then goes through ``parse_voucher``: the same vouchers, the same
refusals and messages, a fraction of the cost.

Standard library only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeVar, cast

from carrefour.domain.catalogue import Institution
from carrefour.domain.deliberations import STATUS_CODES, ReasonCode
from carrefour.domain.errors import (
    CarrefourError,
    InvalidCode,
    InvalidInput,
    InvalidPeriod,
    NotAuthorised,
)
from carrefour.domain.identifiers import (
    format_niss,
    is_canonical_enterprise_number,
    is_canonical_niss,
    parse_enterprise_number,
    parse_niss,
)
from carrefour.domain.periods import Period, Quarter, parse_date, parse_quarter

__all__ = [
    "COMMON_FIELDS",
    "CONTRIBUTOR_CATEGORIES",
    "FIELD_LABELS",
    "HEALTH_CARE_CONTRIBUTION_RATE",
    "KIND_FIELDS",
    "KIND_LABELS",
    "MAX_AMOUNT",
    "PENSION_SUBMITTERS",
    "QUARTER_STATUSES",
    "REFERENCE_MAX_LENGTH",
    "SELF_EMPLOYED_CT1_PREFIX",
    "WORKING_DAYS_PER_WEEK",
    "CanonicalVouchers",
    "EmployeeFields",
    "Voucher",
    "VoucherKind",
    "allowed_senders",
    "check_pension_submission",
    "check_sender",
    "expected_withholding",
    "paper_fields",
    "parse_voucher",
    "quarter_max_days",
]


class VoucherKind(StrEnum):
    EMPLOYEE = "employee"
    SELF_EMPLOYED = "self-employed"
    UNEMPLOYMENT = "unemployment"
    WORK_ACCIDENT = "work-accident"
    OCCUPATIONAL_DISEASE = "occupational-disease"
    PENSION = "pension"


# --- constants an operator may replace ---------------------------------------------------------

#: The health-care contribution withheld on pensions: 3.55 % of the gross pension.
#: A pension voucher's ``health_withholding`` must equal ``round(gross * rate, 2)`` within 0.01.
#: [assumption] The legal exemption threshold and the reduced withholding near it are not
#: modelled: every pension voucher is checked against the full rate.
HEALTH_CARE_CONTRIBUTION_RATE: Final = Decimal("0.0355")

#: How far ``health_withholding`` may lie from the computed 3.55 %, in euros.
WITHHOLDING_TOLERANCE: Final = Decimal("0.01")

#: [assumption] The maximum number of days of a quarter follows the 6-day week regime that the
#: social-security declarations count in: every day of the quarter except Sundays.
WORKING_DAYS_PER_WEEK: Final = 6
_SUNDAY: Final = 6  # date.weekday() of a Sunday

#: [assumption] A CT1 code starting with this digit denotes the self-employed regime.
SELF_EMPLOYED_CT1_PREFIX: Final = "4"

#: The sender's own reference: at most this many characters.
REFERENCE_MAX_LENGTH: Final = 40
#: A Fedris case number: at most this many characters.
CASE_NUMBER_MAX_LENGTH: Final = 20
#: An institution id inside a voucher (a catalogue slug): at most this many characters.
INSTITUTION_ID_MAX_LENGTH: Final = 30
#: The largest amount (euros) a pension voucher may carry.
MAX_AMOUNT: Final = Decimal("99999999.99")
#: The precision kept of a working-time fraction (decimal places).
FRACTION_DECIMALS: Final = 6

#: Contributor categories ("code cotisant"); P and S are [assumption] (see the catalogue).
CONTRIBUTOR_CATEGORIES: Final = ("A", "D", "E", "F", "H", "P", "S")

#: The state of a self-employed person's contributions for one quarter of the year.
QUARTER_STATUSES: Final = ("in-order", "regularised", "exempted", "not-in-order")

#: The kind-specific fields of each kind, in the order they are validated and shown.
KIND_FIELDS: Final[Mapping[VoucherKind, tuple[str, ...]]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: ("employer", "days_worked", "hours_worked", "working_time_fraction"),
        VoucherKind.SELF_EMPLOYED: ("cas", "contributor_category", "quarters"),
        VoucherKind.UNEMPLOYMENT: ("compensated_days", "payment_body"),
        VoucherKind.WORK_ACCIDENT: ("days", "rate", "case_number"),
        VoucherKind.OCCUPATIONAL_DISEASE: ("days", "rate", "case_number"),
        VoucherKind.PENSION: ("gross_pension", "health_withholding", "pension_payer"),
    }
)

#: The fields every voucher carries, in the order of ``Voucher.payload``.
COMMON_FIELDS: Final = ("kind", "niss", "period", "ct1", "ct2", "reference")

_Pair = tuple[int, int | None]

_SENDERS: Final[Mapping[VoucherKind, tuple[_Pair, ...]]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: ((12, 0),),
        VoucherKind.SELF_EMPLOYED: ((15, 0), (15, 1)),
        VoucherKind.UNEMPLOYMENT: ((18, 0),),
        # Fedris has one catalogue entry per sector (1/0 and 6/0); either may send both kinds.
        VoucherKind.WORK_ACCIDENT: ((1, 0), (6, 0)),
        VoucherKind.OCCUPATIONAL_DISEASE: ((1, 0), (6, 0)),
        VoucherKind.PENSION: ((22, 0),),
    }
)

#: Who may submit a pension voucher to the pension cadastre: SFP, INASTI and the pension payers.
PENSION_SUBMITTERS: Final[tuple[_Pair, ...]] = ((5, 0), (15, 0), (51, None))

_SENDER_NAMES: Final[Mapping[_Pair, str]] = MappingProxyType(
    {
        (12, 0): "ONSS (12/0)",
        (15, 0): "INASTI (15/0)",
        (15, 1): "a CAS (15/1)",
        (18, 0): "ONEm (18/0)",
        (1, 0): "Fedris (1/0)",
        (6, 0): "Fedris (6/0)",
        (22, 0): "the pension cadastre (22/0)",
        (5, 0): "SFP (5/0)",
        (51, None): "a pension payer (51/*)",
    }
)

# --- labels for the bilingual paper voucher ----------------------------------------------------

#: (French, Dutch) label of every field a voucher can carry.
FIELD_LABELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "kind": ("Type de bon de cotisation", "Soort bijdragebon"),
        "niss": ("NISS", "INSZ"),
        "period": ("Période de référence", "Referteperiode"),
        "ct1": ("Code titulaire 1 (CT1)", "Code gerechtigde 1 (CG1)"),
        "ct2": ("Code titulaire 2 (CT2)", "Code gerechtigde 2 (CG2)"),
        "reference": ("Référence de l'expéditeur", "Referentie van de afzender"),
        "employer": ("Employeur (numéro d'entreprise)", "Werkgever (ondernemingsnummer)"),
        "days_worked": ("Jours de travail", "Arbeidsdagen"),
        "hours_worked": ("Heures de travail", "Arbeidsuren"),
        "working_time_fraction": ("Fraction d'occupation", "Tewerkstellingsbreuk"),
        "cas": ("Caisse d'assurances sociales", "Sociaal verzekeringsfonds"),
        "contributor_category": ("Catégorie de cotisant", "Categorie van bijdrageplichtige"),
        "quarters": ("Cotisations par trimestre", "Bijdragen per kwartaal"),
        "compensated_days": ("Jours indemnisés", "Vergoede dagen"),
        "payment_body": ("Organisme de paiement", "Uitbetalingsinstelling"),
        "days": ("Jours d'incapacité", "Dagen arbeidsongeschiktheid"),
        "rate": ("Taux d'incapacité", "Graad van arbeidsongeschiktheid"),
        "case_number": ("Numéro de dossier", "Dossiernummer"),
        "gross_pension": ("Pension brute", "Brutopensioen"),
        "health_withholding": (
            "Retenue soins de santé (3,55 %)",
            "Inhouding geneeskundige verzorging (3,55 %)",
        ),
        "pension_payer": ("Débiteur de la pension", "Pensioenuitbetaler"),
    }
)

#: (French, Dutch) name of each kind.
KIND_LABELS: Final[Mapping[VoucherKind, tuple[str, str]]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: ("travailleur salarié", "werknemer"),
        VoucherKind.SELF_EMPLOYED: ("travailleur indépendant", "zelfstandige"),
        VoucherKind.UNEMPLOYMENT: ("chômage", "werkloosheid"),
        VoucherKind.WORK_ACCIDENT: ("accident du travail", "arbeidsongeval"),
        VoucherKind.OCCUPATIONAL_DISEASE: ("maladie professionnelle", "beroepsziekte"),
        VoucherKind.PENSION: ("pension", "pensioen"),
    }
)

_STATUS_LABELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "in-order": ("en ordre", "in orde"),
        "regularised": ("régularisé", "geregulariseerd"),
        "exempted": ("dispensé", "vrijgesteld"),
        "not-in-order": ("pas en ordre", "niet in orde"),
    }
)

_ARTICLES: Final[Mapping[VoucherKind, str]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: "an employee voucher",
        VoucherKind.SELF_EMPLOYED: "a self-employed voucher",
        VoucherKind.UNEMPLOYMENT: "an unemployment voucher",
        VoucherKind.WORK_ACCIDENT: "a work-accident voucher",
        VoucherKind.OCCUPATIONAL_DISEASE: "an occupational-disease voucher",
        VoucherKind.PENSION: "a pension voucher",
    }
)

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DECIMAL_TEXT = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_FRACTION_TEXT = re.compile(r"^([0-9]+)\s*/\s*([0-9]+)$")
_QUARTER_TEXT = re.compile(r"^[0-9]{4}-?Q[0-9]$", re.IGNORECASE)
_YEAR_TEXT = re.compile(r"^([0-9]{4})$")
_MONTH_TEXT = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_RANGE_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}/(?:[0-9]{4}-[0-9]{2}-[0-9]{2})?$")
_CENT = Decimal("0.01")
#: Unicode categories refused in free text: controls, format characters, surrogates, private
#: use, unassigned, line and paragraph separators (they would break a fixed-width line).
_UNWRITABLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


# --- the voucher -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Voucher:
    """A validated contribution voucher. Build it with ``parse_voucher`` (or, for canonical
    batch lines, ``CanonicalVouchers``).

    ``period_label`` is the period as written, normalised (``2025Q1``, ``2024``, ``2025-03``,
    ``2025-01-01/2025-02-28``); ``period`` the same as closed dates. ``details`` holds the
    kind's own fields (``KIND_FIELDS``), normalised and JSON-able: enterprise numbers as 10
    digits, fractions, hours and rates as floats, amounts as strings with 2 decimals
    (``"1234.56"``), the self-employed quarters as a tuple of 4 statuses.

    ``plain_payload`` is ``payload()`` made once, its keys in sorted order, when the voucher was
    built by ``CanonicalVouchers`` and every value is plain JSON: a string, an integer, null, or
    a float from 1e-4 to below 1e16 (or zero), which every JSON encoder writes the same way, with
    no exponent. It is ``None`` otherwise (ask ``payload()``), and is not compared.
    """

    kind: VoucherKind
    niss: str
    period_label: str
    period: Period
    ct1: str
    ct2: str
    details: Mapping[str, Any]
    reference: str | None
    plain_payload: Mapping[str, Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def payload(self) -> dict[str, Any]:
        """The voucher as JSON: the common fields, then the kind's own; ``parse_voucher`` of it
        gives the same voucher back."""
        payload: dict[str, Any] = {
            "kind": self.kind.value,
            "niss": self.niss,
            "period": self.period_label,
            "ct1": self.ct1,
            "ct2": self.ct2,
            "reference": self.reference,
        }
        for name, value in self.details.items():
            payload[name] = list(value) if isinstance(value, tuple) else value
        return payload


class _VoucherSlots:
    """A ``Voucher``'s slots without its frozen ``__setattr__``: a voucher of
    validated values is filled here by plain attribute stores, then made a ``Voucher`` by
    assigning its ``__class__`` (Python allows it between classes of the same slots)."""

    __slots__ = Voucher.__slots__


def _new_voucher(
    kind: VoucherKind,
    niss: str,
    period_label: str,
    period: Period,
    ct1: str,
    ct2: str,
    details: Mapping[str, Any],
    reference: str | None,
    plain_payload: Mapping[str, Any] | None = None,
) -> Voucher:
    """``Voucher(...)`` of already validated values, its slots filled directly
    (``_VoucherSlots``): the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per
    field) is most of the cost of a voucher in a batch of 100,000."""
    voucher: Any = object.__new__(_VoucherSlots)
    voucher.kind = kind
    voucher.niss = niss
    voucher.period_label = period_label
    voucher.period = period
    voucher.ct1 = ct1
    voucher.ct2 = ct2
    voucher.details = details
    voucher.reference = reference
    voucher.plain_payload = plain_payload
    voucher.__class__ = Voucher
    return cast(Voucher, voucher)


@functools.lru_cache(maxsize=256)
def quarter_max_days(quarter: Quarter) -> int:
    """The most days a person can work (or be compensated) in a quarter.

    [assumption] The 6-day week regime (``WORKING_DAYS_PER_WEEK``): every day of the quarter
    except Sundays, e.g. 77 for 2025Q1.
    """
    first, last = quarter.first_day, quarter.last_day
    total = (last - first).days + 1
    first_sunday = first + timedelta(days=(_SUNDAY - first.weekday()) % 7)
    sundays = (last - first_sunday).days // 7 + 1  # a quarter always holds a Sunday
    return total - sundays


def allowed_senders(kind: VoucherKind) -> tuple[tuple[int, int | None], ...]:
    """The (sector, institution type) pairs that may send this kind to the hub; ``None`` = any
    type of the sector."""
    return _SENDERS[kind]


def _matches(institution: Institution, pairs: tuple[_Pair, ...]) -> bool:
    return any(
        institution.sector == sector and (kind is None or institution.institution_type == kind)
        for sector, kind in pairs
    )


def _pair_names(pairs: tuple[_Pair, ...]) -> str:
    return ", ".join(_SENDER_NAMES.get(pair, f"{pair[0]}/{pair[1]}") for pair in pairs)


def _refusal(detail: str, **extra: Any) -> NotAuthorised:
    reason = ReasonCode.NOT_AUTHORISED
    return NotAuthorised(
        detail, reason_code=reason.value, status_code=STATUS_CODES[reason], **extra
    )


def check_sender(voucher: Voucher, sender: Institution) -> None:
    """Refuse (``NotAuthorised``, status ``MSG00013``) a sender that may not send this kind.

    The SFP, INASTI and the pension payers may not send a pension voucher to the hub directly:
    pension vouchers go through the pension cadastre.
    """
    allowed = allowed_senders(voucher.kind)
    if _matches(sender, allowed):
        return
    where = f"{sender.id} ({sender.sector}/{sender.institution_type})"
    if voucher.kind is VoucherKind.PENSION and _matches(sender, PENSION_SUBMITTERS):
        detail = (
            f"{where} may not send a pension voucher to the hub directly: pension vouchers go "
            "through the pension cadastre, which forwards them to the mutualities; submit it "
            "to the pension cadastre"
        )
    else:
        detail = (
            f"{where} may not send {_ARTICLES[voucher.kind]}; "
            f"allowed senders: {_pair_names(allowed)}"
        )
    raise _refusal(detail, kind=voucher.kind.value, sender=sender.id, niss=voucher.niss)


def check_pension_submission(sender: Institution) -> None:
    """Refuse (``NotAuthorised``) an institution that may not submit a pension voucher to the
    pension cadastre: only the SFP (5/0), INASTI (15/0) and the pension payers (51/*) may."""
    if _matches(sender, PENSION_SUBMITTERS):
        return
    raise _refusal(
        f"{sender.id} ({sender.sector}/{sender.institution_type}) may not submit a pension "
        f"voucher to the pension cadastre; allowed: {_pair_names(PENSION_SUBMITTERS)}",
        kind=VoucherKind.PENSION.value,
        sender=sender.id,
    )


# --- parsing -----------------------------------------------------------------------------------


def _with_field(error: CarrefourError, field: str | None) -> CarrefourError:
    error.extra.setdefault("field", field)
    return error


def _missing(name: str, kind: VoucherKind) -> InvalidInput:
    return InvalidInput(f"missing field {name!r} for {_ARTICLES[kind]}", field=name)


def _type_error(name: str, expected: str, value: Any) -> InvalidInput:
    return InvalidInput(
        f"{name} must be {expected}, got {type(value).__name__} {value!r}", field=name
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "a string", value)
    return value


def _whole(value: Any, name: str, *, maximum: int, why: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(name, "a whole number", value)
    if value < 0:
        raise InvalidInput(f"{name} {value} is negative", field=name, value=value)
    if value > maximum:
        raise InvalidInput(
            f"{name} {value} is above the maximum of {maximum} {why}",
            field=name,
            value=value,
            maximum=maximum,
        )
    return value


def _decimal(value: Any, name: str, *, allow_text: bool) -> Decimal:
    """A finite number >= 0 with at most 2 decimals."""
    expected = "a number >= 0 with at most 2 decimals"
    if isinstance(value, str) and allow_text:
        if not _DECIMAL_TEXT.match(value.strip()):
            raise InvalidInput(f"{name} {value!r} is not {expected}", field=name, value=value)
        number = Decimal(value.strip())
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif _is_number(value):
        number = Decimal(value)
    else:
        raise _type_error(name, expected + (", or a string" if allow_text else ""), value)
    if not number.is_finite():
        raise InvalidInput(f"{name} {value!r} is not {expected}", field=name, value=str(value))
    if number < 0:
        raise InvalidInput(f"{name} {value} is negative", field=name, value=str(value))
    if number > MAX_AMOUNT:
        raise InvalidInput(
            f"{name} {value} is above the maximum of {MAX_AMOUNT}",
            field=name,
            value=str(value),
            maximum=str(MAX_AMOUNT),
        )
    if number.quantize(_CENT) != number:
        raise InvalidInput(f"{name} {value} has more than 2 decimals", field=name, value=str(value))
    return number


def _fraction(value: Any, name: str) -> float:
    expected = "a number above 0 and at most 1, or a fraction like '19/38'"
    if isinstance(value, str):
        text = value.strip()
        fraction_match = _FRACTION_TEXT.match(text)
        if fraction_match:
            numerator, denominator = int(fraction_match[1]), int(fraction_match[2])
            if denominator == 0:
                raise InvalidInput(f"{name} {value!r} divides by 0", field=name, value=value)
            number = numerator / denominator
        elif _DECIMAL_TEXT.match(text):
            number = float(text)
        else:
            raise InvalidInput(f"{name} {value!r} is not {expected}", field=name, value=value)
    elif _is_number(value):
        number = float(value)
    else:
        raise _type_error(name, expected, value)
    rounded = round(number, FRACTION_DECIMALS)
    if not (number > 0 and rounded > 0 and number <= 1):  # also refuses NaN
        raise InvalidInput(
            f"{name} {value!r} is not above 0 and at most 1", field=name, value=str(value)
        )
    return rounded


def _slug(value: Any, name: str) -> str:
    text = _text(value, name).strip()
    if not _SLUG.match(text) or len(text) > INSTITUTION_ID_MAX_LENGTH:
        raise InvalidInput(
            f"{name} {value!r} is not an institution id (a lowercase slug such as 'cas-acerta', "
            f"at most {INSTITUTION_ID_MAX_LENGTH} characters)",
            field=name,
            value=value,
        )
    return text


def _free_text(value: Any, name: str, *, max_length: int) -> str:
    text = _text(value, name).strip()
    if len(text) > max_length:
        raise InvalidInput(
            f"{name} has {len(text)} characters, at most {max_length} are allowed",
            field=name,
            maximum=max_length,
        )
    if any(unicodedata.category(c) in _UNWRITABLE for c in text):
        raise InvalidInput(
            f"{name} {value!r} contains control characters or line breaks", field=name
        )
    return text


# period shapes


def _quarter_period(text: str) -> tuple[str, Period]:
    quarter = parse_quarter(text)
    return str(quarter), Period.of_quarter(quarter)


def _year_period(text: str) -> tuple[str, Period]:
    year = int(text)
    return f"{year:04d}", Period(date(year, 1, 1), date(year, 12, 31))


def _month_period(text: str) -> tuple[str, Period]:
    year, month = int(text[:4]), int(text[5:7])
    if not 1 <= month <= 12:
        raise InvalidPeriod(f"{text!r}: month {text[5:7]} is not between 01 and 12")
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return f"{year:04d}-{month:02d}", Period(first, following - timedelta(days=1))


def _range_period(text: str) -> tuple[str, Period]:
    begin_text, _, end_text = text.partition("/")
    if not end_text:
        raise InvalidPeriod(
            f"{text!r} has no end: the incapacity period is closed, YYYY-MM-DD/YYYY-MM-DD"
        )
    begin, end = parse_date(begin_text), parse_date(end_text)
    return f"{begin.isoformat()}/{end.isoformat()}", Period(begin, end)


_Shape = tuple[str, re.Pattern[str], str, Callable[[str], tuple[str, Period]]]
_QUARTER_SHAPE: Final[_Shape] = ("a quarter YYYYQn", _QUARTER_TEXT, "2025Q1", _quarter_period)
_YEAR_SHAPE: Final[_Shape] = ("a calendar year YYYY", _YEAR_TEXT, "2024", _year_period)
_MONTH_SHAPE: Final[_Shape] = ("a month YYYY-MM", _MONTH_TEXT, "2025-03", _month_period)
_RANGE_SHAPE: Final[_Shape] = (
    "a period YYYY-MM-DD/YYYY-MM-DD",
    _RANGE_TEXT,
    "2025-01-01/2025-02-28",
    _range_period,
)
_SHAPES: Final = (_QUARTER_SHAPE, _YEAR_SHAPE, _MONTH_SHAPE, _RANGE_SHAPE)
_KIND_SHAPE: Final[Mapping[VoucherKind, _Shape]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: _QUARTER_SHAPE,
        VoucherKind.SELF_EMPLOYED: _YEAR_SHAPE,
        VoucherKind.UNEMPLOYMENT: _QUARTER_SHAPE,
        VoucherKind.WORK_ACCIDENT: _RANGE_SHAPE,
        VoucherKind.OCCUPATIONAL_DISEASE: _RANGE_SHAPE,
        VoucherKind.PENSION: _MONTH_SHAPE,
    }
)


@functools.lru_cache(maxsize=1024)
def _built_period(kind: VoucherKind, text: str) -> tuple[str, Period]:
    """The label and dates of a well-shaped period text (cached: a batch repeats its periods)."""
    return _KIND_SHAPE[kind][3](text)


def _period(value: Any, kind: VoucherKind, today: date) -> tuple[str, Period]:
    text = _text(value, "period").strip()
    description, pattern, example, _ = _KIND_SHAPE[kind]
    if not pattern.match(text):
        other = next((shape for shape in _SHAPES if shape[1].match(text)), None)
        if other is None:
            detail = f"period {value!r} is malformed; write {description}, e.g. {example}"
        else:
            detail = (
                f"period {value!r} is {other[0]}, but {_ARTICLES[kind]} covers {description}, "
                f"e.g. {example}"
            )
        raise InvalidPeriod(detail, field="period", value=value)
    try:
        label, period = _built_period(kind, text)
    except InvalidPeriod as error:
        raise _with_field(error, "period") from None
    except ValueError:  # a year 0000, a day that does not exist
        raise InvalidPeriod(
            f"period {value!r} is not a valid date; write {description}, e.g. {example}",
            field="period",
            value=value,
        ) from None
    if period.begin > today:
        raise InvalidPeriod(
            f"period {label} begins on {period.begin.isoformat()}, in the future "
            f"(today is {today.isoformat()})",
            field="period",
            value=value,
        )
    return label, period


def _is_code(text: str) -> bool:
    """A CT code as it is kept: 3 ASCII digits, nothing around them."""
    return len(text) == 3 and text.isascii() and text.isdigit()


def _ct(value: Any, name: str, kind: VoucherKind) -> str:
    text = _text(value, name).strip()
    if not _is_code(text):
        raise InvalidCode(f"{name} {value!r} is not a code of 3 digits", field=name, value=value)
    if name == "ct1":
        self_employed_regime = text.startswith(SELF_EMPLOYED_CT1_PREFIX)
        if kind is VoucherKind.SELF_EMPLOYED and not self_employed_regime:
            raise InvalidCode(
                f"ct1 {text} does not start with {SELF_EMPLOYED_CT1_PREFIX}: a self-employed "
                "voucher carries a CT1 of the self-employed regime (4xx)",
                field=name,
                value=value,
            )
        if kind is not VoucherKind.SELF_EMPLOYED and self_employed_regime:
            raise InvalidCode(
                f"ct1 {text} starts with {SELF_EMPLOYED_CT1_PREFIX}, the self-employed regime, "
                f"which {_ARTICLES[kind]} may not carry",
                field=name,
                value=value,
            )
    return text


def _hour_limit(period: Period) -> int:
    """The hours of every day of the period: the most hours an employee voucher may carry."""
    return ((period.end or period.begin) - period.begin).days * 24 + 24


def _employee(data: Mapping[str, Any], period: Period, label: str) -> dict[str, Any]:
    quarter = Quarter.of(period.begin)
    maximum = quarter_max_days(quarter)
    try:
        employer = _text(data["employer"], "employer")
        if not is_canonical_enterprise_number(employer):  # 10 plain digits are kept as they are
            employer = parse_enterprise_number(employer)
    except CarrefourError as error:
        raise _with_field(error, "employer") from None
    days = _whole(
        data["days_worked"],
        "days_worked",
        maximum=maximum,
        why=f"days in {label} (6-day week: every day but Sundays)",
    )
    hours = _decimal(data["hours_worked"], "hours_worked", allow_text=False)
    hour_limit = _hour_limit(period)
    if hours > hour_limit:
        raise InvalidInput(
            f"hours_worked {hours} is above the {hour_limit} hours of {label}",
            field="hours_worked",
            maximum=hour_limit,
        )
    return {
        "employer": employer,
        "days_worked": days,
        "hours_worked": float(hours),
        "working_time_fraction": _fraction(data["working_time_fraction"], "working_time_fraction"),
    }


def _self_employed(data: Mapping[str, Any], period: Period, label: str) -> dict[str, Any]:
    cas = _slug(data["cas"], "cas")
    category = _text(data["contributor_category"], "contributor_category").strip().upper()
    if category not in CONTRIBUTOR_CATEGORIES:
        raise InvalidCode(
            f"contributor_category {data['contributor_category']!r} is not one of "
            f"{', '.join(CONTRIBUTOR_CATEGORIES)}",
            field="contributor_category",
            value=data["contributor_category"],
            valid=list(CONTRIBUTOR_CATEGORIES),
        )
    quarters = data["quarters"]
    if not isinstance(quarters, list | tuple):
        raise _type_error("quarters", "a list of 4 quarter statuses", quarters)
    if len(quarters) != 4:
        raise InvalidInput(
            f"quarters has {len(quarters)} items; a year has 4 quarters, one status each",
            field="quarters",
        )
    statuses: list[str] = []
    for index, status in enumerate(quarters):
        if not isinstance(status, str) or status.strip() not in QUARTER_STATUSES:
            raise InvalidCode(
                f"quarters[{index}] (Q{index + 1}) {status!r} is not one of "
                f"{', '.join(QUARTER_STATUSES)}",
                field="quarters",
                index=index,
                valid=list(QUARTER_STATUSES),
            )
        statuses.append(status.strip())
    return {"cas": cas, "contributor_category": category, "quarters": tuple(statuses)}


def _unemployment(data: Mapping[str, Any], period: Period, label: str) -> dict[str, Any]:
    maximum = quarter_max_days(Quarter.of(period.begin))
    days = _whole(
        data["compensated_days"],
        "compensated_days",
        maximum=maximum,
        why=f"days in {label} (6-day week: every day but Sundays)",
    )
    return {"compensated_days": days, "payment_body": _slug(data["payment_body"], "payment_body")}


def _fedris(data: Mapping[str, Any], period: Period, label: str) -> dict[str, Any]:
    length = ((period.end or period.begin) - period.begin).days + 1  # the range is closed
    days = _whole(data["days"], "days", maximum=length, why=f"days of the period {label}")
    rate = _decimal(data["rate"], "rate", allow_text=False)
    if not 0 < rate <= 100:
        raise InvalidInput(
            f"rate {data['rate']} is not an incapacity rate above 0 and at most 100 (percent)",
            field="rate",
            value=str(data["rate"]),
        )
    case_number = _free_text(data["case_number"], "case_number", max_length=CASE_NUMBER_MAX_LENGTH)
    if not case_number:
        raise InvalidInput("case_number is empty", field="case_number")
    return {"days": days, "rate": float(rate), "case_number": case_number}


def expected_withholding(gross: Decimal) -> Decimal:
    """The 3.55 % health-care contribution on a gross pension, rounded to the cent."""
    return (gross * HEALTH_CARE_CONTRIBUTION_RATE).quantize(_CENT, rounding=ROUND_HALF_UP)


def _pension(data: Mapping[str, Any], period: Period, label: str) -> dict[str, Any]:
    gross = _decimal(data["gross_pension"], "gross_pension", allow_text=True)
    withholding = _decimal(data["health_withholding"], "health_withholding", allow_text=True)
    expected = expected_withholding(gross)
    if abs(withholding - expected) > WITHHOLDING_TOLERANCE:
        raise InvalidInput(
            f"health_withholding {withholding:.2f} is not the 3.55 % health-care contribution "
            f"on a gross pension of {gross:.2f} (expected {expected})",
            field="health_withholding",
            expected=str(expected),
        )
    return {
        "gross_pension": f"{gross:.2f}",
        "health_withholding": f"{withholding:.2f}",
        "pension_payer": _slug(data["pension_payer"], "pension_payer"),
    }


_DETAIL_PARSERS: Final[
    Mapping[VoucherKind, Callable[[Mapping[str, Any], Period, str], dict[str, Any]]]
] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: _employee,
        VoucherKind.SELF_EMPLOYED: _self_employed,
        VoucherKind.UNEMPLOYMENT: _unemployment,
        VoucherKind.WORK_ACCIDENT: _fedris,
        VoucherKind.OCCUPATIONAL_DISEASE: _fedris,
        VoucherKind.PENSION: _pension,
    }
)


def _kind(data: Mapping[str, Any]) -> VoucherKind:
    value = data.get("kind")
    if value is None:
        raise InvalidInput("missing field 'kind' (the voucher kind)", field="kind")
    kind = _KINDS.get(_text(value, "kind").strip())
    if kind is None:
        valid = [k.value for k in VoucherKind]
        raise InvalidCode(
            f"kind {value!r} is not a voucher kind; valid kinds: {', '.join(valid)}",
            field="kind",
            value=value,
            valid=valid,
        )
    return kind


_KINDS: Final[Mapping[str, VoucherKind]] = MappingProxyType({k.value: k for k in VoucherKind})
#: The fields a voucher of each kind may carry.
_ALLOWED_FIELDS: Final[Mapping[VoucherKind, frozenset[str]]] = MappingProxyType(
    {kind: frozenset(COMMON_FIELDS + own) for kind, own in KIND_FIELDS.items()}
)


def parse_voucher(data: Mapping[str, Any], *, today: date) -> Voucher:
    """Validate a voucher as JSON gives it (see the module docstring) and normalise it.

    ``today`` is the day the hub receives it: a period beginning after it is refused. Raises the
    domain error of the first problem found, with an extra ``field``.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(f"a voucher is a JSON object, got {type(data).__name__}", field=None)
    kind = _kind(data)
    own = KIND_FIELDS[kind]
    allowed = _ALLOWED_FIELDS[kind]
    for name in data:
        if name not in allowed:
            raise InvalidInput(
                f"unknown field {name!r} for {_ARTICLES[kind]}; its fields are "
                f"{', '.join(COMMON_FIELDS + own)}",
                field=str(name),
            )
    for name in ("niss", "period", "ct1", "ct2", *own):
        if data.get(name) is None:
            raise _missing(name, kind)
    try:
        niss = _text(data["niss"], "niss")
        if not is_canonical_niss(niss):  # the plain 11 digits are kept as they are
            niss = parse_niss(niss).value
    except CarrefourError as error:
        raise _with_field(error, "niss") from None
    label, period = _period(data["period"], kind, today)
    ct1 = _ct(data["ct1"], "ct1", kind)
    ct2 = _ct(data["ct2"], "ct2", kind)
    reference: str | None = None
    if data.get("reference") is not None:
        reference = (
            _free_text(data["reference"], "reference", max_length=REFERENCE_MAX_LENGTH) or None
        )
    details = _DETAIL_PARSERS[kind](data, period, label)
    return _new_voucher(kind, niss, label, period, ct1, ct2, MappingProxyType(details), reference)


class EmployeeFields(Protocol):
    """The fields of an employee voucher as a typed decoder gives them (a msgspec Struct of a
    batch line): texts as ``str``, days as ``int``, hours as ``float``, the working-time
    fraction as a ``float`` or a text such as ``"19/38"``."""

    @property
    def niss(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def ct1(self) -> str: ...
    @property
    def ct2(self) -> str: ...
    @property
    def employer(self) -> str: ...
    @property
    def days_worked(self) -> int: ...
    @property
    def hours_worked(self) -> float: ...
    @property
    def working_time_fraction(self) -> float | str: ...


#: The most periods a ``CanonicalVouchers`` keeps (a batch repeats a few quarters).
_PERIODS_KEPT: Final = 64
#: The most employers (and CT codes) a ``CanonicalVouchers`` remembers as canonical.
_VALUES_KEPT: Final = 4096

#: An employee period as ``CanonicalVouchers`` keeps it: its label, its dates, the most days
#: and the most hours a voucher of it may carry; ``()`` when ``parse_voucher`` refuses it.
_EmployeePeriod = tuple[str, Period, int, int] | tuple[()]


_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


def _remember(cache: dict[_Key, _Value], key: _Key, value: _Value, limit: int) -> _Value:
    """``value``, remembered in ``cache`` under ``key``; a full cache is emptied first (a batch
    repeats a few values: bounded memory matters more than keeping the oldest)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


class CanonicalVouchers:
    """The vouchers of a batch whose values are already as ``parse_voucher`` keeps them, built
    with cheap checks (integer mod-97 arithmetic, string predicates, a cache of the batch's
    periods) instead of the careful path's normalisation and messages.

    Each method gives the voucher ``parse_voucher`` returns for the same values (the same
    ``today``), or ``None`` when it cannot take a value as it is: not canonical (a formatted
    NISS, spaces, control characters...) or not valid. On ``None`` the caller asks
    ``parse_voucher``, which normalises the record or raises its error, so accepted records,
    refusals and messages are the careful path's.
    """

    __slots__ = ("_cents", "_codes", "_fractions", "_periods", "_today")

    def __init__(self, *, today: date) -> None:
        self._today = today
        self._periods: dict[str, _EmployeePeriod] = {}
        # Values already judged in this batch (a batch repeats its codes, employers, hours and
        # fractions): (ct1, ct2, employer) found canonical, hours found in whole cents, and
        # each fraction as written with its kept value (0.0 when refused: a fraction is above 0).
        self._codes: dict[tuple[str, str, str], bool] = {}
        self._cents: dict[float, bool] = {}
        self._fractions: dict[float | str, float] = {}

    def _canonical_codes(self, codes: tuple[str, str, str]) -> bool:
        """Whether the CT1, CT2 and employer number are as an employee voucher keeps them;
        if so they are remembered (``_remember``)."""
        ct1, ct2, employer = codes
        if not (
            _is_code(ct1)
            and ct1[0] != SELF_EMPLOYED_CT1_PREFIX
            and _is_code(ct2)
            and is_canonical_enterprise_number(employer)
        ):
            return False
        return _remember(self._codes, codes, True, _VALUES_KEPT)

    def _whole_cents(self, hours: float) -> bool:
        """Whether ``hours`` is the float nearest a number of cents; if so it is remembered."""
        if round(hours * 100) / 100 != hours:
            return False
        return _remember(self._cents, hours, True, _VALUES_KEPT)

    def _fraction(self, written: float | str) -> float:
        """The working-time fraction ``parse_voucher`` keeps of ``written``, or 0.0 when it
        would refuse it or normalise it otherwise (remembered, a bounded dict)."""
        if isinstance(written, str):
            try:
                kept = _fraction(written, "working_time_fraction")
            except CarrefourError:
                kept = 0.0
        elif not 0 < written <= 1:
            kept = 0.0
        elif written == 1 or round(written * _MILLIONTHS) / _MILLIONTHS == written:
            kept = written
        else:  # not already 6 decimals at most
            kept = max(round(written, FRACTION_DECIMALS), 0.0)
        return _remember(self._fractions, written, kept, _VALUES_KEPT)

    def _employee_period(self, text: str) -> _EmployeePeriod:
        try:
            label, period = _period(text, VoucherKind.EMPLOYEE, self._today)
        except CarrefourError:
            kept: _EmployeePeriod = ()
        else:
            days = quarter_max_days(Quarter.of(period.begin))
            kept = (label, period, days, _hour_limit(period))
        return _remember(self._periods, text, kept, _PERIODS_KEPT)

    def employee(self, fields: EmployeeFields, reference: str | None) -> Voucher | None:
        """An ``employee`` voucher of these fields (``reference`` ``None`` when the line has
        none or ``null``), or ``None``: then ask ``parse_voucher``."""
        found = self._periods.get(fields.period)
        if found is None:
            found = self._employee_period(fields.period)
        if not found:  # a period parse_voucher refuses
            return None
        label, dates, max_days, max_hours = found
        niss = fields.niss
        codes = ct1, ct2, employer = fields.ct1, fields.ct2, fields.employer
        days, hours = fields.days_worked, fields.hours_worked
        if not (
            is_canonical_niss(niss)
            and (codes in self._codes or self._canonical_codes(codes))
            and 0 <= days <= max_days
            and 0 <= hours <= max_hours
            and (hours in self._cents or self._whole_cents(hours))
        ):
            return None
        written = fields.working_time_fraction
        fraction = self._fractions.get(written)
        if fraction is None:
            fraction = self._fraction(written)
        if not fraction:  # refused
            return None
        if reference is not None:
            if reference.isascii() and reference.isprintable():
                reference = reference.strip()  # printable ASCII: only spaces to strip
                if len(reference) > REFERENCE_MAX_LENGTH:
                    return None
            else:
                try:
                    reference = _free_text(reference, "reference", max_length=REFERENCE_MAX_LENGTH)
                except CarrefourError:
                    return None
            reference = reference or None
        # Hours are 0 or at least 0.01 (whole cents) and at most a quarter's hours: plain. So is
        # the fraction, at most 1, unless it is below 1e-4 (written 1e-05 and the like).
        plain = (
            {
                "ct1": ct1,
                "ct2": ct2,
                "days_worked": days,
                "employer": employer,
                "hours_worked": hours,
                "kind": "employee",
                "niss": niss,
                "period": label,
                "reference": reference,
                "working_time_fraction": fraction,
            }
            if fraction >= _PLAIN_FLOAT_MIN
            else None
        )
        details = {
            "employer": employer,
            "days_worked": days,
            "hours_worked": hours,
            "working_time_fraction": fraction,
        }
        return _new_voucher(
            _EMPLOYEE, niss, label, dates, ct1, ct2, _read_only(details), reference, plain
        )


_MILLIONTHS: Final = 10**FRACTION_DECIMALS
#: The smallest float that JSON encoders all write without an exponent (``plain_payload``).
_PLAIN_FLOAT_MIN: Final = 1e-4
_EMPLOYEE: Final = VoucherKind.EMPLOYEE  # a module constant: an enum member costs a lookup
_read_only: Final = MappingProxyType


# --- the paper voucher -------------------------------------------------------------------------


def _belgian(number: float | str) -> str:
    """A number the Belgian way: decimal comma."""
    text = number if isinstance(number, str) else f"{number:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _paper_value(voucher: Voucher, name: str) -> str:
    if name == "kind":
        french, dutch = KIND_LABELS[voucher.kind]
        return f"{french} / {dutch}"
    if name == "niss":
        return format_niss(voucher.niss)
    if name == "period":
        end = voucher.period.end or voucher.period.begin
        return f"{voucher.period_label} ({_day(voucher.period.begin)} - {_day(end)})"
    if name == "ct1":
        return voucher.ct1
    if name == "ct2":
        return voucher.ct2
    if name == "reference":
        return voucher.reference or "-"
    value = voucher.details[name]
    if name == "employer":
        return f"{value[0:4]}.{value[4:7]}.{value[7:10]}"
    if name == "quarters":
        return "; ".join(
            f"T{index}/K{index}: {' / '.join(_STATUS_LABELS[status])}"
            for index, status in enumerate(value, start=1)
        )
    if name in ("gross_pension", "health_withholding"):
        return f"{_belgian(value)} EUR"
    if name == "rate":
        return f"{_belgian(value)} %"
    if name in ("hours_worked", "working_time_fraction"):
        return _belgian(value)
    return str(value)


def paper_fields(voucher: Voucher) -> list[tuple[str, str, str]]:
    """Every field of the voucher as (French label, Dutch label, value) for a bilingual paper
    voucher, in the order of ``Voucher.payload``: the common fields, then the kind's own."""
    return [
        (*FIELD_LABELS[name], _paper_value(voucher, name))
        for name in (*COMMON_FIELDS, *KIND_FIELDS[voucher.kind])
    ]
