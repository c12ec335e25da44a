"""Insurability data of the CAS (L410): answer status and who may feed which quarter."""

from __future__ import annotations

from datetime import date

import pytest

from carrefour.domain.careers import Affiliation, Career, WorkerCapacity
from carrefour.domain.errors import InvalidCode, InvalidPeriod, NotAuthorised
from carrefour.domain.identifiers import build_niss
from carrefour.domain.insurability import (
    AnswerStatus,
    CasQuarter,
    Contributions,
    affiliated_in,
    answer_status,
    check_category,
    check_feed,
    overall_status,
    parse_contributions,
)
from carrefour.domain.periods import Period, Quarter

NISS = build_niss(year=1980, month=4, day=12, sequence=17)
Q2 = Quarter(2025, 2)


def career(*affiliations: tuple[str, Period]) -> Career:
    return Career(
        niss=NISS,
        birth=date(1980, 4, 12),
        affiliations=tuple(
            Affiliation(
                id=f"a{index}",
                niss=NISS,
                cas=cas,
                period=period,
                capacity=WorkerCapacity.SELF_EMPLOYED,
                enterprise_number=None,
            )
            for index, (cas, period) in enumerate(affiliations)
        ),
    )


# --- answer_status ---------------------------------------------------------------------------


@pytest.mark.parametrize("closed", [False, True])
def test_a_running_quarter_is_intermediate_even_when_closed(closed: bool) -> None:
    assert answer_status(Q2, date(2025, 6, 2), closed) is AnswerStatus.INTERMEDIATE
    assert answer_status(Q2, date(2025, 6, 30), closed) is AnswerStatus.INTERMEDIATE


def test_a_quarter_over_and_closed_is_definitive() -> None:
    assert answer_status(Q2, date(2025, 7, 1), True) is AnswerStatus.DEFINITIVE
    assert answer_status(Q2, date(2026, 1, 15), True) == "definitive"


def test_a_quarter_over_but_not_closed_is_intermediate() -> None:
    assert answer_status(Q2, date(2025, 7, 15), False) == "intermediate"


def part(status: AnswerStatus) -> CasQuarter:
    return CasQuarter(
        cas="cas-acerta",
        cas_network_number="001",
        cas_enterprise_number="1999000348",
        quarter=Q2,
        affiliated=True,
        contributor_category="A",
        contributions=Contributions.IN_ORDER,
        closed=status is AnswerStatus.DEFINITIVE,
        status=status,
    )


def test_a_whole_answer_is_definitive_only_when_every_part_is() -> None:
    assert overall_status([]) is AnswerStatus.INTERMEDIATE
    assert overall_status([part(AnswerStatus.DEFINITIVE)]) is AnswerStatus.DEFINITIVE
    mixed = [part(AnswerStatus.DEFINITIVE), part(AnswerStatus.INTERMEDIATE)]
    assert overall_status(mixed) is AnswerStatus.INTERMEDIATE


# --- check_feed ------------------------------------------------------------------------------


def test_the_cas_of_the_quarter_may_feed_it() -> None:
    person = career(("cas-acerta", Period(date(2024, 1, 1))))
    check_feed(person, "cas-acerta", Q2, today=date(2025, 6, 2))
    check_feed(person, "cas-acerta", Quarter(2024, 1), today=date(2025, 6, 2))


def test_one_day_of_affiliation_in_the_quarter_is_enough() -> None:
    person = career(
        ("cas-acerta", Period(date(2024, 1, 1), date(2025, 4, 1))),
        ("cas-xerius", Period(date(2025, 4, 2))),
    )
    for cas in ("cas-acerta", "cas-xerius"):
        check_feed(person, cas, Q2, today=date(2025, 7, 15))
        assert affiliated_in(person, cas, Q2)
    assert not affiliated_in(person, "cas-xerius", Quarter(2025, 1))
    with pytest.raises(NotAuthorised):
        check_feed(person, "cas-acerta", Quarter(2025, 3), today=date(2025, 7, 15))


def test_another_cas_may_not_feed_the_quarter() -> None:
    person = career(("cas-acerta", Period(date(2024, 1, 1))))
    with pytest.raises(NotAuthorised) as caught:
        check_feed(person, "cas-ucm", Q2, today=date(2025, 6, 2))
    error = caught.value
    assert error.reason_code == "not-authorised"
    assert error.extra["status_code"] == "MSG00013"
    assert error.extra["cas"] == "cas-ucm"
    assert error.extra["quarter"] == "2025Q2"
    assert "cas-ucm" in error.detail
    assert "2025Q2" in error.detail


def test_a_quarter_outside_the_affiliation_or_without_career_may_not_be_fed() -> None:
    person = career(("cas-acerta", Period(date(2024, 1, 1), date(2024, 12, 31))))
    with pytest.raises(NotAuthorised):
        check_feed(person, "cas-acerta", Q2, today=date(2025, 6, 2))
    with pytest.raises(NotAuthorised):
        check_feed(career(), "cas-acerta", Q2, today=date(2025, 6, 2))


def test_a_future_quarter_may_not_be_fed() -> None:
    person = career(("cas-acerta", Period(date(2024, 1, 1))))
    with pytest.raises(InvalidPeriod) as caught:
        check_feed(person, "cas-acerta", Quarter(2025, 3), today=date(2025, 6, 30))
    assert "2025Q3" in caught.value.detail
    check_feed(person, "cas-acerta", Quarter(2025, 3), today=date(2025, 7, 1))


# --- code lists ------------------------------------------------------------------------------


def test_contributions_and_categories_are_checked_against_their_lists() -> None:
    assert parse_contributions("regularised") is Contributions.REGULARISED
    with pytest.raises(InvalidCode) as caught:
        parse_contributions("paid")
    assert "paid" in caught.value.detail
    check_category("A", {"A": "main", "D": "complementary"})
    with pytest.raises(InvalidCode):
        check_category("Z", {"A": "main", "D": "complementary"})
