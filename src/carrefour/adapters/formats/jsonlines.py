"""JSON Lines batch files: one voucher object per line, UTF-8 (docs/formats.md).

Each non-blank line is a JSON object as ``POST /v1/vouchers`` takes it. Blank lines are skipped;
a line that is not valid JSON, or not an object, or repeats a key, is refused with
``malformed-json``; a voucher the domain refuses carries the domain error's code. Line numbers
are the physical lines of the file, from 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NoReturn

from carrefour.adapters.formats.batch import (
    BatchFormatError,
    BatchRecord,
    ParsedBatch,
    decode_utf8,
    failed_record,
    split_lines,
)
from carrefour.domain.errors import CarrefourError
from carrefour.domain.vouchers import Voucher, parse_voucher

__all__ = ["MALFORMED_JSON", "parse_jsonl", "write_jsonl"]

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


def _decode_object(line: str) -> dict[str, Any] | str:
    """The object on the line, or why it is not one."""
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


def parse_jsonl(content: bytes, *, today: date) -> ParsedBatch:
    """Parse a JSON Lines batch. Raises ``BatchFormatError`` (``encoding``, ``empty``)."""
    lines = split_lines(decode_utf8(content))
    if not lines:
        raise BatchFormatError("empty", "the file holds no record (only blank lines)")
    records: list[BatchRecord] = []
    for number, line in lines:
        decoded = _decode_object(line)
        if isinstance(decoded, str):
            records.append(BatchRecord(number, None, MALFORMED_JSON, decoded, line))
            continue
        try:
            voucher = parse_voucher(decoded, today=today)
        except CarrefourError as error:
            records.append(failed_record(number, line, error))
            continue
        records.append(BatchRecord(number, voucher, None, None, line))
    return ParsedBatch(format="jsonl", records=records, declared_count=None)


def write_jsonl(vouchers: Iterable[Voucher | Mapping[str, Any]]) -> bytes:
    """A JSON Lines batch of these vouchers (``Voucher`` or raw mappings), one per line."""
    lines = (
        json.dumps(v.payload() if isinstance(v, Voucher) else dict(v), ensure_ascii=False)
        for v in vouchers
    )
    return "".join(line + "\n" for line in lines).encode("utf-8")
