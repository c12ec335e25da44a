"""Batch files of vouchers: fixed-width records and JSON Lines, record errors and file errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carrefour.adapters.formats import (
    BatchFormatError,
    ParsedBatch,
    detect_format,
    parse_batch,
    write_fixed,
    write_jsonl,
)
from carrefour.adapters.formats.fixedwidth import (
    DETAIL_LENGTH,
    HEADER_LENGTH,
    KIND_CODES,
    KIND_COLUMNS,
    TRAILER_LENGTH,
)
from carrefour.domain.identifiers import build_niss
from carrefour.domain.vouchers import parse_voucher

TODAY = date(2025, 6, 2)
CREATED = date(2025, 4, 15)
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "batches"

ONE_OF_EACH: list[dict[str, Any]] = [
    {
        "kind": "employee",
        "niss": "68060105329",
        "period": "2025Q1",
        "ct1": "110",
        "ct2": "460",
        "reference": "ONSS-2025Q1-000001",
        "employer": "0403019261",
        "days_worked": 77,
        "hours_worked": 585.2,
        "working_time_fraction": "20/38",
    },
    {
        "kind": "self-employed",
        "niss": "85073003328",
        "period": "2024",
        "ct1": "410",
        "ct2": "461",
        "cas": "cas-acerta",
        "contributor_category": "A",
        "quarters": ["in-order", "regularised", "exempted", "not-in-order"],
    },
    {
        "kind": "unemployment",
        "niss": "02040500244",
        "period": "2025Q1",
        "ct1": "110",
        "ct2": "460",
        "compensated_days": 40,
        "payment_body": "capac",
    },
    {
        "kind": "work-accident",
        "niss": "68060105329",
        "period": "2025-01-06/2025-02-28",
        "ct1": "110",
        "ct2": "460",
        "days": 54,
        "rate": 33.33,
        "case_number": "AT/2025/000042",
    },
    {
        "kind": "occupational-disease",
        "niss": "85073003328",
        "period": "2024-10-01/2025-02-28",
        "ct1": "110",
        "ct2": "460",
        "days": 151,
        "rate": 100,
        "case_number": "MP-7",
    },
    {
        "kind": "pension",
        "niss": "68060105329",
        "period": "2025-03",
        "ct1": "110",
        "ct2": "460",
        "reference": "Pension de mars, café compris",
        "gross_pension": "1834.20",
        "health_withholding": "65.11",
        "pension_payer": "sfp",
    },
]


def employee(number: int, **overrides: Any) -> dict[str, Any]:
    """The ``number``-th employee voucher of a file: a distinct valid NISS each."""
    niss = build_niss(year=1970 + number % 30, month=1 + number % 12, day=1, sequence=number + 1)
    return {
        "kind": "employee",
        "niss": niss,
        "period": "2025Q1",
        "ct1": "110",
        "ct2": "460",
        "reference": f"REF-{number:06d}",
        "employer": "0403019261",
        "days_worked": number % 78,
        "hours_worked": round(7.6 * (number % 78), 2),
        "working_time_fraction": 1,
    } | overrides


def lines_of(content: bytes) -> list[str]:
    return content.decode("utf-8").split("\n")


def fixed_file(*details: str, count: int | None = None) -> bytes:
    """A fixed-width file around hand-made detail lines."""
    header = write_fixed("onss", CREATED, []).decode().split("\n")[0]
    trailer = f"9{(len(details) if count is None else count):09d}"
    return "\n".join([header, *details, trailer, ""]).encode("utf-8")


def summary(batch: ParsedBatch) -> list[tuple[int, str | None]]:
    return [(record.line, record.error_code) for record in batch.records]


# --- fixed width: round trip and layout ----------------------------------------------------------


def test_a_fixed_width_file_parses_back_to_the_vouchers_it_was_written_from() -> None:
    content = write_fixed("onss", CREATED, ONE_OF_EACH)

    batch = parse_batch(content, format="fixed", today=TODAY)

    assert batch.vouchers == [parse_voucher(v, today=TODAY) for v in ONE_OF_EACH]
    assert [r.line for r in batch.records] == [2, 3, 4, 5, 6, 7]
    assert (batch.format, batch.declared_count) == ("fixed", 6)
    assert (batch.sender, batch.created) == ("onss", CREATED)


def test_writing_the_parsed_vouchers_again_gives_the_same_bytes() -> None:
    content = write_fixed("onss", CREATED, ONE_OF_EACH)

    vouchers = parse_batch(content, format="fixed", today=TODAY).vouchers

    assert write_fixed("onss", CREATED, vouchers) == content


def test_every_record_has_the_fixed_length_of_its_type() -> None:
    header, *details, trailer, end = lines_of(write_fixed("onss", CREATED, ONE_OF_EACH))

    assert (len(header), len(trailer), end) == (HEADER_LENGTH, TRAILER_LENGTH, "")
    assert {len(line) for line in details} == {DETAIL_LENGTH}
    assert header == "0onss                          2025041501"
    assert trailer == "9000000006"


def test_a_detail_record_writes_numbers_zero_padded_amounts_in_cents_and_dates_as_digits() -> None:
    pension = lines_of(write_fixed("pension-cadastre", CREATED, ONE_OF_EACH[5:]))[1]

    assert pension[0:3] == "106"
    assert pension[3:14] == "68060105329"
    assert pension[14:30] == "2025030120250331"
    assert pension[76:96] == "00001834200000006511"
    assert pension[96:].rstrip() == "sfp"


def test_every_kind_has_a_code_and_columns_inside_the_record() -> None:
    assert sorted(KIND_CODES.values()) == ["01", "02", "03", "04", "05", "06"]
    for columns in KIND_COLUMNS.values():
        assert columns[0].start == 77
        assert columns[-1].end <= DETAIL_LENGTH


@settings(max_examples=40, deadline=None)
@given(
    days=st.integers(0, 77),
    hundredths=st.integers(0, 77 * 24 * 100),
    fraction=st.tuples(st.integers(1, 40), st.integers(1, 40)).filter(lambda f: f[0] <= f[1]),
    reference=st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=40),
)
def test_any_employee_voucher_survives_a_fixed_width_round_trip(
    days: int, hundredths: int, fraction: tuple[int, int], reference: str
) -> None:
    data = employee(
        1,
        days_worked=days,
        hours_worked=hundredths / 100,
        working_time_fraction=f"{fraction[0]}/{fraction[1]}",
        reference=reference,
    )

    batch = parse_batch(write_fixed("onss", CREATED, [data]), format="fixed", today=TODAY)

    assert batch.vouchers == [parse_voucher(data, today=TODAY)]


def test_writing_a_value_that_does_not_fit_its_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="voucher 0: reference"):
        write_fixed("onss", CREATED, [employee(1, reference="R" * 41)])
    with pytest.raises(ValueError, match="no fixed-width column"):
        write_fixed("onss", CREATED, [employee(1, note="x")])


# --- fixed width: record errors ------------------------------------------------------------------


def test_a_truncated_detail_line_is_refused_and_the_others_go_through() -> None:
    header, first, second, third, trailer, _ = lines_of(
        write_fixed("onss", CREATED, [employee(1), employee(2), employee(3)])
    )
    content = "\n".join([header, first, second.rstrip(), third, trailer]).encode()

    batch = parse_batch(content, format="fixed", today=TODAY)

    assert summary(batch) == [(2, None), (3, "truncated"), (4, None)]
    assert batch.records[1].raw == second.rstrip()
    assert f"a detail record has {DETAIL_LENGTH}" in (batch.records[1].error or "")


def test_a_detail_line_longer_than_its_record_is_refused() -> None:
    header, first, trailer, _ = lines_of(write_fixed("onss", CREATED, [employee(1)]))
    content = "\n".join([header, first + "X", trailer]).encode()

    assert summary(parse_batch(content, format="fixed", today=TODAY)) == [(2, "overlong")]


def test_a_fixed_width_record_carries_the_domain_error_and_its_field() -> None:
    content = write_fixed("onss", CREATED, [employee(1, niss="12345678901"), employee(2)])

    batch = parse_batch(content, format="fixed", today=TODAY)

    assert summary(batch) == [(2, "invalid-niss"), (3, None)]
    assert batch.records[0].field == "niss"


def test_an_unknown_kind_code_or_record_type_is_refused_per_record() -> None:
    good = lines_of(write_fixed("onss", CREATED, [employee(1)]))[1]
    content = fixed_file("199" + good[3:], "2" + good[1:], good)

    batch = parse_batch(content, format="fixed", today=TODAY)

    assert summary(batch) == [(2, "invalid-code"), (3, "unknown-record-type"), (4, None)]
    assert batch.records[0].field == "kind"


def test_dates_that_are_not_the_kinds_period_are_refused_as_an_invalid_period() -> None:
    good = lines_of(write_fixed("onss", CREATED, [employee(1)]))[1]
    not_a_quarter = good[:14] + "2025010120250215" + good[30:]
    not_a_date = good[:14] + "2025023120250331" + good[30:]

    batch = parse_batch(fixed_file(not_a_quarter, not_a_date), format="fixed", today=TODAY)

    assert summary(batch) == [(2, "invalid-period"), (3, "invalid-period")]
    assert {r.field for r in batch.records} == {"period"}


def test_a_blank_numeric_column_is_a_missing_field_and_letters_are_not_a_number() -> None:
    good = lines_of(write_fixed("onss", CREATED, [employee(1)]))[1]
    blank_days = good[:86] + "   " + good[89:]
    letters = good[:86] + "1O2" + good[89:]

    batch = parse_batch(fixed_file(blank_days, letters), format="fixed", today=TODAY)

    assert summary(batch) == [(2, "invalid-input"), (3, "invalid-input")]
    assert batch.records[0].error == "missing field 'days_worked' for an employee voucher"
    assert batch.records[1].field == "days_worked"


# --- fixed width: file errors --------------------------------------------------------------------


def test_a_trailer_count_different_from_the_detail_records_rejects_the_file() -> None:
    header, first, second, _, _ = lines_of(write_fixed("onss", CREATED, [employee(1), employee(2)]))
    content = "\n".join([header, first, second, "9000000003"]).encode()

    with pytest.raises(BatchFormatError) as caught:
        parse_batch(content, format="fixed", today=TODAY)

    assert (caught.value.code, caught.value.line) == ("count-mismatch", 4)
    assert "declares 3" in caught.value.message


def test_a_file_without_its_trailer_is_rejected() -> None:
    content = write_fixed("onss", CREATED, [employee(1), employee(2)])
    without_trailer = b"\n".join(content.split(b"\n")[:-2])

    with pytest.raises(BatchFormatError) as caught:
        parse_batch(without_trailer, format="fixed", today=TODAY)

    assert (caught.value.code, caught.value.line) == ("trailer", 3)


def test_a_file_without_its_header_is_rejected() -> None:
    content = write_fixed("onss", CREATED, [employee(1)])
    without_header = b"\n".join(content.split(b"\n")[1:])

    with pytest.raises(BatchFormatError) as caught:
        parse_batch(without_header, format="fixed", today=TODAY)

    assert (caught.value.code, caught.value.line) == ("header", 1)


@pytest.mark.parametrize(
    "header",
    [
        "0onss                          2025041502",  # unknown version
        "0onss                          2025133101",  # no such date
        "0                              2025041501",  # no sender
        "0onss                          20250415",  # short
    ],
)
def test_a_malformed_header_rejects_the_file(header: str) -> None:
    good = lines_of(write_fixed("onss", CREATED, [employee(1)]))
    content = "\n".join([header, *good[1:]]).encode()

    with pytest.raises(BatchFormatError) as caught:
        parse_batch(content, format="fixed", today=TODAY)

    assert caught.value.code == "header"


def test_a_second_header_in_the_middle_rejects_the_file() -> None:
    header, first, _, _ = lines_of(write_fixed("onss", CREATED, [employee(1)]))
    content = "\n".join([header, first, header, "9000000002"]).encode()

    with pytest.raises(BatchFormatError, match="second header"):
        parse_batch(content, format="fixed", today=TODAY)


def test_a_file_with_no_detail_record_is_empty() -> None:
    with pytest.raises(BatchFormatError) as caught:
        parse_batch(write_fixed("onss", CREATED, []), format="fixed", today=TODAY)

    assert caught.value.code == "empty"


def test_a_file_with_crlf_line_ends_and_blank_lines_is_read_the_same() -> None:
    content = write_fixed("onss", CREATED, [employee(1), employee(2)])
    windows = content.replace(b"\n", b"\r\n").replace(b"\r\n9", b"\r\n\r\n9")

    batch = parse_batch(windows, format="fixed", today=TODAY)

    assert batch.vouchers == parse_batch(content, format="fixed", today=TODAY).vouchers


# --- JSON Lines ----------------------------------------------------------------------------------


def test_a_json_lines_file_parses_to_its_vouchers() -> None:
    batch = parse_batch(write_jsonl(ONE_OF_EACH), format="jsonl", today=TODAY)

    assert batch.vouchers == [parse_voucher(v, today=TODAY) for v in ONE_OF_EACH]
    assert (batch.format, batch.declared_count) == ("jsonl", None)


def test_json_lines_report_each_bad_line_by_its_number_and_skip_blank_lines() -> None:
    lines = [
        json.dumps(employee(1)),  # 1
        "",  # 2: blank, skipped
        "{not json",  # 3
        "[1, 2]",  # 4
        json.dumps(employee(4, niss="12345678901")),  # 5
        json.dumps(employee(5, days_worked=-1)),  # 6
        '{"kind": "employee", "kind": "pension"}',  # 7: a repeated key
        '{"kind": "employee", "days_worked": NaN}',  # 8
        "   ",  # 9: blank, skipped
        json.dumps(employee(9)),  # 10
    ]
    content = "\n".join(lines).encode("utf-8")

    batch = parse_batch(content, format="jsonl", today=TODAY)

    assert summary(batch) == [
        (1, None),
        (3, "malformed-json"),
        (4, "malformed-json"),
        (5, "invalid-niss"),
        (6, "invalid-input"),
        (7, "malformed-json"),
        (8, "malformed-json"),
        (10, None),
    ]
    assert batch.records[1].raw == "{not json"
    assert "not an object" in (batch.records[2].error or "")
    assert batch.records[4].field == "days_worked"


def test_a_json_lines_file_may_start_with_a_byte_order_mark() -> None:
    content = b"\xef\xbb\xbf" + write_jsonl([employee(1)])

    batch = parse_batch(content, format=None, today=TODAY)

    assert summary(batch) == [(1, None)]


def test_a_json_lines_file_of_blank_lines_is_empty() -> None:
    with pytest.raises(BatchFormatError) as caught:
        parse_batch(b"\n\n  \n", format="jsonl", today=TODAY)

    assert caught.value.code == "empty"


# --- both formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("write", "error_line"),
    [
        (lambda vs: write_jsonl(vs), 2),
        (lambda vs: write_fixed("onss", CREATED, vs), 3),
    ],
    ids=["jsonl", "fixed"],
)
def test_a_latin_1_byte_in_a_utf_8_file_rejects_the_whole_file(write: Any, error_line: int) -> None:
    content = write([employee(1), employee(2, reference="Caf\u00e9 Rio")])
    latin = content.replace("Café".encode(), "Café".encode("latin-1"))

    with pytest.raises(BatchFormatError) as caught:
        parse_batch(latin, format=None, today=TODAY)

    assert (caught.value.code, caught.value.line) == ("encoding", error_line)
    assert "0xe9" in caught.value.message


@pytest.mark.parametrize(
    ("fmt", "first_line"), [("jsonl", 1), ("fixed", 2)], ids=["jsonl", "fixed"]
)
def test_a_tenth_of_bad_records_among_200_leaves_180_vouchers_and_20_errors_by_line(
    fmt: str, first_line: int
) -> None:
    vouchers = [employee(i, niss="12345678901") if i % 10 == 3 else employee(i) for i in range(200)]
    content = write_jsonl(vouchers) if fmt == "jsonl" else write_fixed("onss", CREATED, vouchers)

    batch = parse_batch(content, format=None, today=TODAY)

    assert len(batch.vouchers) == 180
    assert [(r.line, r.error_code) for r in batch.errors] == [
        (first_line + i, "invalid-niss") for i in range(3, 200, 10)
    ]


@pytest.mark.parametrize(
    ("content", "detected"),
    [
        (b'{"kind": "employee"}\n', "jsonl"),
        (b'\n  \r\n{"kind": "employee"}\n', "jsonl"),
        (b"\xef\xbb\xbf{}", "jsonl"),
        (b"0onss                          2025041501\n", "fixed"),
        (b"\n0onss", "fixed"),
    ],
)
def test_the_format_is_told_by_the_first_non_blank_byte(content: bytes, detected: str) -> None:
    assert detect_format(content) == detected


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b" \n\r\n", "empty"),
        (b"kind;niss\n", "unknown-format"),
        (b"1x", "unknown-format"),
    ],
)
def test_a_file_of_no_known_format_is_rejected(content: bytes, code: str) -> None:
    with pytest.raises(BatchFormatError) as caught:
        parse_batch(content, format=None, today=TODAY)

    assert caught.value.code == code


def test_an_unknown_format_name_is_rejected() -> None:
    with pytest.raises(BatchFormatError) as caught:
        parse_batch(write_jsonl([employee(1)]), format="csv", today=TODAY)

    assert caught.value.code == "unknown-format"


def test_a_fixed_width_file_read_as_json_lines_fails_record_by_record() -> None:
    content = write_fixed("onss", CREATED, [employee(1)])

    batch = parse_batch(content, format="jsonl", today=TODAY)

    assert {r.error_code for r in batch.records} == {"malformed-json"}


# --- the documented examples ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"), [("onss-2025Q1.fixed", "fixed"), ("fedris-2025.jsonl", "jsonl")]
)
def test_the_documented_example_files_parse_without_errors(name: str, fmt: str) -> None:
    content = (DATA / name).read_bytes()

    batch = parse_batch(content, format=None, today=TODAY)

    assert batch.format == fmt
    assert len(batch.vouchers) == len(batch.records) == 3
    assert content.decode("utf-8").strip() in (ROOT / "docs" / "formats.md").read_text("utf-8")
