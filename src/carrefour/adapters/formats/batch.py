"""A batch file of contribution vouchers: its records, its errors, and format detection.

Two formats (docs/formats.md): JSON Lines (``jsonl``, ``formats.jsonlines``) and the classic
fixed-width records (``fixed``, ``formats.fixedwidth``). Errors come at two levels:

* ``BatchFormatError``: the whole file is unusable (not UTF-8, no header or trailer, a trailer
  count that does not match, nothing in it, unknown format); nothing of it is routed;
* a ``BatchRecord`` with ``error_code``/``error``: one record is refused (its line number and
  raw text say which), the others go through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import msgspec

from carrefour.domain.errors import CarrefourError
from carrefour.domain.vouchers import Voucher

__all__ = [
    "BATCH_FORMATS",
    "FORMAT_ERROR_CODES",
    "UTF8_BOM",
    "BatchFormatError",
    "BatchRecord",
    "Content",
    "ParsedBatch",
    "Pieces",
    "accepted_record",
    "count_lines",
    "decode_utf8",
    "detect_format",
    "failed_record",
    "head",
    "iter_lines",
    "line_blocks",
    "parse_batch",
    "pieces_of",
    "refused_record",
    "split_lines",
    "whole",
]

#: The formats ``parse_batch`` reads.
BATCH_FORMATS: Final = ("jsonl", "fixed")

#: The stable codes of ``BatchFormatError``.
FORMAT_ERROR_CODES: Final = (
    "encoding",
    "header",
    "trailer",
    "count-mismatch",
    "empty",
    "unknown-format",
)

UTF8_BOM: Final = b"\xef\xbb\xbf"
_BLANK_BYTES: Final = b" \t\r\n"
_PIECE: Final = 1 << 20


class BatchRecord(msgspec.Struct, frozen=True, gc=False):
    """One record of a batch: its 1-based physical ``line`` in the file, and either the parsed
    ``voucher`` or an ``error_code`` (the domain error's code, or a format code such as
    ``malformed-json`` or ``truncated``) with a human ``error``. ``raw`` is the line as read,
    without its line terminator. ``field`` names the offending field when known.

    A msgspec Struct: a batch makes one per line, and a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) would cost more than decoding the line."""

    line: int
    voucher: Voucher | None
    error_code: str | None
    error: str | None
    raw: str
    field: str | None = None

    @property
    def ok(self) -> bool:
        return self.voucher is not None


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """A parsed batch file. ``declared_count`` is the fixed-width trailer's count (``None`` for
    JSON Lines); ``sender`` and ``created`` come from the fixed-width header."""

    format: str
    records: Sequence[BatchRecord]  # a list, or a stream parsed as it is read (JSON Lines)
    declared_count: int | None
    sender: str | None = None
    created: date | None = None

    @property
    def vouchers(self) -> list[Voucher]:
        return [r.voucher for r in self.records if r.voucher is not None]

    @property
    def errors(self) -> list[BatchRecord]:
        return [r for r in self.records if r.voucher is None]


def accepted_record(line: int, raw: str, voucher: Voucher) -> BatchRecord:
    """The record of a line whose voucher was accepted."""
    return BatchRecord(line, voucher, None, None, raw)


def refused_record(line: int, raw: str, code: str, error: str) -> BatchRecord:
    """The record of a line refused by its format (``code``, e.g. ``malformed-json``)."""
    return BatchRecord(line, None, code, error, raw)


class BatchFormatError(Exception):
    """The whole file is unusable. ``code`` is one of ``FORMAT_ERROR_CODES``; ``line`` the
    1-based line where the problem was found, when known."""

    def __init__(self, code: str, message: str, *, line: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.line = line


def failed_record(line: int, raw: str, error: CarrefourError) -> BatchRecord:
    """The record of a line refused by the domain: its error's code, detail and field."""
    found = error.extra.get("field")
    return BatchRecord(
        line, None, error.code, error.detail, raw, found if isinstance(found, str) else None
    )


def decode_utf8(content: bytes) -> str:
    """The content as text: UTF-8, a leading byte-order mark dropped.

    Raises ``BatchFormatError("encoding")`` naming the first invalid byte's offset and line.
    """
    skip = len(UTF8_BOM) if content.startswith(UTF8_BOM) else 0
    try:
        return content[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skip + error.start
        raise _not_utf8(offset, content.count(b"\n", 0, offset) + 1, content[offset]) from None


def _not_utf8(offset: int, line: int, byte: int) -> BatchFormatError:
    """The ``encoding`` error of the first invalid byte, at ``offset`` on ``line``."""
    return BatchFormatError(
        "encoding",
        f"byte {offset} (line {line}) is 0x{byte:02x}, not valid UTF-8; "
        "batch files are encoded in UTF-8",
        line=line,
    )


#: A batch file read as pieces: a function that reads it again from its start each time it is
#: called, each piece ending after a newline (but the last), so that no line and no UTF-8
#: sequence is cut. A file given as ``bytes`` is cut into pieces here.
Pieces = Callable[[], Iterable[bytes]]
Content = bytes | Pieces


def pieces_of(content: bytes, size: int = _PIECE) -> Iterator[bytes]:
    """``content`` in pieces of about ``size`` bytes, each cut after a newline."""
    start = 0
    while start < len(content):
        cut = content.find(b"\n", start + size)
        end = len(content) if cut < 0 else cut + 1
        yield content[start:end]
        start = end


def _read(content: Content) -> Iterator[bytes]:
    """The pieces of ``content`` (a piece larger than about 1 MiB cut again)."""
    if isinstance(content, bytes):
        yield from pieces_of(content)
        return
    for piece in content():
        yield from pieces_of(piece) if len(piece) > 2 * _PIECE else (piece,)


def whole(content: Content) -> bytes:
    """``content`` as one ``bytes`` (for a format read whole: fixed-width)."""
    return content if isinstance(content, bytes) else b"".join(content())


def head(content: Content) -> bytes:
    """The start of ``content``, up to and with its first piece holding a non-blank byte."""
    if isinstance(content, bytes):
        return content
    found = b""
    for piece in _read(content):
        found += piece
        if found.removeprefix(UTF8_BOM).lstrip(_BLANK_BYTES):
            break
    return found


def _texts(content: Content) -> Iterator[str]:
    """The text of each piece of UTF-8 ``content``, a leading byte-order mark dropped. Raises
    ``BatchFormatError("encoding")`` naming the first invalid byte's offset and line."""
    offset = lines = 0
    for piece in _read(content):
        skip = len(UTF8_BOM) if offset == 0 and piece.startswith(UTF8_BOM) else 0
        try:
            text = (piece[skip:] if skip else piece).decode("utf-8")
        except UnicodeDecodeError as error:
            at = skip + error.start
            line = lines + piece.count(b"\n", 0, at) + 1
            raise _not_utf8(offset + at, line, piece[at]) from None
        offset += len(piece)
        lines += piece.count(b"\n")
        yield text


def line_blocks(content: Content) -> Iterator[tuple[int, str]]:
    """The text of UTF-8 ``content`` (a leading byte-order mark dropped) about 1 MiB at a time,
    in whole lines: (the 1-based number of its first line, its text without the ``\\n`` of its
    last line). A block's lines are ``text.split("\\n")``, blank lines and ``\\r`` kept; the
    whole file is never decoded at once. Raises ``BatchFormatError("encoding")`` as
    ``iter_lines`` does."""
    number = 1
    for text in _texts(content):
        body = text[:-1] if text.endswith("\n") else text
        yield number, body
        number += body.count("\n") + 1


def _line_pieces(content: Content) -> Iterator[list[str]]:
    """The lines of UTF-8 ``content`` without their ``\\n``, a block at a time
    (``line_blocks``)."""
    for _, body in line_blocks(content):
        yield body.split("\n")


def iter_lines(content: Content) -> Iterator[tuple[int, str]]:
    """``split_lines`` of UTF-8 ``content``, one line at a time (``BatchFormatError`` at the
    first piece that is not UTF-8)."""
    number = 0
    for piece in _line_pieces(content):
        for line in piece:
            number += 1
            if line.endswith("\r"):
                line = line[:-1]
            if line.strip():
                yield number, line


def count_lines(content: Content) -> int:
    """How many lines ``iter_lines`` yields (``BatchFormatError`` if ``content`` is not
    UTF-8)."""
    count = 0
    for _, body in line_blocks(content):
        lines = body.count("\n") + 1
        if body.count("\n{") + body.startswith("{") == lines:  # every line opens an object
            count += lines
            continue
        piece = body.split("\n")
        count += lines - sum(1 for line in piece if line[:1] != "{" and not line.strip())
    return count


def split_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line without its ``\\n`` or ``\\r\\n``) of every non-blank line.

    Only ``\\n`` ends a line (with an optional ``\\r`` before it)."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip():
            found.append((number, line))
    return found


def detect_format(content: bytes) -> str:
    """``jsonl`` when the first non-blank byte is ``{``, ``fixed`` when it is ``0`` (a header
    record). Raises ``BatchFormatError`` (``empty`` or ``unknown-format``) otherwise."""
    body = content[len(UTF8_BOM) :] if content.startswith(UTF8_BOM) else content
    first = body.lstrip(_BLANK_BYTES)[:1]
    if not first:
        raise BatchFormatError("empty", "the file holds no record")
    if first == b"{":
        return "jsonl"
    if first == b"0":
        return "fixed"
    raise BatchFormatError(
        "unknown-format",
        f"cannot tell the format from the first byte {first!r}: a JSON Lines file starts with "
        "'{', a fixed-width file with its header record '0'",
        line=content.count(b"\n", 0, len(content) - len(body.lstrip(_BLANK_BYTES))) + 1,
    )


def parse_batch(
    content: Content, *, format: str | None, today: date, stream: bool = False
) -> ParsedBatch:
    """Parse a batch file of vouchers.

    ``format`` is ``"jsonl"``, ``"fixed"`` or ``None`` (detect it, ``detect_format``). ``today``
    is the day of receipt (no voucher period may begin after it). Raises ``BatchFormatError``
    when the whole file is unusable; a record that is not a valid voucher becomes a
    ``BatchRecord`` with an error. ``stream``: JSON Lines records are parsed as they are
    iterated, so that memory does not grow with the file (``JsonLinesStream``).
    """
    chosen = detect_format(head(content)) if format is None else format
    if chosen == "jsonl":
        from carrefour.adapters.formats.jsonlines import parse_jsonl, stream_jsonl

        if stream:
            return stream_jsonl(content, today=today)
        return parse_jsonl(whole(content), today=today)
    if chosen == "fixed":
        from carrefour.adapters.formats.fixedwidth import parse_fixed

        return parse_fixed(whole(content), today=today)
    raise BatchFormatError(
        "unknown-format",
        f"unknown batch format {format!r}; known formats: {', '.join(BATCH_FORMATS)}",
    )
