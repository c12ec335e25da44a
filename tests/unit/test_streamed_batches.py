"""JSON Lines read as a stream: the same records, errors and line numbers as the whole-file
parse, a repeated key refused however it is written, and whole-file errors before any record."""

from __future__ import annotations

import json
from datetime import date

import pytest

from carrefour.adapters.formats.batch import BatchFormatError
from carrefour.adapters.formats.jsonlines import parse_jsonl, stream_jsonl
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
