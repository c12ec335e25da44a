"""The start and stop messages INASTI sends automatically, and which of them a write makes due."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carrefour.domain.careers import (
    Career,
    CareerEvent,
    EndReason,
    EventKind,
    WorkerCapacity,
    change_category,
    correct_affiliation,
    declare_affiliation,
    detect,
    end_affiliation,
    events,
    record_assimilation,
)
from carrefour.domain.periods import Period, Quarter
from tests.unit.test_careers import (
    ACERTA,
    CATEGORIES,
    CODES,
    NISS,
    XERIUS,
    declared,
    make_affiliation,
    make_career,
    make_decision,
)

D = date
START, STOP = EventKind.START, EventKind.STOP
CESSATION, TRANSFER = EndReason.CESSATION, EndReason.TRANSFER


class Span(NamedTuple):
    """An affiliation, written short: CAS, begin, end, end reason."""

    cas: str
    begin: date
    end: date | None = None
    reason: EndReason | None = None


def career_of(*spans: Span) -> Career:
    return declared(
        *(
            make_affiliation(
                id=f"aff-{index}",
                cas=span.cas,
                period=Period(span.begin, span.end),
                end_reason=span.reason,
            )
            for index, span in enumerate(spans, start=1)
        )
    )


def summary(found: list[CareerEvent]) -> list[tuple[EventKind, date, bool]]:
    return [(e.kind, e.day, e.resumption) for e in found]


# --- what a career implies -----------------------------------------------------------------


class Case(NamedTuple):
    spans: tuple[Span, ...]
    expected: list[tuple[EventKind, date, bool]]


FIRST = Span(ACERTA, D(2020, 1, 1), D(2024, 3, 31), CESSATION)

CASES = {
    "first installation is a start": Case(
        (Span(ACERTA, D(2024, 1, 10)),),
        [(START, D(2024, 1, 10), False)],
    ),
    "a gap of exactly one whole quarter is a resumption": Case(
        (FIRST, Span(XERIUS, D(2024, 7, 1))),
        [
            (START, D(2020, 1, 1), False),
            (STOP, D(2024, 3, 31), False),
            (START, D(2024, 7, 1), True),
        ],
    ),
    "one day short of a whole quarter is no start": Case(
        (FIRST, Span(XERIUS, D(2024, 6, 30))),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 3, 31), False)],
    ),
    "ending on the first day of a quarter leaves no whole quarter free": Case(
        (
            Span(ACERTA, D(2020, 1, 1), D(2024, 4, 1), CESSATION),
            Span(ACERTA, D(2024, 7, 1)),
        ),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 4, 1), False)],
    ),
    "mid-quarter end then two free quarters is a resumption": Case(
        (
            Span(ACERTA, D(2020, 1, 1), D(2024, 3, 15), CESSATION),
            Span(ACERTA, D(2024, 10, 1)),
        ),
        [
            (START, D(2020, 1, 1), False),
            (STOP, D(2024, 3, 15), False),
            (START, D(2024, 10, 1), True),
        ],
    ),
    "resumption two quarters later is a start": Case(
        (FIRST, Span(ACERTA, D(2024, 10, 1))),
        [
            (START, D(2020, 1, 1), False),
            (STOP, D(2024, 3, 31), False),
            (START, D(2024, 10, 1), True),
        ],
    ),
    "resumption one month later is no start but the stop stands": Case(
        (FIRST, Span(ACERTA, D(2024, 5, 1))),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 3, 31), False)],
    ),
    "a transfer to another CAS is neither stop nor start": Case(
        (
            Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), TRANSFER),
            Span(XERIUS, D(2024, 7, 1)),
        ),
        [(START, D(2020, 1, 1), False)],
    ),
    "a cessation followed the next day by another CAS is neither stop nor start": Case(
        (
            Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), CESSATION),
            Span(XERIUS, D(2024, 7, 1)),
        ),
        [(START, D(2020, 1, 1), False)],
    ),
    "a transfer with nothing after yet is no stop": Case(
        (Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), TRANSFER),),
        [(START, D(2020, 1, 1), False)],
    ),
    "a radiation with nothing after is a stop": Case(
        (Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), CESSATION),),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 6, 30), False)],
    ),
    "death is a stop": Case(
        (Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), EndReason.DEATH),),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 6, 30), False)],
    ),
    "an ex officio radiation is a stop": Case(
        (Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), EndReason.EX_OFFICIO),),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 6, 30), False)],
    ),
    "an end without a reason is a stop": Case(
        (Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30)),),
        [(START, D(2020, 1, 1), False), (STOP, D(2024, 6, 30), False)],
    ),
    "a one-day affiliation starts then stops the same day": Case(
        (Span(ACERTA, D(2024, 2, 29), D(2024, 2, 29), CESSATION),),
        [(START, D(2024, 2, 29), False), (STOP, D(2024, 2, 29), False)],
    ),
    "the interruption is counted from the latest end": Case(
        (
            Span(ACERTA, D(2010, 1, 1), D(2010, 3, 31), CESSATION),
            Span(ACERTA, D(2011, 1, 1), D(2011, 2, 28), CESSATION),
            Span(XERIUS, D(2011, 6, 1)),
        ),
        [
            (START, D(2010, 1, 1), False),
            (STOP, D(2010, 3, 31), False),
            (START, D(2011, 1, 1), True),
            (STOP, D(2011, 2, 28), False),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_career_implies_these_start_and_stop_messages(case: Case) -> None:
    assert summary(events(career_of(*case.spans))) == case.expected


def test_a_start_names_the_new_cas_and_a_stop_the_one_left() -> None:
    career = career_of(FIRST, Span(XERIUS, D(2024, 7, 1)))
    assert [(e.kind, e.cas, e.affiliation_id, e.niss) for e in events(career)] == [
        (START, ACERTA, "aff-1", NISS),
        (STOP, ACERTA, "aff-1", NISS),
        (START, XERIUS, "aff-2", NISS),
    ]


def test_a_helper_or_assisting_spouse_also_starts() -> None:
    for capacity in (WorkerCapacity.HELPER, WorkerCapacity.ASSISTING_SPOUSE):
        career = declared(make_affiliation(capacity=capacity, period=Period(D(2023, 5, 2))))
        assert summary(events(career)) == [(START, D(2023, 5, 2), False)]


def test_the_event_kinds_are_the_flow_names() -> None:
    assert (START.value, STOP.value) == ("self-employed-start", "self-employed-stop")


def _has_a_whole_free_quarter(last_day: date, next_begin: date) -> bool:
    quarter = Quarter.of(last_day).next()
    return quarter.last_day < next_begin


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(1, 400)),  # (gap in days, length in days)
        min_size=1,
        max_size=6,
    )
)
def test_there_is_one_first_installation_and_a_start_per_whole_free_quarter(
    shape: list[tuple[int, int]],
) -> None:
    spans: list[Span] = []
    day = D(2000, 1, 1)
    for gap, length in shape:
        begin = day + timedelta(days=gap)
        end = begin + timedelta(days=length - 1)
        spans.append(Span(ACERTA, begin, end, CESSATION))
        day = end + timedelta(days=1)
    starts = [e for e in events(career_of(*spans)) if e.kind is START]
    expected_resumptions = [
        later.begin
        for earlier, later in pairwise(spans)
        if earlier.end is not None and _has_a_whole_free_quarter(earlier.end, later.begin)
    ]
    assert [(s.day, s.resumption) for s in starts] == [(spans[0].begin, False)] + [
        (d, True) for d in expected_resumptions
    ]


# --- what a write makes due ----------------------------------------------------------------


def test_declaring_the_first_affiliation_sends_a_first_installation_start() -> None:
    before = make_career()
    after = career_of(Span(ACERTA, D(2024, 2, 1)))
    assert summary(detect(before, after)) == [(START, D(2024, 2, 1), False)]


def test_a_career_compared_with_itself_sends_nothing() -> None:
    career = career_of(FIRST, Span(XERIUS, D(2024, 7, 1)))
    assert detect(career, career) == []


def test_a_back_dated_correction_of_the_first_begin_sends_a_start_at_the_new_date() -> None:
    before = career_of(Span(ACERTA, D(2024, 3, 1)))
    after = correct_affiliation(before, "aff-1", begin=D(2024, 1, 15), end=None, by_cas=ACERTA)
    assert summary(detect(before, after)) == [(START, D(2024, 1, 15), False)]


def test_an_unrelated_category_change_sends_nothing() -> None:
    before = career_of(FIRST, Span(XERIUS, D(2024, 7, 1)))
    after = change_category(
        before, "aff-2", "D", D(2025, 1, 1), by_cas=XERIUS, categories=CATEGORIES
    )
    assert detect(before, after) == []


def test_an_assimilation_decision_sends_nothing() -> None:
    before = career_of(FIRST)
    after = record_assimilation(before, make_decision(), codes=CODES)
    assert detect(before, after) == []


def test_a_radiation_sends_a_stop() -> None:
    before = career_of(Span(ACERTA, D(2020, 1, 1)))
    after = end_affiliation(before, "aff-1", D(2024, 6, 30), CESSATION, by_cas=ACERTA)
    assert summary(detect(before, after)) == [(STOP, D(2024, 6, 30), False)]


def test_bringing_an_end_forward_sends_a_stop_at_the_new_end() -> None:
    before = career_of(Span(ACERTA, D(2020, 1, 1), D(2024, 6, 30), CESSATION))
    after = end_affiliation(before, "aff-1", D(2024, 5, 15), CESSATION, by_cas=ACERTA)
    assert summary(detect(before, after)) == [(STOP, D(2024, 5, 15), False)]


def test_a_transfer_in_two_writes_sends_nothing_at_either() -> None:
    first = career_of(Span(ACERTA, D(2020, 1, 1)))
    left = end_affiliation(first, "aff-1", D(2024, 6, 30), TRANSFER, by_cas=ACERTA)
    joined = declare_affiliation(
        left,
        make_affiliation(cas=XERIUS, period=Period(D(2024, 7, 1))),
        "A",
        by_cas=XERIUS,
        categories=CATEGORIES,
    )
    assert (detect(first, left), detect(left, joined)) == ([], [])


def test_a_cessation_then_a_next_day_affiliation_sends_the_stop_then_nothing() -> None:
    first = career_of(Span(ACERTA, D(2020, 1, 1)))
    left = end_affiliation(first, "aff-1", D(2024, 6, 30), CESSATION, by_cas=ACERTA)
    joined = declared(make_affiliation(cas=XERIUS, period=Period(D(2024, 7, 1))), career=left)
    assert summary(detect(first, left)) == [(STOP, D(2024, 6, 30), False)]
    assert detect(left, joined) == []


def test_a_resumption_after_a_whole_quarter_sends_a_resumption_start() -> None:
    before = career_of(FIRST)
    after = declared(make_affiliation(cas=XERIUS, period=Period(D(2024, 7, 1))), career=before)
    (event,) = detect(before, after)
    assert (event.kind, event.day, event.resumption, event.cas) == (
        START,
        D(2024, 7, 1),
        True,
        XERIUS,
    )


def test_adding_an_older_affiliation_sends_its_start_but_not_the_later_one_again() -> None:
    before = career_of(Span(ACERTA, D(2024, 1, 1)))
    after = declared(
        make_affiliation(cas=XERIUS, period=Period(D(2010, 1, 1), D(2012, 12, 31))),
        career=before,
    )
    assert summary(events(after))[-1] == (START, D(2024, 1, 1), True)
    assert summary(detect(before, after)) == [
        (START, D(2010, 1, 1), False),
        (STOP, D(2012, 12, 31), False),
    ]
