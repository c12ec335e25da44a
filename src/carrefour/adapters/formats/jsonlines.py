"""JSON Lines batch files: one voucher object per line, UTF-8 (docs/formats.md).

Each non-blank line is a JSON object as ``POST /v1/vouchers`` takes it. Blank lines are skipped;
a line that is not valid JSON, or not an object, or repeats a key, is refused with
``malformed-json``; a voucher the domain refuses carries the domain error's code. Line numbers
are the physical lines of the file, from 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import chain, islice
from typing import Any, Final, Literal, NoReturn, overload

import msgspec

from carrefour.adapters.formats.batch import (
    BatchFormatError,
    BatchRecord,
    Content,
    ParsedBatch,
    accepted_record,
    count_lines,
    failed_record,
    line_blocks,
    refused_record,
)
from carrefour.domain.errors import CarrefourError
from carrefour.domain.vouchers import CanonicalVouchers, Voucher, parse_voucher

__all__ = ["MALFORMED_JSON", "JsonLinesStream", "parse_jsonl", "stream_jsonl", "write_jsonl"]

#: The record error of a line that is not a JSON object.
MALFORMED_JSON = "malformed-json"


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(f"duplicate key {key!r}")
        found[key] = value
    return found


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


# A quote followed by blanks then a colon: a key spaced from its colon (the fast path's count of
# keys does not see it).
_SPACED_KEY = re.compile(r'"\s+:')


def _decode_object(line: str) -> dict[str, Any] | str:
    """The object on the line, or why it is not one.

    Fast path: msgspec decodes the line, and a flat object whose keys are each written ``"key":``
    (counted, with no escaped quote that could fake one) is taken as it is: it cannot repeat a
    key. Anything else (an error, nesting, an escaped quote, a spaced colon) is decoded again by
    the standard library with the checks and the messages docs/formats.md promises."""
    try:
        fast = msgspec.json.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        fast = None
    if (
        isinstance(fast, dict)
        and line.count('":') == len(fast)
        and '\\"' not in line
        and line.count("{") == 1  # no nested object (nor a brace in a string: checked path)
        and "[" not in line
        and _SPACED_KEY.search(line) is None
    ):
        return fast
    return _decode_checked(line)


def _decode_checked(line: str) -> dict[str, Any] | str:
    try:
        value = json.loads(line, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} at column {error.colno}"
    except ValueError as error:  # a duplicate key, NaN or Infinity
        return f"not valid JSON: {error}"
    except RecursionError:
        return "not valid JSON: nested too deeply"
    if not isinstance(value, dict):
        return f"a JSON {_json_type(value)}, not an object: one voucher object per line"
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


class _EmployeeLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """An employee voucher line as ONSS writes it: every field of its type, nothing else. No
    constraint here (they would cost 3x the decoding): ``CanonicalVouchers`` checks the values."""

    kind: Literal["employee"]
    niss: str
    period: str
    ct1: str
    ct2: str
    employer: str
    days_worked: int
    hours_worked: float
    working_time_fraction: float | str
    reference: str | msgspec.UnsetType | None = msgspec.UNSET


_EMPLOYEE_LINE: Final = msgspec.json.Decoder(_EmployeeLine)
#: The quotes of an employee line without a reference: 9 keys and 6 string values (7 with a
#: fraction written as text).
_EMPLOYEE_QUOTES: Final = 2 * (9 + 6)


def _quick_record(number: int, line: str, vouchers: CanonicalVouchers) -> BatchRecord | None:
    """The record of a line whose voucher is taken as it is (``CanonicalVouchers``), or ``None``
    when the line needs the careful path (``_record``): another kind, a value to normalise or
    to refuse, an escape sequence, a repeated key.

    msgspec keeps the last of repeated keys; with no backslash in the line every quote opens or
    closes a key or a string value, so counting the quotes shows a key written twice."""
    if "\\" in line:
        return None
    try:
        fields = _EMPLOYEE_LINE.decode(line)
    except msgspec.DecodeError:  # also a ValidationError: another shape or type
        return None
    reference = fields.reference
    quotes = _EMPLOYEE_QUOTES
    if isinstance(fields.working_time_fraction, str):
        quotes += 2
    if reference is msgspec.UNSET:
        reference = None
    else:
        quotes += 2 if reference is None else 4
    if line.count('"') != quotes:
        return None
    voucher = vouchers.employee(fields, reference)
    return None if voucher is None else BatchRecord(number, voucher, None, None, line)


#: A block of lines the quick decoding declines is halved until it holds fewer lines than this;
#: those are then read one at a time (``_line_records``).
_SMALLEST_BLOCK: Final = 32


def _records(blocks: Iterable[tuple[int, str]], today: date) -> Iterator[BatchRecord]:
    """The record of each non-blank line of the blocks (``line_blocks``): a block of ONSS
    employee lines decoded at once (``_quick_block``), any other line alone, by the quick path
    when it takes the line, else by the careful one."""
    return chain.from_iterable(_block_lists(blocks, today))


def _block_lists(blocks: Iterable[tuple[int, str]], today: date) -> Iterator[list[BatchRecord]]:
    vouchers = CanonicalVouchers(today=today)
    for number, text in blocks:
        if "\r" in text and text.count("\r") == text.count("\r\n"):
            text = text.replace("\r\n", "\n")  # CRLF line endings: the same lines
        yield _block_records(number, text, text.split("\n"), vouchers, today)


def _block_records(
    number: int, text: str, lines: list[str], vouchers: CanonicalVouchers, today: date
) -> list[BatchRecord]:
    """The records of ``lines`` (``text`` is ``"\\n".join(lines)``), the first on line
    ``number``: decoded at once when ``_quick_block`` takes them, else each half again, down to
    lines read one at a time."""
    if len(lines) < _SMALLEST_BLOCK or len(lines) < 2:
        return list(_line_records(number, lines, vouchers, today))
    quick = _quick_block(number, text, lines, vouchers, today)
    if quick is not None:
        return quick
    half = len(lines) // 2
    first, second = lines[:half], lines[half:]
    return _block_records(number, "\n".join(first), first, vouchers, today) + _block_records(
        number + half, "\n".join(second), second, vouchers, today
    )


def _line_records(
    number: int, lines: list[str], vouchers: CanonicalVouchers, today: date
) -> Iterator[BatchRecord]:
    """The records of ``lines``, the first on line ``number``, one line at a time (a blank
    line skipped, a ``\\r`` before the line end dropped, as ``iter_lines`` does)."""
    for offset, line in enumerate(lines):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip():
            yield _quick_record(number + offset, line, vouchers) or _record(
                number + offset, line, today
            )


def _quick_block(
    number: int, text: str, lines: list[str], vouchers: CanonicalVouchers, today: date
) -> list[BatchRecord] | None:
    """The records of ``lines`` (``text`` is ``"\\n".join(lines)``, the first on line
    ``number``), decoded in one call, as ``_quick_record`` and ``_record`` give them one by one
    (a line whose voucher ``CanonicalVouchers`` declines goes to ``_record``); or ``None`` when
    a line is not an employee line as ONSS writes it (another kind or shape, an escape
    sequence, a repeated key, blanks around it...).

    Every line starts with ``{`` and ends with ``}``, and a JSON string holds no line break: a
    line's last ``}`` closes an object (a flat one, or decoding fails), so no object spans two
    lines, and as many objects as lines means one object a line. Repeated keys are found as
    ``_quick_record`` finds them, by counting quotes, here over the block."""
    if "\\" in text or text[:1] != "{" or text[-1:] != "}" or text.count("}\n{") != len(lines) - 1:
        return None
    try:
        decoded = _EMPLOYEE_LINE.decode_lines(text)
    except msgspec.DecodeError:  # also a ValidationError: another shape or type
        return None
    if len(decoded) != len(lines):
        return None
    quotes = _EMPLOYEE_QUOTES * len(decoded)
    employee = vouchers.employee
    unset = msgspec.UNSET
    records: list[BatchRecord] = []
    append = records.append
    declined: list[int] = []
    for offset, fields in enumerate(decoded):
        reference = fields.reference
        if reference is unset:
            reference = None
        else:
            quotes += 2 if reference is None else 4
        if fields.working_time_fraction.__class__ is str:
            quotes += 2
        voucher = employee(fields, reference)
        if voucher is None:
            declined.append(offset)
        append(BatchRecord(number + offset, voucher, None, None, lines[offset]))
    if text.count('"') != quotes:
        return None
    for offset in declined:
        records[offset] = _record(number + offset, lines[offset], today)
    return records


def _record(number: int, line: str, today: date) -> BatchRecord:
    """The record of a line as ``parse_voucher`` judges its object, with its messages."""
    decoded = _decode_object(line)
    if isinstance(decoded, str):
        return refused_record(number, line, MALFORMED_JSON, decoded)
    try:
        voucher = parse_voucher(decoded, today=today)
    except CarrefourError as error:
        return failed_record(number, line, error)
    return accepted_record(number, line, voucher)


def parse_jsonl(content: bytes, *, today: date) -> ParsedBatch:
    """Parse a JSON Lines batch. Raises ``BatchFormatError`` (``encoding``, ``empty``)."""
    records = list(_records(line_blocks(content), today))
    if not records:
        raise BatchFormatError("empty", "the file holds no record (only blank lines)")
    return ParsedBatch(format="jsonl", records=records, declared_count=None)


class JsonLinesStream(Sequence[BatchRecord]):
    """The records of a JSON Lines batch, parsed as they are read: iterating holds one record
    at a time, whatever the size of the file. Its length (the non-blank lines) is counted when
    it is made; indexing re-reads the file up to the record (use iteration)."""

    def __init__(self, content: Content, *, today: date) -> None:
        self._content = content
        self._today = today
        self._count = count_lines(content)
        if not self._count:
            raise BatchFormatError("empty", "the file holds no record (only blank lines)")

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[BatchRecord]:
        return _records(line_blocks(self._content), self._today)

    @overload
    def __getitem__(self, index: int) -> BatchRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[BatchRecord]: ...

    def __getitem__(self, index: int | slice) -> BatchRecord | list[BatchRecord]:
        if isinstance(index, slice):
            return list(self)[index]
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return next(islice(iter(self), index % self._count, None))


def stream_jsonl(content: Content, *, today: date) -> ParsedBatch:
    """A JSON Lines batch whose records are parsed as they are iterated (``JsonLinesStream``).
    Raises ``BatchFormatError`` (``encoding``, ``empty``) at once, before any record is used."""
    return ParsedBatch(
        format="jsonl", records=JsonLinesStream(content, today=today), declared_count=None
    )


def write_jsonl(vouchers: Iterable[Voucher | Mapping[str, Any]]) -> bytes:
    """A JSON Lines batch of these vouchers (``Voucher`` or raw mappings), one per line."""
    lines = (
        json.dumps(v.payload() if isinstance(v, Voucher) else dict(v), ensure_ascii=False)
        for v in vouchers
    )
    return "".join(line + "\n" for line in lines).encode("utf-8")
