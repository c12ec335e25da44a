"""The two identifiers messages carry: a person's NISS and an institution's enterprise number.

**NISS** (*numéro d'identification à la sécurité sociale*, Dutch INSZ, English SSIN) identifies a
person in Belgian social security. It has 11 digits ``YYMMDDSSSCC``:

* ``YYMMDD`` is the birth date. The century is not written: it is revealed by the check digits.
  A month or day ``00`` means it is unknown.
* ``SSS`` is a sequence number among people born the same day: odd for men, even for women.
* ``CC`` are check digits: ``97 - (N mod 97)`` where ``N`` is the first nine digits for a birth
  before 2000, and ``2`` followed by the first nine digits for a birth from 2000 on. At most one of
  the two variants matches, which tells the century.

A NISS is either a **National Register** number (``NissKind.REGISTER``) or a **BIS number**
(``NissKind.BIS``), given to people who are not in the National Register (cross-border workers,
for example). A BIS number adds 20 to the month when the sex was unknown when it was assigned and 40
when it was known. Numbers are displayed ``YY.MM.DD-SSS.CC``.

The **enterprise number** (*numéro d'entreprise*, KBO/BCE number) identifies a legal entity or a
sole proprietorship in the Crossroads Bank for Enterprises. It has 10 digits: the first is 0 or 1,
and the last two are ``97 - (first eight mod 97)``. Numbers of *establishment units* (the places
where an enterprise works) have the same shape but start with 2 to 8; they are not enterprise
numbers. Older 9-digit numbers are the same number without the leading 0. Enterprise numbers are
displayed ``0403.019.261`` and sometimes written with the VAT prefix ``BE``.

Standard library only.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from carrefour.domain.errors import InvalidEnterpriseNumber, InvalidNiss

__all__ = [
    "Niss",
    "NissKind",
    "Sex",
    "build_enterprise_number",
    "build_niss",
    "enterprise_check_digits",
    "format_enterprise_number",
    "format_niss",
    "is_canonical_enterprise_number",
    "is_canonical_niss",
    "is_valid_enterprise_number",
    "is_valid_niss",
    "niss_check_digits",
    "normalize_identifier",
    "parse_enterprise_number",
    "parse_niss",
]

_SEPARATORS = frozenset(".-/")

NISS_LENGTH = 11
ENTERPRISE_NUMBER_LENGTH = 10
LEGACY_ENTERPRISE_NUMBER_LENGTH = 9
#: The first eight digits of the first number that is not an enterprise's (2xxx: units).
_FIRST_ESTABLISHMENT_UNIT = 20_000_000

#: Added to the month of a BIS number whose holder's sex was unknown when it was assigned.
BIS_SEX_UNKNOWN_OFFSET = 20
#: Added to the month of a BIS number whose holder's sex was known when it was assigned.
BIS_SEX_KNOWN_OFFSET = 40

#: The ``2`` written before the first nine digits of a NISS of a birth from 2000 on.
_BORN_2000_OR_LATER = 2_000_000_000
#: The days of each month of a common year (index 1-12; February is checked for leap years).
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class NissKind(StrEnum):
    """``REGISTER``: a National Register number. ``BIS``: a number given by the hub to a person
    who is not in the National Register (month + 20 or + 40)."""

    REGISTER = "register"
    BIS = "bis"


@dataclass(frozen=True, slots=True)
class Niss:
    """A structurally valid NISS, with what its digits tell. Build it with ``parse_niss``."""

    value: str
    """The 11 digits."""
    kind: NissKind
    birth_year: int
    """The full year, from the century the check digits reveal."""
    birth_month: int | None
    """1-12, the BIS offset removed; ``None`` when the month is ``00`` (unknown)."""
    birth_day: int | None
    """``None`` when the day is ``00`` (unknown)."""
    sex: Sex | None
    """From the sequence (odd = male, even = female); ``None`` for a BIS number + 20."""

    @property
    def birth_date(self) -> date | None:
        """The birth date, or ``None`` unless both month and day are known."""
        if self.birth_month is None or self.birth_day is None:
            return None
        return date(self.birth_year, self.birth_month, self.birth_day)

    @property
    def earliest_birth_date(self) -> date:
        """The first day the person may have been born (January / day 1 for an unknown part)."""
        return date(self.birth_year, self.birth_month or 1, self.birth_day or 1)

    @property
    def sequence(self) -> int:
        return int(self.value[6:9])

    def formatted(self) -> str:
        """``YY.MM.DD-SSS.CC``, the month as written (BIS offset included)."""
        v = self.value
        return f"{v[0:2]}.{v[2:4]}.{v[4:6]}-{v[6:9]}.{v[9:11]}"

    def __str__(self) -> str:
        return self.value


def normalize_identifier(text: str) -> str:
    """Drop the spaces and the separators ``.``, ``-`` and ``/`` people write in identifiers."""
    if text.isascii() and text.isalnum():  # already plain (bulk files): nothing to drop
        return text
    return "".join(c for c in text if not c.isspace() and c not in _SEPARATORS)


def _is_ascii_digits(text: str) -> bool:
    return not text or (text.isascii() and text.isdigit())


def _show(text: str) -> str:
    """The input as written, quoted when quoting makes it readable (empty, spaces)."""
    if text.isascii() and text.isalnum():  # letters and digits only: nothing to quote
        return text
    if not text or text != text.strip() or any(c.isspace() for c in text):
        return repr(text)
    return text


def _check_value(number: int) -> int:
    """``97 - (number mod 97)``: 1 to 97."""
    return 97 - number % 97


def niss_check_digits(first_nine: str, *, born_2000_or_later: bool) -> str:
    """The two check digits of a NISS whose first nine digits are ``first_nine``."""
    if len(first_nine) != 9 or not _is_ascii_digits(first_nine):
        raise ValueError(f"expected the first 9 digits of a NISS, got {first_nine!r}")
    number = int(("2" + first_nine) if born_2000_or_later else first_nine)
    return f"{_check_value(number):02d}"


def _days_in_month(year: int, month: int) -> int:
    """The days of ``month`` (1-12) of ``year``."""
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return _MONTH_DAYS[month]


def is_canonical_niss(text: str) -> bool:
    """Whether ``parse_niss`` accepts ``text`` and gives it back unchanged: 11 plain digits,
    matching check digits, a birth date that exists.

    Integer arithmetic only, for the bulk path: a false answer says nothing about why (ask
    ``parse_niss`` for the error)."""
    if len(text) != NISS_LENGTH or not text.isascii() or not text.isdigit():
        return False
    number = int(text)
    first_nine = number // 100
    check = number % 100
    if check == 97 - first_nine % 97:
        century = 1900
    elif check == 97 - (_BORN_2000_OR_LATER + first_nine) % 97:
        century = 2000
    else:
        return False
    birth = first_nine // 1000  # YYMMDD
    day = birth % 100
    month = birth // 100 % 100
    if month <= 12 and day <= 28:  # most numbers: a register number, a day every month has
        return True
    if month >= BIS_SEX_KNOWN_OFFSET:
        month -= BIS_SEX_KNOWN_OFFSET
    elif month >= BIS_SEX_UNKNOWN_OFFSET:
        month -= BIS_SEX_UNKNOWN_OFFSET
    if month > 12:
        return False
    return day <= 28 or day <= (_days_in_month(century + birth // 10000, month) if month else 31)


def parse_niss(text: str) -> Niss:
    """Parse a NISS, plain (``68060105329``) or formatted (``68.06.01-053.29``).

    Raises ``InvalidNiss`` with ``reason`` ``non-digit``, ``length``, ``bad-check-digits`` or
    ``bad-date``, checked in that order.
    """
    if len(text) == NISS_LENGTH and text.isascii() and text.isdigit():
        shown = digits = text  # the plain form: nothing to normalise (bulk files)
    else:
        shown, digits = _show(text), normalize_identifier(text)
    if not _is_ascii_digits(digits):
        raise InvalidNiss(
            f"NISS {shown}: contains characters other than digits and the separators . - /",
            reason="non-digit",
            value=text,
        )
    if len(digits) != NISS_LENGTH:
        raise InvalidNiss(
            f"NISS {shown}: has {len(digits)} digits, a NISS has {NISS_LENGTH}",
            reason="length",
            value=text,
        )

    first_nine, check = digits[:9], digits[9:]
    number = int(first_nine)  # 9 ASCII digits: niss_check_digits without its checks
    before_2000 = f"{_check_value(number):02d}"
    from_2000 = f"{_check_value(_BORN_2000_OR_LATER + number):02d}"
    if check == before_2000:
        century = 1900
    elif check == from_2000:
        century = 2000
    else:
        raise InvalidNiss(
            f"NISS {shown}: check digits {check} do not match (expected 97 - N mod 97: "
            f"{before_2000} for a birth before 2000, {from_2000} for a birth from 2000)",
            reason="bad-check-digits",
            value=text,
        )

    year = century + int(digits[0:2])
    written_month, day, sequence = int(digits[2:4]), int(digits[4:6]), int(digits[6:9])
    kind = NissKind.REGISTER
    sex_known = True
    month = written_month
    if written_month >= BIS_SEX_KNOWN_OFFSET:
        kind, month = NissKind.BIS, written_month - BIS_SEX_KNOWN_OFFSET
    elif written_month >= BIS_SEX_UNKNOWN_OFFSET:
        kind, sex_known, month = NissKind.BIS, False, written_month - BIS_SEX_UNKNOWN_OFFSET
    if month > 12:
        raise InvalidNiss(
            f"NISS {shown}: month {digits[2:4]} is not a month "
            f"(00-12, or 20-32 and 40-52 for a BIS number)",
            reason="bad-date",
            value=text,
        )
    max_day = _days_in_month(year, month) if month else 31
    if day > max_day:
        where = f"{year}-{month:02d}" if month else "any month"
        raise InvalidNiss(
            f"NISS {shown}: day {digits[4:6]} does not exist in {where} (born in {year})",
            reason="bad-date",
            value=text,
        )

    sex: Sex | None = None
    if sex_known:
        sex = Sex.MALE if sequence % 2 == 1 else Sex.FEMALE
    return Niss(
        value=digits,
        kind=kind,
        birth_year=year,
        birth_month=month or None,
        birth_day=day or None,
        sex=sex,
    )


def is_valid_niss(text: str) -> bool:
    try:
        parse_niss(text)
    except InvalidNiss:
        return False
    return True


def format_niss(text: str) -> str:
    """``YY.MM.DD-SSS.CC``; raises ``InvalidNiss`` for an invalid number."""
    return parse_niss(text).formatted()


def build_niss(
    *,
    year: int,
    month: int,
    day: int,
    sequence: int,
    kind: NissKind = NissKind.REGISTER,
    sex_known: bool = True,
) -> str:
    """The 11 digits of the NISS with these parts, check digits computed.

    ``month`` and ``day`` may be 0 (unknown). A BIS number adds 20 to the month when
    ``sex_known`` is false and 40 when it is true; a National Register number always knows the
    sex. Raises ``ValueError`` for parts no NISS can hold.
    """
    if not 1900 <= year <= 2099:
        raise ValueError(f"birth year {year} cannot be written in a NISS (1900-2099)")
    if not 0 <= month <= 12:
        raise ValueError(f"month {month} is not 0 (unknown) or 1-12")
    max_day = _days_in_month(year, month) if month else 31
    if not 0 <= day <= max_day:
        raise ValueError(f"day {day} is not 0 (unknown) or 1-{max_day} for {year}-{month:02d}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence {sequence} is not 0-999")
    if kind is NissKind.REGISTER and not sex_known:
        raise ValueError("a National Register number always knows the sex; only BIS numbers don't")
    written_month = month
    if kind is NissKind.BIS:
        written_month += BIS_SEX_KNOWN_OFFSET if sex_known else BIS_SEX_UNKNOWN_OFFSET
    first_nine = f"{year % 100:02d}{written_month:02d}{day:02d}{sequence:03d}"
    return first_nine + niss_check_digits(first_nine, born_2000_or_later=year >= 2000)


def enterprise_check_digits(first_eight: str) -> str:
    """``97 - (first eight mod 97)``, two digits."""
    if len(first_eight) != 8 or not _is_ascii_digits(first_eight):
        raise ValueError(
            f"expected the first 8 digits of an enterprise number, got {first_eight!r}"
        )
    return f"{_check_value(int(first_eight)):02d}"


def build_enterprise_number(first_eight: str) -> str:
    """The 10-digit enterprise number starting with ``first_eight`` (which starts with 0 or 1)."""
    check = enterprise_check_digits(first_eight)
    if first_eight[0] not in "01":
        raise ValueError(
            f"an enterprise number starts with 0 or 1, not {first_eight[0]} "
            "(2-8 are establishment units)"
        )
    return first_eight + check


def parse_enterprise_number(text: str) -> str:
    """Parse an enterprise number and return its 10 digits.

    Accepts ``0403.019.261``, ``0403 019 261``, ``BE0403019261`` and legacy 9-digit numbers
    (``403019261``, the leading 0 left out). Raises ``InvalidEnterpriseNumber`` with ``reason``
    ``non-digit``, ``length``, ``bad-prefix`` or ``bad-check-digits``, checked in that order.
    """
    shown = _show(text)
    digits = normalize_identifier(text)
    if digits[:2].upper() == "BE":
        digits = digits[2:]
    if not _is_ascii_digits(digits):
        raise InvalidEnterpriseNumber(
            f"enterprise number {shown}: contains characters other than digits, "
            "the separators . - / and a leading BE",
            reason="non-digit",
            value=text,
        )
    if len(digits) == LEGACY_ENTERPRISE_NUMBER_LENGTH:
        digits = "0" + digits
    if len(digits) != ENTERPRISE_NUMBER_LENGTH:
        raise InvalidEnterpriseNumber(
            f"enterprise number {shown}: has {len(digits)} digits, an enterprise number has "
            f"{ENTERPRISE_NUMBER_LENGTH} (or {LEGACY_ENTERPRISE_NUMBER_LENGTH} without its "
            "leading 0)",
            reason="length",
            value=text,
        )
    if digits[0] not in "01":
        if digits[0] in "2345678":
            why = "numbers starting with 2-8 are establishment units, not enterprises"
        else:
            why = "no KBO/BCE number starts with 9"
        raise InvalidEnterpriseNumber(
            f"enterprise number {shown}: starts with {digits[0]}; an enterprise number starts "
            f"with 0 or 1 ({why})",
            reason="bad-prefix",
            value=text,
        )
    expected = enterprise_check_digits(digits[:8])
    if digits[8:] != expected:
        raise InvalidEnterpriseNumber(
            f"enterprise number {shown}: check digits {digits[8:]} do not match "
            f"(expected 97 - first eight mod 97 = {expected})",
            reason="bad-check-digits",
            value=text,
        )
    return digits


def is_canonical_enterprise_number(text: str) -> bool:
    """Whether ``parse_enterprise_number`` accepts ``text`` and gives it back unchanged: 10
    plain digits, starting with 0 or 1, matching check digits. Integer arithmetic only, for the
    bulk path (ask ``parse_enterprise_number`` for the error)."""
    if len(text) != ENTERPRISE_NUMBER_LENGTH or not (text.isascii() and text.isdigit()):
        return False
    first_eight, check = divmod(int(text), 100)
    return first_eight < _FIRST_ESTABLISHMENT_UNIT and check == _check_value(first_eight)


def is_valid_enterprise_number(text: str) -> bool:
    try:
        parse_enterprise_number(text)
    except InvalidEnterpriseNumber:
        return False
    return True


def format_enterprise_number(text: str) -> str:
    """``0403.019.261``; raises ``InvalidEnterpriseNumber`` for an invalid number."""
    digits = parse_enterprise_number(text)
    return f"{digits[0:4]}.{digits[4:7]}.{digits[7:10]}"
