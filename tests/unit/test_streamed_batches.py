"""JSON Lines read as a stream: the same records, errors and line numbers as the whole-file
parse, a repeated key refused however it is written, and whole-file errors before any record."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from carrefour.adapters.formats.batch import BatchFormatError
from carrefour.adapters.formats.jsonlines import parse_jsonl, stream_jsonl
from carrefour.cli.batches import file_pieces
from tests.support import employee, make_niss

TODAY = date(2025, 6, 2)


def test_a_streamed_file_has_the_records_of_the_whole_file_parse() -> None:
    good = [json.dumps(employee(make_niss())) for _ in range(5)]
    lines = [
        "\ufeff" + good[0],
        "",
        good[1] + "\r",
        "   ",
        '{"kind": "employee", "niss": "12345678901"}',
        "not json",
        "[1, 2]",
        good[2].replace('"kind": "employee"', '"kind": "employee", "kind": "employee"'),
        good[3].replace('"kind":', '"kind" :', 1).replace("}", ', "kind": "employee"}'),
        '{"kind": "employee", "x": {"a": 1, "a": 2}}',
        '{"kind": "employee", "days_worked": NaN}',
        good[4],
    ]
    content = "\n".join(lines).encode()
    whole = parse_jsonl(content, today=TODAY).records
    streamed = stream_jsonl(content, today=TODAY).records
    assert len(streamed) == len(whole) == 10
    assert list(streamed) == list(whole)
    assert streamed[3] == whole[3]
    codes = [(r.line, r.error_code) for r in streamed]
    assert [codes[0], codes[1], codes[-1]] == [(1, None), (3, None), (12, None)]
    repeated = [r for r in streamed if r.error and "duplicate key" in r.error]
    assert [r.line for r in repeated] == [8, 9, 10]
    assert [r.error_code for r in streamed if r.line in (6, 7, 11)] == ["malformed-json"] * 3


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"\n  \n\r\n", "empty"), (b'{"kind": "employee"}\n\xff\xfe\n', "encoding")],
)
def test_a_file_unusable_as_a_whole_is_refused_before_any_record_is_read(
    content: bytes, code: str
) -> None:
    with pytest.raises(BatchFormatError) as raised:
        stream_jsonl(content, today=TODAY)
    assert raised.value.code == code
    if code == "encoding":
        assert "line 2" in raised.value.message


def _file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "batch.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n")
    return path


@pytest.mark.parametrize("size", [1, 40, 300, 1 << 20])
def test_a_file_read_in_pieces_has_the_records_and_lines_of_the_whole_file(
    tmp_path: Path, size: int
) -> None:
    """A file on disk is read, hashed, stored and parsed a piece at a time (each cut after a
    newline): however small the pieces, the records, their line numbers and their errors are
    those of the whole file."""
    lines = ["\ufeff" + json.dumps(employee(make_niss())), "", "not json"]
    lines += [json.dumps(employee(make_niss(), days_worked=n)) + "\r" for n in range(1, 30)]
    path = _file(tmp_path, lines)
    pieces = file_pieces(path, size)
    read = list(pieces())
    assert b"".join(read) == path.read_bytes()
    assert all(piece.endswith(b"\n") for piece in read)
    assert len(read) > 1 or size == 1 << 20
    whole = stream_jsonl(path.read_bytes(), today=TODAY).records
    streamed = stream_jsonl(pieces, today=TODAY).records
    assert len(streamed) == len(whole) == 31
    assert list(streamed) == list(whole)
    assert [r.line for r in streamed][:3] == [1, 3, 4]


def test_a_byte_that_is_not_utf8_in_a_later_piece_is_named_by_its_offset_and_line(
    tmp_path: Path,
) -> None:
    lines = [json.dumps(employee(make_niss())) for _ in range(20)]
    path = _file(tmp_path, lines)
    content = path.read_bytes()
    at = content.index(b"\n", len(content) // 2) + 3  # inside line 12 or so
    broken = content[:at] + b"\xff" + content[at + 1 :]
    path.write_bytes(broken)
    with pytest.raises(BatchFormatError) as whole:
        stream_jsonl(broken, today=TODAY)
    with pytest.raises(BatchFormatError) as pieces:
        stream_jsonl(file_pieces(path, 64), today=TODAY)
    assert pieces.value.code == whole.value.code == "encoding"
    assert pieces.value.message == whole.value.message
    line = broken.count(b"\n", 0, at) + 1
    assert f"byte {at} (line {line})" in pieces.value.message
