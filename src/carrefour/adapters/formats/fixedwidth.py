"""Fixed-width batch files: the classic record layout, documented in docs/formats.md.

A file is UTF-8 text, one record per line (``\\n`` or ``\\r\\n``; blank lines are skipped).
Positions count characters, from 1. Three record types, each of a fixed length:

* ``0`` header (41): sender institution id, creation date, format version ``01``;
* ``1`` detail (126): a common part (kind code, NISS, period begin and end, CT1, CT2,
  reference) then a kind-specific zone (columns 77-126) whose layout depends on the kind;
* ``9`` trailer (10): the number of detail records.

Text is left-aligned and padded with spaces; numbers are right-aligned and padded with zeros;
amounts are in cents, hours and rates in hundredths, the working-time fraction in millionths;
dates are ``YYYYMMDD``. The layout is data (``HEADER``, ``DETAIL_COMMON``, ``KIND_COLUMNS``,
``TRAILER``): the documentation's tables follow it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final

from carrefour.adapters.formats.batch import (
    BatchFormatError,
    BatchRecord,
    ParsedBatch,
    accepted_record,
    decode_utf8,
    failed_record,
    refused_record,
    split_lines,
)
from carrefour.domain.errors import CarrefourError, InvalidCode, InvalidInput, InvalidPeriod
from carrefour.domain.identifiers import normalize_identifier
from carrefour.domain.periods import Quarter, parse_quarter
from carrefour.domain.vouchers import KIND_FIELDS, Voucher, VoucherKind, parse_voucher

__all__ = [
    "DETAIL_COMMON",
    "DETAIL_LENGTH",
    "FORMAT_VERSION",
    "HEADER",
    "HEADER_LENGTH",
    "KIND_CODES",
    "KIND_COLUMNS",
    "KIND_ZONE_START",
    "OVERLONG",
    "QUARTER_STATUS_CODES",
    "TRAILER",
    "TRAILER_LENGTH",
    "TRUNCATED",
    "UNKNOWN_RECORD_TYPE",
    "Column",
    "parse_fixed",
    "write_fixed",
]

FORMAT_VERSION: Final = "01"

#: Record errors of the format itself (the others are the domain errors' codes).
TRUNCATED: Final = "truncated"
OVERLONG: Final = "overlong"
UNKNOWN_RECORD_TYPE: Final = "unknown-record-type"

#: The kind code of each kind (detail columns 2-3).
KIND_CODES: Final[Mapping[VoucherKind, str]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: "01",
        VoucherKind.SELF_EMPLOYED: "02",
        VoucherKind.UNEMPLOYMENT: "03",
        VoucherKind.WORK_ACCIDENT: "04",
        VoucherKind.OCCUPATIONAL_DISEASE: "05",
        VoucherKind.PENSION: "06",
    }
)
_KIND_BY_CODE: Final = MappingProxyType({code: kind for kind, code in KIND_CODES.items()})

#: One letter per quarter status in the self-employed ``quarters`` column.
QUARTER_STATUS_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {"in-order": "I", "regularised": "R", "exempted": "E", "not-in-order": "N"}
)
_STATUS_BY_CODE: Final = MappingProxyType({c: s for s, c in QUARTER_STATUS_CODES.items()})

_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True, slots=True)
class Column:
    """A field of a record: ``start`` (1-based) and ``length`` in characters.

    ``type``: ``text`` (left-aligned, space-padded; blank = absent), ``number`` (right-aligned,
    zero-padded), ``cents``/``hundredths``/``millionths`` (a number scaled by 100, 100, 10^6),
    ``date`` (``YYYYMMDD``), ``statuses`` (one letter per quarter), ``literal`` (a fixed value).
    """

    name: str
    start: int
    length: int
    type: str
    meaning: str

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    def cut(self, line: str) -> str:
        return line[self.start - 1 : self.end]


def _chain(start: int, *specs: tuple[str, int, str, str]) -> tuple[Column, ...]:
    columns: list[Column] = []
    for name, length, kind, meaning in specs:
        columns.append(Column(name, start, length, kind, meaning))
        start += length
    return tuple(columns)


HEADER: Final = _chain(
    1,
    ("record_type", 1, "literal", "record type: 0"),
    ("sender", 30, "text", "sender institution id (catalogue id, e.g. onss)"),
    ("created", 8, "date", "creation date of the file, YYYYMMDD"),
    ("version", 2, "literal", f"format version: {FORMAT_VERSION}"),
)
HEADER_LENGTH: Final = HEADER[-1].end

DETAIL_COMMON: Final = _chain(
    1,
    ("record_type", 1, "literal", "record type: 1"),
    ("kind", 2, "literal", "kind code: 01-06"),
    ("niss", 11, "text", "NISS, 11 digits"),
    ("period_begin", 8, "date", "first day of the period, YYYYMMDD"),
    ("period_end", 8, "date", "last day of the period, YYYYMMDD"),
    ("ct1", 3, "text", "CT1 insurability holder code, 3 digits"),
    ("ct2", 3, "text", "CT2 insurability holder code, 3 digits"),
    ("reference", 40, "text", "sender's reference (blank = none)"),
)
KIND_ZONE_START: Final = DETAIL_COMMON[-1].end + 1
_KIND_ZONE_LENGTH: Final = 50
DETAIL_LENGTH: Final = KIND_ZONE_START + _KIND_ZONE_LENGTH - 1

_FEDRIS_COLUMNS: Final = _chain(
    KIND_ZONE_START,
    ("days", 5, "number", "days of incapacity"),
    ("rate", 5, "hundredths", "incapacity rate in hundredths of a percent (10000 = 100 %)"),
    ("case_number", 20, "text", "Fedris case number"),
)

#: The kind-specific zone (from column 77) of each kind; the rest of the zone is spaces.
KIND_COLUMNS: Final[Mapping[VoucherKind, tuple[Column, ...]]] = MappingProxyType(
    {
        VoucherKind.EMPLOYEE: _chain(
            KIND_ZONE_START,
            ("employer", 10, "text", "employer's enterprise number, 10 digits"),
            ("days_worked", 3, "number", "days worked"),
            ("hours_worked", 6, "hundredths", "hours worked, in hundredths (045625 = 456.25)"),
            (
                "working_time_fraction",
                7,
                "millionths",
                "working-time fraction in millionths (0500000 = 0.5, 1000000 = 1)",
            ),
        ),
        VoucherKind.SELF_EMPLOYED: _chain(
            KIND_ZONE_START,
            ("cas", 30, "text", "the person's CAS (institution id)"),
            ("contributor_category", 1, "text", "contributor category: A D E F H P S"),
            ("quarters", 4, "statuses", "Q1-Q4, one letter each: I R E N"),
        ),
        VoucherKind.UNEMPLOYMENT: _chain(
            KIND_ZONE_START,
            ("compensated_days", 3, "number", "compensated days"),
            ("payment_body", 30, "text", "payment body (institution id, or onem)"),
        ),
        VoucherKind.WORK_ACCIDENT: _FEDRIS_COLUMNS,
        VoucherKind.OCCUPATIONAL_DISEASE: _FEDRIS_COLUMNS,
        VoucherKind.PENSION: _chain(
            KIND_ZONE_START,
            ("gross_pension", 10, "cents", "gross monthly pension, in cents"),
            ("health_withholding", 10, "cents", "3.55 % health-care withholding, in cents"),
            ("pension_payer", 30, "text", "pension payer (institution id)"),
        ),
    }
)

TRAILER: Final = _chain(
    1,
    ("record_type", 1, "literal", "record type: 9"),
    ("count", 9, "number", "number of detail records (every line between header and trailer)"),
)
TRAILER_LENGTH: Final = TRAILER[-1].end

_COLUMN: Final = MappingProxyType({c.name: c for c in (*HEADER, *DETAIL_COMMON)})
_TRAILER_COUNT: Final = TRAILER[1]
_SCALES: Final = MappingProxyType({"cents": 100, "hundredths": 100, "millionths": 1_000_000})


def _check_layout() -> None:
    """The layout and the domain agree: one column per field of each kind, inside the record."""
    for kind, columns in KIND_COLUMNS.items():
        if tuple(c.name for c in columns) != KIND_FIELDS[kind] or columns[-1].end > DETAIL_LENGTH:
            raise RuntimeError(f"the fixed-width layout of {kind} does not match its fields")


_check_layout()


# --- reading -----------------------------------------------------------------------------------


def _where(column: Column) -> str:
    if column.length == 1:
        return f"column {column.start} ({column.name})"
    return f"columns {column.start}-{column.end} ({column.name})"


def _read_date(column: Column, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        if not _DIGITS.match(text):
            raise ValueError(text)
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidPeriod(
            f"{_where(column)}: {text!r} is not a date YYYYMMDD", field="period", value=text
        ) from None


def _read(column: Column, line: str) -> Any:
    """The value of a column as ``parse_voucher`` takes it; ``None`` when blank."""
    text = column.cut(line)
    if not text.strip():
        return None
    if column.type == "text":
        return text.strip()
    if column.type == "statuses":
        statuses: list[str] = []
        for index, letter in enumerate(text):
            if letter not in _STATUS_BY_CODE:
                raise InvalidCode(
                    f"{_where(column)}: quarter {index + 1} code {letter!r} is not one of "
                    f"{', '.join(sorted(_STATUS_BY_CODE))}",
                    field=column.name,
                    index=index,
                )
            statuses.append(_STATUS_BY_CODE[letter])
        return statuses
    if not _DIGITS.match(text):
        raise InvalidInput(
            f"{_where(column)}: {text!r} is not a number (right-aligned, zero-padded digits)",
            field=column.name,
            value=text,
        )
    if column.type == "number":
        return int(text)
    return Decimal(int(text)) / _SCALES[column.type]


def _label(kind: VoucherKind, begin: date, end: date) -> str:
    """The period label of the kind when the dates have its shape; a date range otherwise (which
    ``parse_voucher`` then refuses for a kind that is not a range)."""
    if kind in (VoucherKind.EMPLOYEE, VoucherKind.UNEMPLOYMENT):
        quarter = Quarter.of(begin)
        if (begin, end) == (quarter.first_day, quarter.last_day):
            return str(quarter)
    elif kind is VoucherKind.SELF_EMPLOYED:
        if (begin, end) == (date(begin.year, 1, 1), date(begin.year, 12, 31)):
            return f"{begin.year:04d}"
    elif kind is VoucherKind.PENSION and begin.day == 1:
        following = (begin.replace(day=28) + timedelta(days=4)).replace(day=1)
        if end == following - timedelta(days=1):
            return f"{begin.year:04d}-{begin.month:02d}"
    return f"{begin.isoformat()}/{end.isoformat()}"


def _detail(line: str) -> dict[str, Any]:
    code = _COLUMN["kind"].cut(line)
    kind = _KIND_BY_CODE.get(code)
    if kind is None:
        codes = ", ".join(f"{c} ({k.value})" for k, c in KIND_CODES.items())
        raise InvalidCode(
            f"{_where(_COLUMN['kind'])}: kind code {code!r} is not one of {codes}",
            field="kind",
            value=code,
        )
    data: dict[str, Any] = {"kind": kind.value}
    for name in ("niss", "ct1", "ct2", "reference"):
        value = _read(_COLUMN[name], line)
        if value is not None:
            data[name] = value
    begin = _read_date(_COLUMN["period_begin"], _COLUMN["period_begin"].cut(line))
    end = _read_date(_COLUMN["period_end"], _COLUMN["period_end"].cut(line))
    if begin is not None and end is not None:
        data["period"] = _label(kind, begin, end)
    elif begin is not None or end is not None:
        missing = _COLUMN["period_end" if end is None else "period_begin"]
        raise InvalidPeriod(f"{_where(missing)} is blank", field="period")
    columns = KIND_COLUMNS[kind]
    for column in columns:
        value = _read(column, line)
        if value is not None:
            data[column.name] = value
    filler = line[columns[-1].end : DETAIL_LENGTH]
    if filler.strip():
        raise InvalidInput(
            f"columns {columns[-1].end + 1}-{DETAIL_LENGTH} must be spaces in a kind {code} "
            f"({kind.value}) record, found {filler.strip()!r}",
            field=None,
        )
    return data


def _header(number: int, line: str) -> tuple[str, date]:
    if not line.startswith("0"):
        raise BatchFormatError(
            "header",
            f"line {number} is not a header record: a fixed-width file starts with a record "
            f"of type 0 ({HEADER_LENGTH} characters)",
            line=number,
        )
    if len(line) != HEADER_LENGTH:
        raise BatchFormatError(
            "header",
            f"the header (line {number}) has {len(line)} characters, a header has {HEADER_LENGTH}",
            line=number,
        )
    columns = {c.name: c for c in HEADER}
    sender = columns["sender"].cut(line).strip()
    if not sender:
        raise BatchFormatError("header", "the header names no sender (columns 2-31)", line=number)
    try:
        created = _read_date(columns["created"], columns["created"].cut(line))
    except CarrefourError as error:
        raise BatchFormatError("header", f"the header's {error.detail}", line=number) from None
    if created is None:
        raise BatchFormatError("header", "the header has no creation date", line=number)
    version = columns["version"].cut(line)
    if version != FORMAT_VERSION:
        raise BatchFormatError(
            "header",
            f"format version {version!r} is not supported (columns 40-41: {FORMAT_VERSION})",
            line=number,
        )
    return sender, created


def _trailer(number: int, line: str) -> int:
    if not line.startswith("9"):
        raise BatchFormatError(
            "trailer",
            f"the file does not end with a trailer record (type 9): its last line ({number}) "
            "is not one",
            line=number,
        )
    count = _TRAILER_COUNT.cut(line)
    if len(line) != TRAILER_LENGTH or not _DIGITS.match(count):
        raise BatchFormatError(
            "trailer",
            f"the trailer (line {number}) must be 9 followed by the count in 9 digits "
            f"({TRAILER_LENGTH} characters), got {line!r}",
            line=number,
        )
    return int(count)


def _record(number: int, line: str, today: date) -> BatchRecord:
    if not line.startswith("1"):
        return refused_record(
            number,
            line,
            UNKNOWN_RECORD_TYPE,
            f"line {number}: record type {line[:1]!r} is not 1 (detail)",
        )
    if len(line) != DETAIL_LENGTH:
        return refused_record(
            number,
            line,
            TRUNCATED if len(line) < DETAIL_LENGTH else OVERLONG,
            f"line {number} has {len(line)} characters, a detail record has {DETAIL_LENGTH}",
        )
    try:
        voucher = parse_voucher(_detail(line), today=today)
    except CarrefourError as error:
        return failed_record(number, line, error)
    return accepted_record(number, line, voucher)


def parse_fixed(content: bytes, *, today: date) -> ParsedBatch:
    """Parse a fixed-width batch.

    Raises ``BatchFormatError`` (``encoding``, ``empty``, ``header``, ``trailer``,
    ``count-mismatch``) when the file is unusable: then nothing of it is routed.
    """
    lines = split_lines(decode_utf8(content))
    if not lines:
        raise BatchFormatError("empty", "the file holds no record (only blank lines)")
    sender, created = _header(*lines[0])
    if len(lines) == 1:
        raise BatchFormatError(
            "trailer", "the file ends after its header: no trailer record (type 9)"
        )
    last_number, last_line = lines[-1]
    declared = _trailer(last_number, last_line)
    details = lines[1:-1]
    for number, line in details:
        if line.startswith("0"):
            raise BatchFormatError("header", f"a second header at line {number}", line=number)
        if line.startswith("9"):
            raise BatchFormatError(
                "trailer",
                f"a trailer at line {number}, before the end of the file",
                line=number,
            )
    if declared != len(details):
        raise BatchFormatError(
            "count-mismatch",
            f"the trailer (line {last_number}) declares {declared} detail records, the file "
            f"holds {len(details)}",
            line=last_number,
        )
    if not details:
        raise BatchFormatError("empty", "the file holds no detail record")
    records = [_record(number, line, today) for number, line in details]
    return ParsedBatch(
        format="fixed",
        records=records,
        declared_count=declared,
        sender=sender,
        created=created,
    )


# --- writing -----------------------------------------------------------------------------------


def _period_dates(value: Any) -> tuple[date, date]:
    """The first and last day of a period label of any kind's shape."""
    text = str(value).strip()
    try:
        if "/" in text:
            begin_text, _, end_text = text.partition("/")
            return date.fromisoformat(begin_text), date.fromisoformat(end_text)
        if "Q" in text.upper():
            quarter = parse_quarter(text)
            return quarter.first_day, quarter.last_day
        if len(text) == 4:
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if len(text) == 7:
            first = date(int(text[:4]), int(text[5:7]), 1)
            following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
            return first, following - timedelta(days=1)
    except (ValueError, CarrefourError):
        pass
    raise ValueError(f"period {value!r} cannot be written as two dates")


def _scaled(value: Any, scale: int) -> int:
    """``value`` times ``scale`` as a whole number; the fraction (millionths) is rounded, other
    columns refuse a value with more decimals than they hold."""
    rounded = scale == _SCALES["millionths"]
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value * scale
    if isinstance(value, str) and "/" in value:
        try:
            exact = Fraction(value.strip()) * scale
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a fraction") from None
        if not rounded and exact.denominator != 1:
            raise ValueError(f"{value!r} has more decimals than the column holds")
        return round(exact)
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, Decimal | str):
            number = Decimal(value.strip() if isinstance(value, str) else value)
        else:
            raise ValueError(f"{value!r} is not a number")
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    scaled = number * scale
    whole = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    if not rounded and whole != scaled:
        raise ValueError(f"{value!r} has more decimals than the column holds")
    return int(whole)


def _encode(column: Column, value: Any) -> str:
    if value is None:
        return " " * column.length
    if column.type == "text":
        if not isinstance(value, str):
            raise ValueError(f"{column.name} must be a string, got {value!r}")
        text = value.strip()
        if any(c in text for c in "\r\n"):
            raise ValueError(f"{column.name} {value!r} holds a line break")
        if len(text) > column.length:
            raise ValueError(f"{column.name} {value!r} is longer than {column.length} characters")
        return text.ljust(column.length)
    if column.type == "statuses":
        if isinstance(value, str) or len(value) != 4:
            raise ValueError(f"{column.name} must be 4 quarter statuses, got {value!r}")
        try:
            return "".join(QUARTER_STATUS_CODES[status] for status in value)
        except (KeyError, TypeError):
            raise ValueError(f"{column.name} {value!r} holds an unknown status") from None
    if column.type == "date":
        return f"{value:%Y%m%d}"
    if column.type == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{column.name} must be a whole number, got {value!r}")
        number = value
    else:
        number = _scaled(value, _SCALES[column.type])
    text = str(number)
    if number < 0 or len(text) > column.length:
        raise ValueError(f"{column.name} {value!r} does not fit in {column.length} digits")
    return text.zfill(column.length)


def _detail_line(voucher: Mapping[str, Any]) -> str:
    try:
        kind = VoucherKind(str(voucher.get("kind")))
    except ValueError:
        raise ValueError(f"kind {voucher.get('kind')!r} has no fixed-width kind code") from None
    columns = KIND_COLUMNS[kind]
    known = {"kind", "niss", "period", "ct1", "ct2", "reference", *(c.name for c in columns)}
    unknown = [name for name in voucher if name not in known]
    if unknown:
        raise ValueError(f"field(s) {', '.join(unknown)} have no fixed-width column")
    niss = voucher.get("niss")
    begin: date | None = None
    end: date | None = None
    if voucher.get("period") is not None:
        begin, end = _period_dates(voucher["period"])
    parts = [
        "1",
        KIND_CODES[kind],
        _encode(_COLUMN["niss"], normalize_identifier(niss) if isinstance(niss, str) else niss),
        _encode(_COLUMN["period_begin"], begin),
        _encode(_COLUMN["period_end"], end),
        _encode(_COLUMN["ct1"], voucher.get("ct1")),
        _encode(_COLUMN["ct2"], voucher.get("ct2")),
        _encode(_COLUMN["reference"], voucher.get("reference")),
    ]
    for column in columns:
        value = voucher.get(column.name)
        if column.name == "employer" and isinstance(value, str):
            value = normalize_identifier(value)
            value = value[2:] if value[:2].upper() == "BE" else value
        parts.append(_encode(column, value))
    return "".join(parts).ljust(DETAIL_LENGTH)


def write_fixed(
    sender: str, created: date, vouchers: Sequence[Voucher | Mapping[str, Any]]
) -> bytes:
    """A fixed-width batch file (UTF-8, ``\\n`` line ends) of these vouchers, the inverse of
    ``parse_fixed``: ``parse_batch`` of it gives back vouchers equal to ``parse_voucher`` of
    each mapping.

    Values are written as given, without the domain's checks (an invalid NISS is written as
    is), so that tests can build files with bad records; a value that cannot be represented
    in its columns (too long, not a number, an unknown kind, a field with no column) raises
    ``ValueError`` naming the voucher's index.
    """
    lines = ["0" + _encode(HEADER[1], sender) + _encode(HEADER[2], created) + FORMAT_VERSION]
    for index, voucher in enumerate(vouchers):
        data = voucher.payload() if isinstance(voucher, Voucher) else voucher
        try:
            lines.append(_detail_line(data))
        except ValueError as error:
            raise ValueError(f"voucher {index}: {error}") from None
    lines.append("9" + _encode(_TRAILER_COUNT, len(vouchers)))
    return "".join(line + "\n" for line in lines).encode("utf-8")
