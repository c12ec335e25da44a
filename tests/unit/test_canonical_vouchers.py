"""The quick path of batch files: canonical identifiers and employee lines taken as they are.

Every property compares the quick path with the careful one (``parse_niss``,
``parse_enterprise_number``, ``parse_voucher`` behind ``_record``) on random valid and invalid
input: the quick path may decline a line, never judge it differently.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from carrefour.adapters.formats import batch, jsonlines
from carrefour.adapters.formats.batch import BatchRecord, count_lines, iter_lines, split_lines
from carrefour.adapters.formats.jsonlines import _quick_record, _record, parse_jsonl, stream_jsonl
from carrefour.domain.errors import InvalidEnterpriseNumber, InvalidNiss
from carrefour.domain.identifiers import (
    NissKind,
    build_enterprise_number,
    build_niss,
    is_canonical_enterprise_number,
    is_canonical_niss,
    parse_enterprise_number,
    parse_niss,
)
from carrefour.domain.messages import canonical_payload
from carrefour.domain.vouchers import CanonicalVouchers, Voucher, parse_voucher
from carrefour.services.messages import canonical_bytes, encode
from tests.support import employee

TODAY = date(2025, 6, 2)

PLAIN_LINE: dict[str, Any] = employee("68060105329")


def _careful_niss(text: str) -> str | None:
    try:
        return parse_niss(text).value
    except InvalidNiss:
        return None


def _careful_enterprise(text: str) -> str | None:
    try:
        return parse_enterprise_number(text)
    except InvalidEnterpriseNumber:
        return None


def _built_niss(year: int, month: int, day: int, sequence: int, bis: int) -> str | None:
    kind = NissKind.BIS if bis else NissKind.REGISTER
    try:
        return build_niss(
            year=year, month=month, day=day, sequence=sequence, kind=kind, sex_known=bis != 1
        )
    except ValueError:  # a day the month does not have
        return None


valid_nisses = st.builds(
    _built_niss,
    st.integers(1900, 2099),
    st.integers(0, 12),
    st.integers(0, 31),
    st.integers(0, 999),
    st.sampled_from([0, 0, 1, 2]),
).filter(lambda text: text is not None)
near_nisses = st.one_of(
    st.text("0123456789", min_size=10, max_size=12),
    valid_nisses.map(lambda text: text[:10] + str((int(text[10]) + 1) % 10)),
    valid_nisses.map(lambda text: f"{text[:2]}.{text[2:4]}.{text[4:6]}-{text[6:9]}.{text[9:]}"),
    valid_nisses.map(lambda text: f" {text}"),
    st.text("0123456789 .-/a\u0663", max_size=13),
)
nisses = st.one_of(valid_nisses, near_nisses)

valid_enterprises = st.builds(
    lambda head, rest: build_enterprise_number(f"{head}{rest:07d}"),
    st.sampled_from("01"),
    st.integers(0, 9_999_999),
)
enterprises = st.one_of(
    valid_enterprises,
    valid_enterprises.map(lambda text: text[:9] + str((int(text[9]) + 1) % 10)),
    valid_enterprises.map(lambda text: f"{text[:4]}.{text[4:7]}.{text[7:]}"),
    valid_enterprises.map(lambda text: "BE" + text),
    valid_enterprises.map(lambda text: text[1:]),
    st.text("0123456789", min_size=9, max_size=11),
    st.text("0123456789 .BE\u0663", max_size=12),
)


@settings(max_examples=400)
@given(nisses)
@example("00022900097")  # 29 February 1900: not a leap year
@example("00022900000")
@example("00022900014")  # 29 February 2000
@example("00422900134")  # a BIS number (month + 40) of 29 February 2000
@example("00422900105")  # ... of 29 February 1900, which did not exist
@example("00443100185")  # a BIS number of 31 April
@example("00133100133")  # month 13
def test_a_niss_is_canonical_exactly_when_parse_niss_gives_it_back_unchanged(text: str) -> None:
    assert is_canonical_niss(text) == (_careful_niss(text) == text)


@settings(max_examples=300)
@given(enterprises)
def test_an_enterprise_number_is_canonical_exactly_when_parsing_gives_it_back(text: str) -> None:
    assert is_canonical_enterprise_number(text) == (_careful_enterprise(text) == text)


# --- employee lines ----------------------------------------------------------------------------

MISSING = object()

field_values: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from(["employee", "employee", " employee", "Employee", "pension", None]),
    "niss": st.one_of(valid_nisses, valid_nisses, near_nisses, st.integers(0, 99)),
    "period": st.sampled_from(
        [
            *("2025Q1", "2025Q1", "2024Q4", "2025Q2", "2025Q3", "2025q1", " 2025Q1", "2025-Q1"),
            *("2025Q5", "0000Q1", "2025", "2025-03", "", "2024Q1 "),
        ]
    ),
    "ct1": st.sampled_from(
        ["110", "110", "495", "410", "11", " 110", "1100", "\u0661\u0661\u0660"]
    ),
    "ct2": st.sampled_from(["460", "461", "460 ", "46", "abc", "000"]),
    "reference": st.one_of(
        st.just(MISSING),
        st.none(),
        st.text(max_size=45),
        st.text("AZaz09 -/", max_size=45),
        st.sampled_from(["", "  ", " ONSS-1 ", "réf été", "a\tb", "x" * 41, " " + "x" * 40]),
    ),
    "employer": st.one_of(valid_enterprises, valid_enterprises, enterprises),
    "days_worked": st.one_of(
        st.integers(0, 80), st.integers(-3, 100), st.sampled_from([True, 60.0, "60", None])
    ),
    "hours_worked": st.one_of(
        st.integers(0, 2300).map(lambda cents: cents / 4),
        st.floats(-1, 2300, allow_nan=False),
        st.integers(-2, 2300),
        st.sampled_from([0, 0.0, -0.0, 456.555, 0.1 + 0.2, 2160.0, 2160.01, 1e-7, 1e300, "456.5"]),
    ),
    "working_time_fraction": st.one_of(
        st.sampled_from([1, 1.0, 0.5, 0.333333, 0.3333333, 1e-7, 0, -0.5, 1.5, 2, True]),
        st.floats(0, 1.2, allow_nan=False),
        st.sampled_from(["19/38", "20 / 38", "38/38", "1/0", "0.5", " 0.5", "39/38", "half"]),
    ),
}
extra_fields = st.dictionaries(
    st.sampled_from(["cas", "days", "Niss", "comment"]), st.integers(0, 3), max_size=1
)
SEPARATORS = [(", ", ": "), (",", ":"), (" , ", " : "), (",\t", ":")]


@st.composite
def employee_lines(draw: st.DrawFn) -> str:
    """A JSON Lines line of an employee voucher, mostly valid, with random faults: values not
    canonical or not valid, fields missing or unknown or repeated, escapes, other spacing."""
    record: dict[str, Any] = {}
    for name, values in field_values.items():
        canonical = PLAIN_LINE.get(name, MISSING)
        value = draw(values) if draw(st.integers(0, 5)) == 3 else canonical
        if name == "reference" and canonical is MISSING:
            value = draw(values)
        if value is not MISSING and draw(st.integers(0, 60)) != 37:  # sometimes missing
            record[name] = value
    if draw(st.integers(0, 6)) == 4:
        record.update(draw(extra_fields))
    items = list(record.items())
    if draw(st.booleans()):
        items = draw(st.permutations(items))
    item, key = draw(st.sampled_from(SEPARATORS))
    ascii_only = draw(st.integers(0, 4)) == 2
    parts = [
        json.dumps(name) + key + json.dumps(value, ensure_ascii=ascii_only) for name, value in items
    ]
    if items and draw(st.integers(0, 8)) == 5:  # a key written twice
        parts.append(draw(st.sampled_from(parts)).replace(key, draw(st.sampled_from([key, " :"]))))
    line = "{" + item.join(parts) + "}"
    if draw(st.integers(0, 12)) == 7:
        line = line.replace('"hours_worked": 0', '"hours_worked": -0')
    if draw(st.integers(0, 20)) == 13:
        line = line[: draw(st.integers(0, len(line)))]
    return line


def _seen(record: BatchRecord) -> tuple[Any, ...]:
    """What a user of the record sees, the payload as JSON (so 1.0 is not 1, nor -0.0 0.0)."""
    voucher = record.voucher
    shown = None
    if voucher is not None:
        shown = (
            json.dumps(voucher.payload()),
            voucher.kind,
            voucher.period,
            voucher.period_label,
            [type(value).__name__ for value in voucher.details.values()],
        )
    return (record.line, record.error_code, record.error, record.field, record.raw, shown)


@settings(max_examples=1000, deadline=None)
@given(employee_lines())
@example(json.dumps(PLAIN_LINE))
@example(json.dumps({**PLAIN_LINE, "hours_worked": 0.0}).replace("0.0", "-0"))
@example(json.dumps(PLAIN_LINE).replace('"ct1"', '"ct2": "461", "ct1"'))
@example(json.dumps(PLAIN_LINE).replace('"ct1"', '"ct2" : "461", "ct1"'))
@example(json.dumps({**PLAIN_LINE, "reference": "caf\u00e9"}))
@example(json.dumps({**PLAIN_LINE, "reference": "caf\u00e9"}, ensure_ascii=False))
def test_the_quick_path_takes_a_line_exactly_as_the_careful_path_does(line: str) -> None:
    quick = _quick_record(7, line, CanonicalVouchers(today=TODAY))
    careful = _record(7, line, TODAY)
    if quick is not None:
        assert careful.ok
        assert _seen(quick) == _seen(careful)
        assert quick.voucher is not None
        _check_plain_payload(quick.voucher)


def _check_plain_payload(voucher: Voucher) -> None:
    """A voucher's ``plain_payload`` is its payload, keys sorted, written by the fast encoder as
    the standard library writes it (the digest of its message); only a fraction too small to
    write without an exponent leaves it out."""
    payload = voucher.payload()
    plain = voucher.plain_payload
    if plain is None:
        assert payload["working_time_fraction"] < 1e-4
        return
    assert list(plain) == sorted(payload)
    assert [(k, type(v)) for k, v in plain.items()] == sorted(
        (k, type(v)) for k, v in payload.items()
    )
    assert plain == payload
    assert canonical_bytes(plain, plain=True) == canonical_payload(payload)
    assert encode(plain, plain=True) == encode(payload)


def test_a_plain_onss_line_takes_the_quick_path() -> None:
    line = json.dumps({**PLAIN_LINE, "reference": " ONSS-2025Q1-1 "})
    quick = _quick_record(1, line, CanonicalVouchers(today=TODAY))
    assert quick is not None
    assert _seen(quick) == _seen(_record(1, line, TODAY))
    assert quick.voucher is not None
    assert quick.voucher.reference == "ONSS-2025Q1-1"


@pytest.mark.parametrize(
    "changes",
    [
        {"working_time_fraction": "20/38"},
        {"working_time_fraction": 0.52631578},  # kept to 6 decimals, as parse_voucher does
        {"reference": None},
        {"reference": "réf. été"},
        {"hours_worked": 585},
    ],
)
def test_canonical_vouchers_give_the_voucher_parse_voucher_gives(changes: dict[str, Any]) -> None:
    line = json.dumps({**PLAIN_LINE, **changes}, ensure_ascii=False)
    quick = _quick_record(1, line, CanonicalVouchers(today=TODAY))
    assert quick is not None
    assert quick.voucher == parse_voucher(json.loads(line), today=TODAY)
    assert _seen(quick) == _seen(_record(1, line, TODAY))
    _check_plain_payload(quick.voucher)


def test_a_fraction_written_with_an_exponent_keeps_the_careful_encoding() -> None:
    line = json.dumps({**PLAIN_LINE, "working_time_fraction": 0.00005})
    quick = _quick_record(1, line, CanonicalVouchers(today=TODAY))
    assert quick is not None
    assert quick.voucher is not None
    assert quick.voucher.plain_payload is None
    assert b'"working_time_fraction":5e-05' in canonical_bytes(quick.voucher.payload())


def test_a_voucher_parse_voucher_builds_carries_no_plain_payload() -> None:
    assert parse_voucher(PLAIN_LINE, today=TODAY).plain_payload is None


def test_a_future_period_is_left_to_the_careful_path_for_its_message() -> None:
    line = json.dumps({**PLAIN_LINE, "period": "2025Q3"})
    assert _quick_record(1, line, CanonicalVouchers(today=TODAY)) is None
    refused = _record(1, line, TODAY)
    assert refused.error_code == "invalid-period"
    assert refused.field == "period"


@settings(max_examples=100, deadline=None)
@given(st.lists(employee_lines(), min_size=1, max_size=30), st.sampled_from(["\n", "\r\n"]))
def test_a_whole_file_gives_the_careful_records_streamed_or_not(
    lines: list[str], ending: str
) -> None:
    content = ending.join(lines).encode("utf-8")
    careful = [_seen(_record(number, line, TODAY)) for number, line in iter_lines(content)]
    assume(careful)  # a file of blank lines is refused whole
    assert [_seen(record) for record in stream_jsonl(content, today=TODAY).records] == careful
    assert [_seen(record) for record in parse_jsonl(content, today=TODAY).records] == careful


@settings(max_examples=150, deadline=None)
@given(
    st.lists(employee_lines(), min_size=2, max_size=40),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(2, 8),
)
@example([json.dumps(PLAIN_LINE)] * 4, "\n", 2)
@example(
    [json.dumps(PLAIN_LINE), json.dumps(PLAIN_LINE).replace('"ct1"', '"ct2": "461", "ct1"')],
    "\n",
    2,
)
@example([json.dumps(PLAIN_LINE)[:-1] + ",", '"kind": "employee"}', "{}, {}"], "\n", 2)
def test_lines_decoded_a_block_at_a_time_give_the_careful_records(
    lines: list[str], ending: str, smallest: int
) -> None:
    content = ending.join(lines).encode("utf-8")
    careful = [_seen(_record(number, line, TODAY)) for number, line in iter_lines(content)]
    assume(careful)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonlines, "_SMALLEST_BLOCK", smallest)  # every block decoded at once
        assert [_seen(record) for record in stream_jsonl(content, today=TODAY).records] == careful


# --- lines of a file read a piece at a time ----------------------------------------------------


@settings(max_examples=300)
@given(
    st.text(st.sampled_from(["{", "a", " ", "\t", "\r", "\n", "\n", "\u00a0", "\u2028", "é"])),
    st.booleans(),
    st.integers(1, 9),
)
def test_lines_read_in_pieces_are_the_lines_of_the_whole_text(
    text: str, bom: bool, piece: int
) -> None:
    content = (batch.UTF8_BOM if bom else b"") + text.encode("utf-8")
    expected = split_lines(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "_PIECE", piece)
        assert list(iter_lines(content)) == expected
        assert count_lines(content) == len(expected)


# --- the canonical payload a digest covers -----------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200)
@given(st.dictionaries(st.text(), json_values, max_size=8))
def test_the_canonical_payload_is_sorted_compact_unescaped_json(payload: dict[str, Any]) -> None:
    expected = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_payload(payload) == expected.encode()
