"""Calendar quarters, closed periods and the counting of interruptions in whole quarters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carrefour.domain.errors import InvalidPeriod
from carrefour.domain.periods import (
    Period,
    Quarter,
    parse_date,
    parse_period,
    parse_quarter,
    whole_quarters_between,
)

D = date

# --- quarters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (D(2025, 1, 1), Quarter(2025, 1)),
        (D(2025, 3, 31), Quarter(2025, 1)),
        (D(2025, 4, 1), Quarter(2025, 2)),
        (D(2025, 6, 30), Quarter(2025, 2)),
        (D(2025, 7, 1), Quarter(2025, 3)),
        (D(2025, 9, 30), Quarter(2025, 3)),
        (D(2025, 10, 1), Quarter(2025, 4)),
        (D(2025, 12, 31), Quarter(2025, 4)),
    ],
)
def test_a_day_belongs_to_the_quarter_of_its_month(day: date, quarter: Quarter) -> None:
    assert Quarter.of(day) == quarter


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [
        (Quarter(2024, 1), D(2024, 1, 1), D(2024, 3, 31)),
        (Quarter(2024, 2), D(2024, 4, 1), D(2024, 6, 30)),
        (Quarter(2024, 3), D(2024, 7, 1), D(2024, 9, 30)),
        (Quarter(2024, 4), D(2024, 10, 1), D(2024, 12, 31)),
    ],
)
def test_a_quarter_runs_from_its_first_to_its_last_day(
    quarter: Quarter, first: date, last: date
) -> None:
    assert (quarter.first_day, quarter.last_day) == (first, last)


def test_the_quarter_after_the_fourth_is_the_first_of_next_year() -> None:
    assert Quarter(2024, 4).next() == Quarter(2025, 1)
    assert Quarter(2025, 1).previous() == Quarter(2024, 4)
    assert Quarter(2024, 2).next() == Quarter(2024, 3)


def test_adding_quarters_crosses_years_both_ways() -> None:
    assert Quarter(2024, 3) + 2 == Quarter(2025, 1)
    assert Quarter(2024, 3) + 0 == Quarter(2024, 3)
    assert Quarter(2024, 1) + -1 == Quarter(2023, 4)
    assert Quarter(2024, 1) + 8 == Quarter(2026, 1)


def test_consecutive_quarters_have_consecutive_indexes() -> None:
    assert Quarter(2025, 1).index - Quarter(2024, 4).index == 1
    assert Quarter.from_index(Quarter(2025, 3).index) == Quarter(2025, 3)


def test_quarters_order_by_year_then_number() -> None:
    assert Quarter(2024, 4) < Quarter(2025, 1) < Quarter(2025, 2)
    assert sorted([Quarter(2025, 1), Quarter(2024, 3)]) == [Quarter(2024, 3), Quarter(2025, 1)]


@pytest.mark.parametrize("number", [0, 5, -1])
def test_a_quarter_number_outside_1_to_4_is_refused(number: int) -> None:
    with pytest.raises(InvalidPeriod, match=f"quarter number {number}"):
        Quarter(2025, number)


def test_a_quarter_is_written_yyyyqn() -> None:
    assert str(Quarter(2025, 1)) == "2025Q1"


@pytest.mark.parametrize("text", ["2025Q3", "2025-Q3", "2025q3", " 2025Q3 ", "2025-q3"])
def test_a_quarter_parses_from_yyyyqn_or_yyyy_dash_qn(text: str) -> None:
    assert parse_quarter(text) == Quarter(2025, 3)


@pytest.mark.parametrize(
    "text", ["2025Q5", "2025Q0", "25Q1", "2025", "Q1", "2025 Q1", "2025Q1x", ""]
)
def test_a_malformed_quarter_is_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="is not a quarter"):
        parse_quarter(text)


@settings(max_examples=100)
@given(st.integers(1000, 9998), st.integers(1, 4), st.integers(-40, 40))
def test_quarter_arithmetic_agrees_with_indexes(year: int, number: int, step: int) -> None:
    quarter = Quarter(year, number)
    moved = quarter + step
    assert moved.index == quarter.index + step
    assert quarter.next().first_day == quarter.last_day + timedelta(days=1)
    assert parse_quarter(str(quarter)) == quarter


# --- periods -------------------------------------------------------------------------------


def test_a_period_ending_before_it_begins_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="before begin") as caught:
        Period(D(2025, 2, 1), D(2025, 1, 31))
    assert caught.value.extra == {"begin": "2025-02-01", "end": "2025-01-31"}


def test_a_one_day_period_is_allowed_and_contains_its_day() -> None:
    period = Period(D(2025, 1, 1), D(2025, 1, 1))
    assert period.contains(D(2025, 1, 1))
    assert not period.contains(D(2025, 1, 2))
    assert not period.contains(D(2024, 12, 31))


def test_a_period_without_end_is_open_and_contains_every_later_day() -> None:
    period = Period(D(2025, 1, 1))
    assert period.is_open
    assert period.contains(D(2999, 1, 1))
    assert not period.contains(D(2024, 12, 31))
    assert not Period(D(2025, 1, 1), D(2025, 2, 1)).is_open


def test_a_closed_period_contains_both_its_ends() -> None:
    period = Period(D(2025, 1, 1), D(2025, 3, 31))
    assert period.contains(D(2025, 1, 1))
    assert period.contains(D(2025, 3, 31))
    assert not period.contains(D(2025, 4, 1))


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (Period(D(2025, 1, 1), D(2025, 1, 31)), Period(D(2025, 1, 31), D(2025, 2, 28)), True),
        (Period(D(2025, 1, 1), D(2025, 1, 31)), Period(D(2025, 2, 1), D(2025, 2, 28)), False),
        (Period(D(2025, 1, 1)), Period(D(2030, 1, 1), D(2030, 2, 1)), True),
        (Period(D(2025, 1, 1)), Period(D(2020, 1, 1), D(2024, 12, 31)), False),
        (Period(D(2025, 1, 1)), Period(D(2020, 1, 1)), True),
        (Period(D(2025, 1, 1), D(2025, 12, 31)), Period(D(2025, 3, 1), D(2025, 3, 2)), True),
    ],
)
def test_two_periods_overlap_when_they_share_at_least_one_day(
    a: Period, b: Period, overlap: bool
) -> None:
    assert a.overlaps(b) is overlap
    assert b.overlaps(a) is overlap


def test_a_period_covers_another_only_when_it_holds_every_day_of_it() -> None:
    year = Period(D(2025, 1, 1), D(2025, 12, 31))
    assert year.covers(Period(D(2025, 3, 1), D(2025, 3, 31)))
    assert year.covers(year)
    assert not year.covers(Period(D(2024, 12, 31), D(2025, 1, 31)))
    assert not year.covers(Period(D(2025, 12, 1), D(2026, 1, 1)))
    assert not year.covers(Period(D(2025, 6, 1)))


def test_an_open_period_covers_an_open_period_that_begins_later() -> None:
    assert Period(D(2025, 1, 1)).covers(Period(D(2026, 1, 1)))
    assert Period(D(2025, 1, 1)).covers(Period(D(2026, 1, 1), D(2027, 1, 1)))
    assert not Period(D(2026, 1, 1)).covers(Period(D(2025, 1, 1)))


def test_the_intersection_is_the_shared_days_or_none() -> None:
    a = Period(D(2025, 1, 1), D(2025, 6, 30))
    assert a.intersection(Period(D(2025, 4, 1))) == Period(D(2025, 4, 1), D(2025, 6, 30))
    assert a.intersection(Period(D(2025, 7, 1))) is None
    assert Period(D(2025, 1, 1)).intersection(Period(D(2026, 1, 1))) == Period(D(2026, 1, 1))
    assert a.intersection(Period(D(2025, 6, 30), D(2025, 12, 31))) == Period(
        D(2025, 6, 30), D(2025, 6, 30)
    )


def test_cutting_out_the_middle_leaves_two_periods() -> None:
    year = Period(D(2025, 1, 1), D(2025, 12, 31))
    assert year.minus(Period(D(2025, 4, 1), D(2025, 6, 30))) == [
        Period(D(2025, 1, 1), D(2025, 3, 31)),
        Period(D(2025, 7, 1), D(2025, 12, 31)),
    ]


def test_cutting_out_an_open_tail_leaves_the_head() -> None:
    assert Period(D(2025, 1, 1)).minus(Period(D(2025, 7, 1))) == [
        Period(D(2025, 1, 1), D(2025, 6, 30))
    ]


def test_cutting_out_the_head_of_an_open_period_leaves_an_open_tail() -> None:
    assert Period(D(2025, 1, 1)).minus(Period(D(2024, 1, 1), D(2025, 3, 31))) == [
        Period(D(2025, 4, 1))
    ]


def test_cutting_out_a_period_that_covers_everything_leaves_nothing() -> None:
    assert Period(D(2025, 1, 1), D(2025, 1, 31)).minus(Period(D(2024, 1, 1))) == []
    assert Period(D(2025, 1, 1), D(2025, 1, 31)).minus(Period(D(2025, 1, 1), D(2025, 1, 31))) == []


def test_cutting_out_a_disjoint_period_leaves_the_period_whole() -> None:
    period = Period(D(2025, 1, 1), D(2025, 1, 31))
    assert period.minus(Period(D(2025, 2, 1), D(2025, 2, 28))) == [period]


def test_a_period_lists_the_quarters_it_touches() -> None:
    period = Period(D(2024, 12, 31), D(2025, 4, 1))
    assert period.quarters() == [Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 2)]
    assert Period(D(2025, 1, 1)).quarters(until=D(2025, 5, 1)) == [
        Quarter(2025, 1),
        Quarter(2025, 2),
    ]


def test_an_open_period_needs_an_until_date_to_list_its_quarters() -> None:
    with pytest.raises(InvalidPeriod, match="until"):
        Period(D(2025, 1, 1)).quarters()


def test_a_quarter_period_runs_over_the_whole_quarter() -> None:
    assert Period.of_quarter(Quarter(2024, 1)) == Period(D(2024, 1, 1), D(2024, 3, 31))


def test_a_period_is_written_begin_slash_end_with_an_empty_end_when_open() -> None:
    assert str(Period(D(2025, 1, 1), D(2025, 3, 31))) == "2025-01-01/2025-03-31"
    assert str(Period(D(2025, 1, 1))) == "2025-01-01/"


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    begin = draw(dates)
    if draw(st.booleans()):
        return Period(begin)
    return Period(begin, begin + timedelta(days=draw(st.integers(0, 800))))


@settings(max_examples=150)
@given(periods(), periods(), dates)
def test_minus_and_intersection_split_a_period_day_by_day(
    period: Period, cut: Period, day: date
) -> None:
    in_remains = any(p.contains(day) for p in period.minus(cut))
    shared = period.intersection(cut)
    in_shared = shared is not None and shared.contains(day)
    assert in_remains == (period.contains(day) and not cut.contains(day))
    assert in_shared == (period.contains(day) and cut.contains(day))
    assert (shared is not None) == period.overlaps(cut)
    if shared is not None:
        assert period.covers(shared)
        assert cut.covers(shared)


# --- parsing -------------------------------------------------------------------------------


def test_a_period_parses_from_two_dates_an_open_end_or_a_quarter() -> None:
    assert parse_period("2025-01-01/2025-03-31") == Period(D(2025, 1, 1), D(2025, 3, 31))
    assert parse_period("2025-01-01/") == Period(D(2025, 1, 1))
    assert parse_period(" 2025-01-01 / ") == Period(D(2025, 1, 1))
    assert parse_period("2025Q2") == Period(D(2025, 4, 1), D(2025, 6, 30))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-01-01", "is not a quarter"),
        ("/2025-01-01", "is not a date"),
        ("2025-02-30/", "is not a date"),
        ("2025-01-01/tomorrow", "is not a date"),
        ("2025-03-01/2025-02-01", "before begin"),
    ],
)
def test_a_malformed_period_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidPeriod, match=message):
        parse_period(text)


def test_a_date_parses_from_iso_format_only() -> None:
    assert parse_date(" 2025-01-31 ") == D(2025, 1, 31)
    with pytest.raises(InvalidPeriod, match="YYYY-MM-DD"):
        parse_date("31/01/2025")


# --- interruptions in whole quarters -------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day_before", "first_day_after", "quarters"),
    [
        (D(2025, 3, 31), D(2025, 4, 1), 0),  # consecutive days across a quarter boundary
        (D(2025, 2, 10), D(2025, 2, 11), 0),  # consecutive days inside a quarter
        (D(2025, 3, 31), D(2025, 7, 1), 1),  # end on the last day of Q1, begin on the first of Q3
        (D(2025, 3, 31), D(2025, 9, 30), 1),  # begin on the last day of Q3
        (D(2025, 1, 1), D(2025, 6, 30), 0),  # end in Q1, begin in Q2
        (D(2025, 3, 31), D(2025, 6, 30), 0),  # a whole Q2 but for its last day
        (D(2025, 1, 15), D(2025, 3, 15), 0),  # a gap inside one quarter
        (D(2024, 12, 31), D(2026, 1, 1), 4),  # the whole of 2025
        (D(2024, 11, 15), D(2025, 1, 1), 0),  # across a year, no whole quarter missed
    ],
)
def test_an_interruption_counts_the_whole_quarters_neither_affiliation_touches(
    last_day_before: date, first_day_after: date, quarters: int
) -> None:
    assert whole_quarters_between(last_day_before, first_day_after) == quarters


def test_an_affiliation_beginning_the_day_the_other_ends_or_earlier_is_no_interruption() -> None:
    assert whole_quarters_between(D(2025, 3, 31), D(2025, 3, 31)) == 0
    assert whole_quarters_between(D(2025, 12, 31), D(2025, 1, 1)) == 0


@settings(max_examples=150)
@given(dates, st.integers(1, 2000))
def test_the_interruption_is_the_number_of_quarters_with_no_day_of_either(
    last_day_before: date, gap_days: int
) -> None:
    first_day_after = last_day_before + timedelta(days=gap_days)
    untouched = [
        q
        for q in Period(last_day_before, first_day_after).quarters()
        if not q.first_day <= last_day_before <= q.last_day
        and not q.first_day <= first_day_after <= q.last_day
    ]
    assert whole_quarters_between(last_day_before, first_day_after) == len(untouched)
