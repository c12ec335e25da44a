"""The RGTI career: affiliations, contributor categories, assimilated periods and segments.

The start and stop messages a career implies are tested in ``test_start_stop.py``.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from typing import Any

import pytest

from carrefour.adapters.catalogue_file import default_catalogue
from carrefour.domain.careers import (
    Affiliation,
    AssimilationDecision,
    Career,
    CategoryChange,
    EndReason,
    WorkerCapacity,
    change_category,
    correct_affiliation,
    declare_affiliation,
    end_affiliation,
    record_assimilation,
    segments,
)
from carrefour.domain.errors import (
    Conflict,
    InvalidCode,
    InvalidEnterpriseNumber,
    InvalidInput,
    InvalidPeriod,
    NotAuthorised,
    NotFound,
)
from carrefour.domain.identifiers import build_niss
from carrefour.domain.periods import Period

D = date
CATALOGUE = default_catalogue()
CATEGORIES = CATALOGUE.contributor_categories
CODES = CATALOGUE.assimilation_codes

BORN = D(1980, 5, 17)
NISS = build_niss(year=1980, month=5, day=17, sequence=123)
ACERTA, XERIUS = "acerta", "xerius"

_ids = itertools.count(1)


def make_affiliation(**overrides: Any) -> Affiliation:
    """A valid open affiliation with Acerta from 2020-01-01; any field can be overridden."""
    values: dict[str, Any] = {
        "id": f"aff-{next(_ids)}",
        "niss": NISS,
        "cas": ACERTA,
        "period": Period(D(2020, 1, 1)),
        "capacity": WorkerCapacity.SELF_EMPLOYED,
        "enterprise_number": None,
        "end_reason": None,
    }
    values.update(overrides)
    return Affiliation(**values)


def make_career(**overrides: Any) -> Career:
    """An empty career of ``NISS`` (born 1980-05-17); any field can be overridden."""
    values: dict[str, Any] = {"niss": NISS, "birth": BORN}
    values.update(overrides)
    return Career(**values)


def declared(
    *affiliations: Affiliation, career: Career | None = None, category: str = "A"
) -> Career:
    """``career`` (empty by default) with each affiliation declared by its own CAS."""
    result = career if career is not None else make_career()
    for affiliation in affiliations:
        result = declare_affiliation(
            result, affiliation, category, by_cas=affiliation.cas, categories=CATEGORIES
        )
    return result


def make_decision(**overrides: Any) -> AssimilationDecision:
    values: dict[str, Any] = {
        "id": f"dec-{next(_ids)}",
        "niss": NISS,
        "code": 7,
        "period": Period(D(2021, 1, 1), D(2021, 6, 30)),
        "granted": True,
        "decided_on": D(2021, 9, 1),
    }
    values.update(overrides)
    return AssimilationDecision(**values)


def categories_of(career: Career, affiliation_id: str) -> list[tuple[str, date]]:
    return [(c.category, c.begin) for c in career.categories_of(affiliation_id)]


# --- the career itself ---------------------------------------------------------------------


def test_a_career_built_from_a_niss_starts_on_its_birth_date() -> None:
    career = Career.of(NISS)
    assert (career.niss, career.birth) == (NISS, BORN)
    assert career.affiliations == ()


def test_a_niss_with_unknown_month_and_day_gives_the_first_of_january_as_birth() -> None:
    niss = build_niss(year=1975, month=0, day=0, sequence=11)
    assert Career.of(niss).birth == D(1975, 1, 1)


def test_finding_an_affiliation_the_career_does_not_hold_is_not_found() -> None:
    career = declared(make_affiliation(id="aff-x"))
    assert career.affiliation("aff-x").id == "aff-x"
    with pytest.raises(NotFound, match="aff-y"):
        career.affiliation("aff-y")


def test_the_cas_on_a_day_is_the_one_whose_affiliation_covers_it() -> None:
    career = declared(
        make_affiliation(
            period=Period(D(2020, 1, 1), D(2021, 6, 30)), end_reason=EndReason.TRANSFER
        ),
        make_affiliation(cas=XERIUS, period=Period(D(2021, 7, 1), D(2022, 3, 31))),
    )
    assert career.cas_on(D(2019, 12, 31)) is None
    assert career.cas_on(D(2021, 6, 30)) == ACERTA
    assert career.cas_on(D(2021, 7, 1)) == XERIUS
    assert career.cas_on(D(2022, 4, 1)) is None


# --- declaring an affiliation --------------------------------------------------------------


def test_declaring_an_affiliation_records_it_with_its_category_from_its_begin() -> None:
    empty = make_career()
    affiliation = make_affiliation(period=Period(D(2023, 2, 15)))
    career = declare_affiliation(empty, affiliation, "P", by_cas=ACERTA, categories=CATEGORIES)
    assert career.affiliations == (affiliation,)
    assert career.categories == (CategoryChange(affiliation.id, "P", D(2023, 2, 15)),)
    assert empty.affiliations == ()


def test_affiliations_are_kept_in_chronological_order_whatever_the_declaration_order() -> None:
    late = make_affiliation(period=Period(D(2024, 1, 1)))
    early = make_affiliation(cas=XERIUS, period=Period(D(2010, 1, 1), D(2012, 12, 31)))
    career = declared(late, early)
    assert [a.id for a in career.affiliations] == [early.id, late.id]


def test_an_enterprise_number_is_stored_as_its_ten_digits() -> None:
    career = declared(make_affiliation(enterprise_number="BE 0403.019.261"))
    assert career.affiliations[0].enterprise_number == "0403019261"


def test_an_invalid_enterprise_number_is_refused() -> None:
    with pytest.raises(InvalidEnterpriseNumber):
        declared(make_affiliation(enterprise_number="0431150351"))


def test_an_affiliation_ending_before_it_begins_cannot_even_be_built() -> None:
    with pytest.raises(InvalidPeriod, match="end 2023-12-31 is before begin 2024-01-01"):
        make_affiliation(period=Period(D(2024, 1, 1), D(2023, 12, 31)))


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        pytest.param(Period(D(2020, 1, 1)), Period(D(2024, 1, 1)), id="existing-still-open"),
        pytest.param(
            Period(D(2020, 1, 1), D(2023, 6, 30)),
            Period(D(2023, 6, 30)),
            id="new-begins-on-the-last-day",
        ),
        pytest.param(
            Period(D(2020, 1, 1), D(2023, 6, 30)),
            Period(D(2019, 1, 1), D(2020, 1, 1)),
            id="new-ends-on-the-first-day",
        ),
        pytest.param(
            Period(D(2020, 1, 1), D(2023, 6, 30)),
            Period(D(2021, 1, 1), D(2021, 3, 31)),
            id="new-inside-existing",
        ),
        pytest.param(
            Period(D(2021, 1, 1), D(2021, 3, 31)),
            Period(D(2020, 1, 1)),
            id="new-open-before-existing",
        ),
    ],
)
@pytest.mark.parametrize("new_cas", [ACERTA, XERIUS], ids=["same-cas", "other-cas"])
def test_an_affiliation_overlapping_another_is_a_conflict_naming_it(
    existing: Period, new: Period, new_cas: str
) -> None:
    career = declared(make_affiliation(id="aff-old", period=existing))
    with pytest.raises(Conflict) as raised:
        declared(make_affiliation(cas=new_cas, period=new), career=career)
    assert raised.value.code == "conflict"
    assert raised.value.extra["affiliation_id"] == "aff-old"
    assert "'aff-old'" in raised.value.detail
    assert "CAS 'acerta'" in raised.value.detail
    assert str(existing) in raised.value.detail


def test_an_affiliation_beginning_the_day_after_another_ends_does_not_overlap_it() -> None:
    career = declared(
        make_affiliation(period=Period(D(2020, 1, 1), D(2023, 6, 30))),
        make_affiliation(cas=XERIUS, period=Period(D(2023, 7, 1))),
    )
    assert [a.cas for a in career.affiliations] == [ACERTA, XERIUS]


def test_an_affiliation_beginning_before_the_birth_date_is_refused_naming_both_dates() -> None:
    with pytest.raises(InvalidPeriod) as raised:
        declared(make_affiliation(period=Period(D(1980, 5, 16))))
    assert "1980-05-16" in raised.value.detail
    assert "1980-05-17" in raised.value.detail


def test_an_affiliation_may_begin_on_the_birth_date() -> None:
    career = declared(make_affiliation(period=Period(BORN)))
    assert career.affiliations[0].period.begin == BORN


def test_with_an_unknown_birth_day_the_first_possible_day_is_the_limit() -> None:
    niss = build_niss(year=1990, month=0, day=0, sequence=5)
    career = Career.of(niss)
    with pytest.raises(InvalidPeriod, match="1990-01-01"):
        declared(make_affiliation(niss=niss, period=Period(D(1989, 12, 31))), career=career)
    accepted = declared(make_affiliation(niss=niss, period=Period(D(1990, 1, 1))), career=career)
    assert len(accepted.affiliations) == 1


def test_an_unknown_contributor_category_is_refused_naming_the_valid_ones() -> None:
    with pytest.raises(InvalidCode) as raised:
        declared(make_affiliation(), category="Z")
    assert "'Z'" in raised.value.detail
    assert "A, D, E, F, H, P, S" in raised.value.detail


def test_a_cas_cannot_declare_an_affiliation_with_another_cas() -> None:
    with pytest.raises(NotAuthorised) as raised:
        declare_affiliation(
            make_career(), make_affiliation(cas=ACERTA), "A", by_cas=XERIUS, categories=CATEGORIES
        )
    assert raised.value.reason_code == "not-authorised"
    assert raised.value.extra["status_code"] == "MSG00013"


def test_declaring_an_affiliation_id_twice_is_a_conflict() -> None:
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2020, 12, 31))))
    with pytest.raises(Conflict, match="already exists"):
        declared(make_affiliation(id="aff-1", period=Period(D(2022, 1, 1))), career=career)


def test_an_affiliation_of_another_person_is_refused() -> None:
    other = build_niss(year=1985, month=7, day=30, sequence=33)
    with pytest.raises(InvalidInput, match=other):
        declared(make_affiliation(niss=other))


def test_an_end_reason_without_an_end_date_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no end date"):
        declared(make_affiliation(end_reason=EndReason.CESSATION))


# --- changing the contributor category -----------------------------------------------------


def test_a_category_change_is_recorded_from_its_begin() -> None:
    career = declared(make_affiliation(id="aff-1"))
    changed = change_category(
        career, "aff-1", "D", D(2022, 4, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    assert categories_of(changed, "aff-1") == [("A", D(2020, 1, 1)), ("D", D(2022, 4, 1))]


def test_a_second_change_on_the_same_day_replaces_the_first() -> None:
    career = declared(make_affiliation(id="aff-1"))
    for category in ("D", "E"):
        career = change_category(
            career, "aff-1", category, D(2022, 4, 1), by_cas=ACERTA, categories=CATEGORIES
        )
    assert categories_of(career, "aff-1") == [("A", D(2020, 1, 1)), ("E", D(2022, 4, 1))]


@pytest.mark.parametrize("day", [D(2019, 12, 31), D(2021, 1, 1)], ids=["before-begin", "after-end"])
def test_a_category_change_outside_the_affiliation_is_refused(day: date) -> None:
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2020, 12, 31))))
    with pytest.raises(InvalidPeriod, match="outside affiliation 'aff-1'"):
        change_category(career, "aff-1", "D", day, by_cas=ACERTA, categories=CATEGORIES)


def test_a_category_change_on_the_last_day_of_the_affiliation_is_accepted() -> None:
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2020, 12, 31))))
    changed = change_category(
        career, "aff-1", "D", D(2020, 12, 31), by_cas=ACERTA, categories=CATEGORIES
    )
    assert ("D", D(2020, 12, 31)) in categories_of(changed, "aff-1")


def test_a_change_to_an_unknown_category_is_refused() -> None:
    career = declared(make_affiliation(id="aff-1"))
    with pytest.raises(InvalidCode, match="valid categories: A, D"):
        change_category(career, "aff-1", "X", D(2022, 1, 1), by_cas=ACERTA, categories=CATEGORIES)


def test_a_cas_cannot_change_the_category_of_another_cas_affiliate() -> None:
    career = declared(make_affiliation(id="aff-1", cas=ACERTA))
    with pytest.raises(NotAuthorised, match="belongs to CAS 'acerta'") as raised:
        change_category(career, "aff-1", "D", D(2022, 1, 1), by_cas=XERIUS, categories=CATEGORIES)
    assert raised.value.extra["status_code"] == "MSG00013"


def test_changing_the_category_of_an_unknown_affiliation_is_not_found() -> None:
    with pytest.raises(NotFound):
        change_category(
            make_career(), "aff-1", "D", D(2022, 1, 1), by_cas=ACERTA, categories=CATEGORIES
        )


# --- ending an affiliation -----------------------------------------------------------------


def test_ending_an_affiliation_sets_its_end_and_reason() -> None:
    career = declared(make_affiliation(id="aff-1"))
    ended = end_affiliation(career, "aff-1", D(2024, 6, 30), EndReason.CESSATION, by_cas=ACERTA)
    affiliation = ended.affiliation("aff-1")
    assert affiliation.period == Period(D(2020, 1, 1), D(2024, 6, 30))
    assert affiliation.end_reason is EndReason.CESSATION
    assert career.affiliation("aff-1").period.is_open


def test_ending_before_the_begin_is_refused_with_both_dates() -> None:
    career = declared(make_affiliation(id="aff-1"))
    with pytest.raises(InvalidPeriod, match="end 2019-12-31 is before begin 2020-01-01"):
        end_affiliation(career, "aff-1", D(2019, 12, 31), EndReason.CESSATION, by_cas=ACERTA)


def test_ending_an_ended_affiliation_later_is_a_conflict() -> None:
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2024, 6, 30))))
    with pytest.raises(Conflict, match="already ends on 2024-06-30") as raised:
        end_affiliation(career, "aff-1", D(2024, 7, 1), EndReason.CESSATION, by_cas=ACERTA)
    assert raised.value.extra["affiliation_id"] == "aff-1"


def test_ending_an_ended_affiliation_earlier_corrects_the_end_and_drops_later_categories() -> None:
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2024, 6, 30))))
    career = change_category(
        career, "aff-1", "D", D(2024, 4, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    corrected = end_affiliation(career, "aff-1", D(2024, 3, 31), EndReason.DEATH, by_cas=ACERTA)
    assert corrected.affiliation("aff-1").period.end == D(2024, 3, 31)
    assert corrected.affiliation("aff-1").end_reason is EndReason.DEATH
    assert categories_of(corrected, "aff-1") == [("A", D(2020, 1, 1))]


def test_a_cas_cannot_end_another_cas_affiliate() -> None:
    career = declared(make_affiliation(id="aff-1", cas=ACERTA))
    with pytest.raises(NotAuthorised) as raised:
        end_affiliation(career, "aff-1", D(2024, 6, 30), EndReason.CESSATION, by_cas=XERIUS)
    assert (raised.value.reason_code, raised.value.extra["status_code"]) == (
        "not-authorised",
        "MSG00013",
    )


# --- correcting an affiliation -------------------------------------------------------------


def test_correcting_the_begin_earlier_carries_the_declared_category_to_the_new_begin() -> None:
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 3, 1))), category="P")
    corrected = correct_affiliation(career, "aff-1", begin=D(2020, 1, 15), end=None, by_cas=ACERTA)
    assert corrected.affiliation("aff-1").period == Period(D(2020, 1, 15))
    assert categories_of(corrected, "aff-1") == [("P", D(2020, 1, 15))]


def test_correcting_the_begin_later_moves_earlier_changes_to_it_keeping_the_one_then_in_force() -> (
    None
):
    career = declared(make_affiliation(id="aff-1", period=Period(D(2020, 1, 1))), category="P")
    career = change_category(
        career, "aff-1", "A", D(2020, 7, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    career = change_category(
        career, "aff-1", "D", D(2022, 1, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    corrected = correct_affiliation(career, "aff-1", begin=D(2021, 1, 1), end=None, by_cas=ACERTA)
    assert categories_of(corrected, "aff-1") == [("A", D(2021, 1, 1)), ("D", D(2022, 1, 1))]


def test_correcting_the_end_earlier_drops_the_changes_after_it() -> None:
    career = declared(make_affiliation(id="aff-1"))
    career = change_category(
        career, "aff-1", "D", D(2022, 1, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    corrected = correct_affiliation(
        career, "aff-1", begin=D(2020, 1, 1), end=D(2021, 12, 31), by_cas=ACERTA
    )
    assert categories_of(corrected, "aff-1") == [("A", D(2020, 1, 1))]


def test_correcting_leaves_the_other_affiliations_categories_alone() -> None:
    career = declared(
        make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2020, 12, 31))),
        make_affiliation(id="aff-2", cas=XERIUS, period=Period(D(2022, 1, 1))),
    )
    corrected = correct_affiliation(
        career, "aff-1", begin=D(2020, 6, 1), end=D(2020, 12, 31), by_cas=ACERTA
    )
    assert categories_of(corrected, "aff-2") == [("A", D(2022, 1, 1))]


def test_reopening_an_affiliation_clears_its_end_reason() -> None:
    career = declared(
        make_affiliation(
            id="aff-1",
            period=Period(D(2020, 1, 1), D(2020, 12, 31)),
            end_reason=EndReason.CESSATION,
        )
    )
    reopened = correct_affiliation(career, "aff-1", begin=D(2020, 1, 1), end=None, by_cas=ACERTA)
    assert reopened.affiliation("aff-1").period.is_open
    assert reopened.affiliation("aff-1").end_reason is None


def test_a_correction_overlapping_another_affiliation_is_a_conflict_naming_it() -> None:
    career = declared(
        make_affiliation(id="aff-1", period=Period(D(2020, 1, 1), D(2020, 12, 31))),
        make_affiliation(id="aff-2", cas=XERIUS, period=Period(D(2021, 1, 1))),
    )
    with pytest.raises(Conflict, match="CAS 'xerius'") as raised:
        correct_affiliation(career, "aff-1", begin=D(2020, 1, 1), end=D(2021, 1, 1), by_cas=ACERTA)
    assert raised.value.extra["affiliation_id"] == "aff-2"


def test_a_correction_ending_before_it_begins_is_refused() -> None:
    career = declared(make_affiliation(id="aff-1"))
    with pytest.raises(InvalidPeriod, match="end 2019-01-01 is before begin 2020-01-01"):
        correct_affiliation(career, "aff-1", begin=D(2020, 1, 1), end=D(2019, 1, 1), by_cas=ACERTA)


def test_a_correction_before_the_birth_date_is_refused() -> None:
    career = declared(make_affiliation(id="aff-1"))
    with pytest.raises(InvalidPeriod, match="1980-05-17"):
        correct_affiliation(career, "aff-1", begin=D(1979, 1, 1), end=None, by_cas=ACERTA)


def test_a_cas_cannot_correct_another_cas_affiliate() -> None:
    career = declared(make_affiliation(id="aff-1", cas=ACERTA))
    with pytest.raises(NotAuthorised):
        correct_affiliation(career, "aff-1", begin=D(2021, 1, 1), end=None, by_cas=XERIUS)


# --- assimilated periods -------------------------------------------------------------------


def test_an_assimilation_decision_is_recorded() -> None:
    decision = make_decision(code=10, granted=False)
    career = record_assimilation(make_career(), decision, codes=CODES)
    assert career.assimilations == (decision,)


def test_an_unknown_assimilation_code_is_refused_naming_the_valid_ones() -> None:
    with pytest.raises(InvalidCode, match="valid codes: 7, 8, 9, 10, 17"):
        record_assimilation(make_career(), make_decision(code=11), codes=CODES)


def test_an_assimilation_decision_for_another_person_is_refused() -> None:
    other = build_niss(year=1985, month=7, day=30, sequence=33)
    with pytest.raises(InvalidInput, match=other):
        record_assimilation(make_career(), make_decision(niss=other), codes=CODES)


def test_an_assimilated_period_before_birth_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="1980-05-17"):
        record_assimilation(
            make_career(), make_decision(period=Period(D(1979, 1, 1), D(1981, 1, 1))), codes=CODES
        )


def test_recording_the_same_decision_id_twice_is_a_conflict() -> None:
    career = record_assimilation(make_career(), make_decision(id="dec-1"), codes=CODES)
    with pytest.raises(Conflict, match="dec-1"):
        record_assimilation(career, make_decision(id="dec-1", code=8), codes=CODES)


# --- segments ------------------------------------------------------------------------------


def test_one_affiliation_with_one_category_is_one_segment() -> None:
    career = declared(
        make_affiliation(
            id="aff-1",
            capacity=WorkerCapacity.HELPER,
            enterprise_number="0403019261",
            period=Period(D(2020, 2, 10), D(2023, 5, 31)),
            end_reason=EndReason.CESSATION,
        ),
        category="D",
    )
    (segment,) = segments(career)
    assert segment == dataclasses.replace(
        segment,
        number=1,
        affiliation_id="aff-1",
        cas=ACERTA,
        capacity=WorkerCapacity.HELPER,
        enterprise_number="0403019261",
        category="D",
        period=Period(D(2020, 2, 10), D(2023, 5, 31)),
    )


def test_a_category_change_splits_a_segment_on_the_change_day() -> None:
    career = declared(make_affiliation(id="aff-1"), category="P")
    career = change_category(
        career, "aff-1", "A", D(2021, 1, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    assert [(s.number, s.category, s.period) for s in segments(career)] == [
        (1, "P", Period(D(2020, 1, 1), D(2020, 12, 31))),
        (2, "A", Period(D(2021, 1, 1))),
    ]


def test_a_change_to_the_category_already_in_force_does_not_split() -> None:
    career = declared(make_affiliation(id="aff-1"), category="A")
    career = change_category(
        career, "aff-1", "A", D(2021, 1, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    assert [(s.category, s.period) for s in segments(career)] == [("A", Period(D(2020, 1, 1)))]


def test_a_transfer_to_another_cas_with_the_same_category_starts_a_new_segment() -> None:
    career = declared(
        make_affiliation(
            id="aff-1", period=Period(D(2020, 1, 1), D(2022, 6, 30)), end_reason=EndReason.TRANSFER
        ),
        make_affiliation(id="aff-2", cas=XERIUS, period=Period(D(2022, 7, 1))),
    )
    assert [
        (s.number, s.affiliation_id, s.cas, s.category, s.period) for s in segments(career)
    ] == [
        (1, "aff-1", ACERTA, "A", Period(D(2020, 1, 1), D(2022, 6, 30))),
        (2, "aff-2", XERIUS, "A", Period(D(2022, 7, 1))),
    ]


def test_segments_are_numbered_chronologically_across_affiliations() -> None:
    career = declared(
        make_affiliation(id="late", cas=XERIUS, period=Period(D(2015, 1, 1))),
        make_affiliation(id="early", period=Period(D(2005, 1, 1), D(2010, 12, 31))),
    )
    career = change_category(
        career, "early", "D", D(2008, 1, 1), by_cas=ACERTA, categories=CATEGORIES
    )
    assert [(s.number, s.affiliation_id, s.category) for s in segments(career)] == [
        (1, "early", "A"),
        (2, "early", "D"),
        (3, "late", "A"),
    ]


def test_a_career_without_affiliations_has_no_segments() -> None:
    assert segments(record_assimilation(make_career(), make_decision(), codes=CODES)) == []
