"""NISS and enterprise numbers: known values, each rejection reason, and properties."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carrefour.domain.errors import InvalidEnterpriseNumber, InvalidNiss
from carrefour.domain.identifiers import (
    Niss,
    NissKind,
    Sex,
    build_enterprise_number,
    build_niss,
    enterprise_check_digits,
    format_enterprise_number,
    format_niss,
    is_valid_enterprise_number,
    is_valid_niss,
    niss_check_digits,
    normalize_identifier,
    parse_enterprise_number,
    parse_niss,
)


def with_check_digits(first_nine: str, *, born_2000_or_later: bool = False) -> str:
    return first_nine + niss_check_digits(first_nine, born_2000_or_later=born_2000_or_later)


def niss_error(text: str) -> InvalidNiss:
    with pytest.raises(InvalidNiss) as caught:
        parse_niss(text)
    return caught.value


def enterprise_error(text: str) -> InvalidEnterpriseNumber:
    with pytest.raises(InvalidEnterpriseNumber) as caught:
        parse_enterprise_number(text)
    return caught.value


# --- NISS: known values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "month", "day", "sex", "kind"),
    [
        ("68060105329", 1968, 6, 1, Sex.MALE, NissKind.REGISTER),
        ("85073003328", 1985, 7, 30, Sex.MALE, NissKind.REGISTER),
        ("12060105346", 2012, 6, 1, Sex.MALE, NissKind.REGISTER),
        ("02040500244", 2002, 4, 5, Sex.FEMALE, NissKind.REGISTER),
        ("98472899765", 1998, 7, 28, Sex.MALE, NissKind.BIS),
    ],
)
def test_the_documented_valid_nisses_parse_with_their_birth_date_sex_and_kind(
    text: str, year: int, month: int, day: int, sex: Sex, kind: NissKind
) -> None:
    niss = parse_niss(text)
    assert niss == Niss(
        value=text, kind=kind, birth_year=year, birth_month=month, birth_day=day, sex=sex
    )
    assert niss.birth_date == date(year, month, day)
    assert is_valid_niss(text)


def test_the_documented_invalid_niss_is_refused_for_its_check_digits() -> None:
    error = niss_error("12345678901")
    assert error.reason == "bad-check-digits"
    assert "12345678901" in error.detail
    assert error.extra["value"] == "12345678901"
    assert not is_valid_niss("12345678901")


def test_a_niss_exposes_its_sequence_and_prints_as_its_eleven_digits() -> None:
    niss = parse_niss("68.06.01-053.29")
    assert niss.sequence == 53
    assert str(niss) == "68060105329"
    assert niss.value == "68060105329"


# --- NISS: rejection reasons ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["6806010532", "680601053290", "68.06.01-053"])
def test_a_niss_without_eleven_digits_is_refused_for_its_length(text: str) -> None:
    error = niss_error(text)
    assert error.reason == "length"
    assert text in error.detail


def test_an_empty_niss_is_refused_for_its_length_and_shown_quoted() -> None:
    error = niss_error("")
    assert error.reason == "length"
    assert "''" in error.detail


@pytest.mark.parametrize(
    "text",
    ["6806010532X", "68060I05329", "NISS", "68060105329!", "\u0666\u0668060105329"],
)
def test_a_niss_with_a_character_that_is_not_an_ascii_digit_is_refused_as_non_digit(
    text: str,
) -> None:
    error = niss_error(text)
    assert error.reason == "non-digit"
    assert text in error.detail


def test_a_short_niss_with_a_letter_is_refused_as_non_digit_before_its_length() -> None:
    assert niss_error("12A").reason == "non-digit"


def test_a_niss_of_the_right_length_but_wrong_check_digits_is_refused() -> None:
    error = niss_error("68060105330")
    assert error.reason == "bad-check-digits"
    assert "68060105330" in error.detail
    assert "30" in error.detail


def test_wrong_check_digits_are_reported_before_an_impossible_date() -> None:
    # month 13 and wrong check digits: the check digits are checked first
    text = "681301053" + "00"
    assert niss_error(text).reason == "bad-check-digits"


@pytest.mark.parametrize(
    ("first_nine", "born_2000_or_later"),
    [
        ("681301053", False),  # month 13
        ("681901053", False),  # month 19: neither a month nor a BIS month
        ("683301053", False),  # BIS + 20 month 13
        ("685301053", False),  # BIS + 40 month 13
        ("680632053", False),  # day 32
        ("680631053", False),  # June 31st
        ("680230053", False),  # February 30th
        ("990229053", False),  # February 29th 1999, not a leap year
        ("000229053", False),  # February 29th 1900, not a leap year
        ("680032053", False),  # day 32 with the month unknown
        ("240230053", True),  # February 30th 2024
    ],
)
def test_a_niss_with_an_impossible_birth_date_is_refused_as_bad_date(
    first_nine: str, born_2000_or_later: bool
) -> None:
    text = with_check_digits(first_nine, born_2000_or_later=born_2000_or_later)
    error = niss_error(text)
    assert error.reason == "bad-date"
    assert text in error.detail


def test_the_date_is_checked_in_the_century_the_check_digits_reveal() -> None:
    # February 29th exists in 2000 (leap) but not in 1900
    in_2000 = with_check_digits("000229053", born_2000_or_later=True)
    in_1900 = with_check_digits("000229053", born_2000_or_later=False)
    assert parse_niss(in_2000).birth_date == date(2000, 2, 29)
    assert niss_error(in_1900).reason == "bad-date"


def test_the_detail_of_a_refused_formatted_niss_names_the_value_as_written() -> None:
    error = niss_error("12.34.56-789.01")
    assert error.extra["value"] == "12.34.56-789.01"
    assert "12.34.56-789.01" in error.detail


# --- NISS: formatting and normalizing --------------------------------------------------------


def test_a_niss_is_formatted_with_dots_and_a_dash() -> None:
    assert format_niss("68060105329") == "68.06.01-053.29"
    assert parse_niss("98472899765").formatted() == "98.47.28-997.65"


@pytest.mark.parametrize(
    "text",
    ["68.06.01-053.29", " 68060105329 ", "680601 053 29", "68/06/01-053-29", "68060105329\n"],
)
def test_a_niss_written_with_spaces_and_separators_parses_to_the_same_number(text: str) -> None:
    assert parse_niss(text).value == "68060105329"


def test_formatting_an_invalid_niss_raises() -> None:
    with pytest.raises(InvalidNiss):
        format_niss("12345678901")


def test_normalizing_drops_spaces_dots_dashes_and_slashes_only() -> None:
    assert normalize_identifier(" 68.06.01-053/29 ") == "68060105329"
    assert normalize_identifier("BE 0403.019.261") == "BE0403019261"


# --- NISS: century, BIS, unknown parts --------------------------------------------------------


def test_the_century_is_the_one_whose_check_digits_match() -> None:
    before = with_check_digits("120601053", born_2000_or_later=False)
    after = with_check_digits("120601053", born_2000_or_later=True)
    assert before != after
    assert parse_niss(before).birth_year == 1912
    assert parse_niss(after).birth_year == 2012


def test_a_bis_number_with_month_plus_20_has_unknown_sex() -> None:
    niss = parse_niss(with_check_digits("682601053"))
    assert niss.kind is NissKind.BIS
    assert niss.sex is None
    assert niss.birth_month == 6
    assert niss.birth_date == date(1968, 6, 1)


def test_a_bis_number_with_month_plus_40_has_the_sex_of_its_sequence() -> None:
    male = parse_niss(with_check_digits("684601053"))
    female = parse_niss(with_check_digits("684601054"))
    assert (male.kind, male.birth_month, male.sex) == (NissKind.BIS, 6, Sex.MALE)
    assert (female.kind, female.birth_month, female.sex) == (NissKind.BIS, 6, Sex.FEMALE)


def test_an_even_sequence_is_a_woman_and_an_odd_one_a_man() -> None:
    assert parse_niss(with_check_digits("680601054")).sex is Sex.FEMALE
    assert parse_niss(with_check_digits("680601053")).sex is Sex.MALE


def test_a_niss_with_month_00_has_an_unknown_month_but_may_give_the_day() -> None:
    niss = parse_niss(with_check_digits("680031053"))
    assert niss.birth_month is None
    assert niss.birth_day == 31
    assert niss.birth_date is None
    assert niss.earliest_birth_date == date(1968, 1, 31)


def test_a_niss_with_day_00_has_an_unknown_day_and_begins_on_the_first_of_the_month() -> None:
    niss = parse_niss(with_check_digits("680600053"))
    assert (niss.birth_month, niss.birth_day, niss.birth_date) == (6, None, None)
    assert niss.earliest_birth_date == date(1968, 6, 1)


def test_a_niss_with_an_unknown_birth_date_begins_on_the_first_of_january() -> None:
    niss = parse_niss(with_check_digits("680000053"))
    assert niss.earliest_birth_date == date(1968, 1, 1)
    assert niss.birth_date is None


def test_a_bis_number_with_sex_and_month_unknown_is_written_with_month_20() -> None:
    text = build_niss(year=1970, month=0, day=0, sequence=1, kind=NissKind.BIS, sex_known=False)
    assert text[2:4] == "20"
    niss = parse_niss(text)
    assert (niss.kind, niss.birth_month, niss.sex) == (NissKind.BIS, None, None)


# --- NISS: building ------------------------------------------------------------------------


def test_building_the_documented_numbers_gives_them_back() -> None:
    assert build_niss(year=1968, month=6, day=1, sequence=53) == "68060105329"
    assert build_niss(year=2012, month=6, day=1, sequence=53) == "12060105346"
    assert build_niss(year=1998, month=7, day=28, sequence=997, kind=NissKind.BIS) == (
        "98472899765"
    )


def test_check_digits_follow_97_minus_n_mod_97_with_a_2_prefix_from_2000() -> None:
    assert niss_check_digits("680601053", born_2000_or_later=False) == f"{97 - 680601053 % 97:02d}"
    assert niss_check_digits("120601053", born_2000_or_later=True) == "46"


@pytest.mark.parametrize("first_nine", ["12345678", "1234567890", "12345678a", ""])
def test_check_digits_need_exactly_nine_digits(first_nine: str) -> None:
    with pytest.raises(ValueError, match="9 digits"):
        niss_check_digits(first_nine, born_2000_or_later=False)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"year": 1899, "month": 1, "day": 1, "sequence": 1}, "year 1899"),
        ({"year": 2100, "month": 1, "day": 1, "sequence": 1}, "year 2100"),
        ({"year": 1968, "month": 13, "day": 1, "sequence": 1}, "month 13"),
        ({"year": 1968, "month": -1, "day": 1, "sequence": 1}, "month -1"),
        ({"year": 1968, "month": 2, "day": 30, "sequence": 1}, "day 30"),
        ({"year": 1968, "month": 0, "day": 32, "sequence": 1}, "day 32"),
        ({"year": 1968, "month": 1, "day": -1, "sequence": 1}, "day -1"),
        ({"year": 1968, "month": 1, "day": 1, "sequence": 1000}, "sequence 1000"),
        ({"year": 1968, "month": 1, "day": 1, "sequence": -1}, "sequence -1"),
        ({"year": 1968, "month": 1, "day": 1, "sequence": 1, "sex_known": False}, "always knows"),
    ],
)
def test_building_a_niss_from_nonsense_parts_raises_value_error(
    parts: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_niss(**parts)


# --- NISS: properties ----------------------------------------------------------------------


@dataclass(frozen=True)
class NissParts:
    year: int
    month: int
    day: int
    sequence: int
    kind: NissKind
    sex_known: bool

    def build(self) -> str:
        return build_niss(
            year=self.year,
            month=self.month,
            day=self.day,
            sequence=self.sequence,
            kind=self.kind,
            sex_known=self.sex_known,
        )


@st.composite
def niss_parts(draw: st.DrawFn) -> NissParts:
    year = draw(st.integers(1900, 2099))
    month = draw(st.integers(0, 12))
    max_day = calendar.monthrange(year, month)[1] if month else 31
    day = draw(st.integers(0, max_day))
    sequence = draw(st.integers(1, 998))
    kind = draw(st.sampled_from(NissKind))
    sex_known = True if kind is NissKind.REGISTER else draw(st.booleans())
    return NissParts(year, month, day, sequence, kind, sex_known)


def single_digit_changes(text: str, positions: range) -> list[str]:
    return [text[:i] + d + text[i + 1 :] for i in positions for d in "0123456789" if d != text[i]]


def parse_niss_or_reason(text: str) -> Niss | str:
    """The parsed NISS, or the reason it was refused; any other exception propagates."""
    try:
        return parse_niss(text)
    except InvalidNiss as error:
        return error.reason


def parse_enterprise_number_or_reason(text: str) -> str:
    """The 10 digits, or the reason the number was refused; any other exception propagates."""
    try:
        return parse_enterprise_number(text)
    except InvalidEnterpriseNumber as error:
        return error.reason


def adjacent_transpositions(text: str) -> list[str]:
    return [
        text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        for i in range(len(text) - 1)
        if text[i] != text[i + 1]
    ]


@settings(max_examples=150)
@given(niss_parts())
def test_a_built_niss_parses_back_to_the_parts_it_was_built_from(parts: NissParts) -> None:
    text = parts.build()
    niss = parse_niss(text)
    assert niss.value == text
    assert niss.kind is parts.kind
    assert niss.birth_year == parts.year
    assert niss.birth_month == (parts.month or None)
    assert niss.birth_day == (parts.day or None)
    assert niss.sequence == parts.sequence
    expected_sex = None
    if parts.sex_known:
        expected_sex = Sex.MALE if parts.sequence % 2 else Sex.FEMALE
    assert niss.sex == expected_sex
    assert parse_niss(niss.formatted()) == niss
    assert niss.earliest_birth_date.year == parts.year


@settings(max_examples=60)
@given(niss_parts())
def test_a_mistyped_niss_is_refused_or_parses_but_never_crashes(parts: NissParts) -> None:
    text = parts.build()
    for variant in single_digit_changes(text, range(11)) + adjacent_transpositions(text):
        outcome = parse_niss_or_reason(variant)
        if isinstance(outcome, Niss):
            assert outcome.value == variant
        else:
            assert outcome in {"bad-check-digits", "bad-date"}


@settings(max_examples=60)
@given(niss_parts())
def test_a_changed_digit_among_the_first_nine_is_never_valid_in_the_same_century(
    parts: NissParts,
) -> None:
    text = parts.build()
    original_century = parse_niss(text).birth_year // 100
    for variant in single_digit_changes(text, range(9)) + [
        t for t in adjacent_transpositions(text) if t[9:] == text[9:]
    ]:
        try:
            niss = parse_niss(variant)
        except InvalidNiss:
            continue
        assert niss.birth_year // 100 != original_century


# --- enterprise numbers --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0403019261", "0428759497"])
def test_the_documented_valid_enterprise_numbers_parse(text: str) -> None:
    assert parse_enterprise_number(text) == text
    assert is_valid_enterprise_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "0403.019.261",
        "BE0403019261",
        "be 0403.019.261",
        " 0403 019 261",
        "403019261",
        "403.019.261",
        "BE403019261",
    ],
)
def test_an_enterprise_number_in_any_usual_writing_parses_to_its_ten_digits(text: str) -> None:
    assert parse_enterprise_number(text) == "0403019261"


def test_the_documented_invalid_enterprise_number_is_refused_for_its_check_digits() -> None:
    error = enterprise_error("0431150351")
    assert error.reason == "bad-check-digits"
    assert "0431150351" in error.detail
    assert not is_valid_enterprise_number("0431150351")


def test_an_establishment_unit_number_is_refused_with_bad_prefix() -> None:
    unit = "21234567" + enterprise_check_digits("21234567")
    error = enterprise_error(unit)
    assert error.reason == "bad-prefix"
    assert unit in error.detail
    assert "establishment unit" in error.detail


def test_an_enterprise_number_starting_with_9_is_refused_with_bad_prefix() -> None:
    number = "91234567" + enterprise_check_digits("91234567")
    error = enterprise_error(number)
    assert error.reason == "bad-prefix"
    assert number in error.detail


def test_an_enterprise_number_may_start_with_1() -> None:
    number = build_enterprise_number("10000000")
    assert number[0] == "1"
    assert parse_enterprise_number(number) == number


@pytest.mark.parametrize("text", ["04030192", "04030192611", "BE", "BE04030192611"])
def test_an_enterprise_number_without_ten_or_nine_digits_is_refused_for_its_length(
    text: str,
) -> None:
    error = enterprise_error(text)
    assert error.reason == "length"
    assert text in error.detail


@pytest.mark.parametrize("text", ["04O3019261", "FR0403019261", "0403019261BE", "0403_019_261"])
def test_an_enterprise_number_with_other_characters_is_refused_as_non_digit(text: str) -> None:
    error = enterprise_error(text)
    assert error.reason == "non-digit"
    assert text in error.detail


def test_an_enterprise_number_is_formatted_in_three_groups() -> None:
    assert format_enterprise_number("BE0403019261") == "0403.019.261"
    assert format_enterprise_number("428759497") == "0428.759.497"
    with pytest.raises(InvalidEnterpriseNumber):
        format_enterprise_number("0431150351")


def test_building_an_enterprise_number_adds_97_minus_the_first_eight_mod_97() -> None:
    assert enterprise_check_digits("04030192") == "61"
    assert build_enterprise_number("04287594") == "0428759497"


@pytest.mark.parametrize("first_eight", ["0403019", "040301926", "0403019a"])
def test_enterprise_check_digits_need_exactly_eight_digits(first_eight: str) -> None:
    with pytest.raises(ValueError, match="8 digits"):
        enterprise_check_digits(first_eight)


def test_building_an_establishment_unit_as_an_enterprise_number_raises() -> None:
    with pytest.raises(ValueError, match="establishment units"):
        build_enterprise_number("21234567")


enterprise_first_eight = st.from_regex(r"[01][0-9]{7}", fullmatch=True)


@settings(max_examples=150)
@given(enterprise_first_eight)
def test_a_built_enterprise_number_parses_and_formats_back(first_eight: str) -> None:
    number = build_enterprise_number(first_eight)
    assert number[:8] == first_eight
    assert parse_enterprise_number(number) == number
    assert parse_enterprise_number(format_enterprise_number(number)) == number
    assert parse_enterprise_number("BE" + number) == number


@settings(max_examples=60)
@given(enterprise_first_eight)
def test_a_single_changed_digit_in_an_enterprise_number_is_always_refused(
    first_eight: str,
) -> None:
    number = build_enterprise_number(first_eight)
    for variant in single_digit_changes(number, range(10)):
        with pytest.raises(InvalidEnterpriseNumber) as caught:
            parse_enterprise_number(variant)
        assert caught.value.reason in {"bad-prefix", "bad-check-digits"}


@settings(max_examples=60)
@given(enterprise_first_eight)
def test_a_transposed_enterprise_number_is_refused_or_parses_but_never_crashes(
    first_eight: str,
) -> None:
    number = build_enterprise_number(first_eight)
    for variant in adjacent_transpositions(number):
        outcome = parse_enterprise_number_or_reason(variant)
        assert outcome in {variant, "bad-prefix", "bad-check-digits"}


@settings(max_examples=60)
@given(enterprise_first_eight)
def test_swapping_two_neighbours_among_the_first_eight_digits_is_always_refused(
    first_eight: str,
) -> None:
    # the swap changes the first eight by 9 * 10^k * (a - b), which 97 never divides
    number = build_enterprise_number(first_eight)
    for variant in adjacent_transpositions(number):
        if variant[8:] == number[8:]:
            assert not is_valid_enterprise_number(variant)
