"""Contribution vouchers (A908): validation of each kind, who may send them, the paper voucher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from carrefour.adapters.catalogue_file import default_catalogue
from carrefour.domain.errors import (
    CarrefourError,
    InvalidCode,
    InvalidEnterpriseNumber,
    InvalidInput,
    InvalidNiss,
    InvalidPeriod,
    NotAuthorised,
)
from carrefour.domain.periods import Period, Quarter
from carrefour.domain.vouchers import (
    FIELD_LABELS,
    HEALTH_CARE_CONTRIBUTION_RATE,
    KIND_FIELDS,
    Voucher,
    VoucherKind,
    allowed_senders,
    check_pension_submission,
    check_sender,
    paper_fields,
    parse_voucher,
    quarter_max_days,
)

TODAY = date(2025, 6, 2)
CATALOGUE = default_catalogue()
DROP = object()

VALID: dict[VoucherKind, dict[str, Any]] = {
    VoucherKind.EMPLOYEE: {
        "kind": "employee",
        "niss": "68060105329",
        "period": "2025Q1",
        "ct1": "110",
        "ct2": "460",
        "reference": "ONSS-2025Q1-000001",
        "employer": "0403019261",
        "days_worked": 60,
        "hours_worked": 456.5,
        "working_time_fraction": 0.5,
    },
    VoucherKind.SELF_EMPLOYED: {
        "kind": "self-employed",
        "niss": "85073003328",
        "period": "2024",
        "ct1": "410",
        "ct2": "461",
        "cas": "cas-acerta",
        "contributor_category": "A",
        "quarters": ["in-order", "in-order", "regularised", "not-in-order"],
    },
    VoucherKind.UNEMPLOYMENT: {
        "kind": "unemployment",
        "niss": "02040500244",
        "period": "2025Q1",
        "ct1": "110",
        "ct2": "460",
        "compensated_days": 40,
        "payment_body": "capac",
    },
    VoucherKind.WORK_ACCIDENT: {
        "kind": "work-accident",
        "niss": "68060105329",
        "period": "2025-01-06/2025-02-28",
        "ct1": "110",
        "ct2": "460",
        "days": 54,
        "rate": 33.5,
        "case_number": "WA-2025-000123",
    },
    VoucherKind.OCCUPATIONAL_DISEASE: {
        "kind": "occupational-disease",
        "niss": "85073003328",
        "period": "2024-10-01/2025-02-28",
        "ct1": "110",
        "ct2": "460",
        "days": 120,
        "rate": 100,
        "case_number": "OD-77",
    },
    VoucherKind.PENSION: {
        "kind": "pension",
        "niss": "68060105329",
        "period": "2025-03",
        "ct1": "110",
        "ct2": "460",
        "gross_pension": "1834.20",
        "health_withholding": "65.11",
        "pension_payer": "sfp",
    },
}


def voucher_data(kind: VoucherKind = VoucherKind.EMPLOYEE, /, **overrides: Any) -> dict[str, Any]:
    """A valid voucher of the kind as JSON gives it; an override ``DROP`` leaves the field out."""
    data = VALID[kind] | overrides
    return {name: value for name, value in data.items() if value is not DROP}


def parse(kind: VoucherKind = VoucherKind.EMPLOYEE, /, **overrides: Any) -> Voucher:
    return parse_voucher(voucher_data(kind, **overrides), today=TODAY)


def refused(error: type[CarrefourError], kind: VoucherKind, /, **overrides: Any) -> CarrefourError:
    with pytest.raises(error) as caught:
        parse(kind, **overrides)
    return caught.value


# --- a valid voucher of each kind --------------------------------------------------------------


@pytest.mark.parametrize("kind", list(VoucherKind))
def test_a_valid_voucher_of_each_kind_is_accepted_and_its_payload_parses_back_to_it(
    kind: VoucherKind,
) -> None:
    voucher = parse(kind)

    assert voucher.kind is kind
    assert tuple(voucher.details) == KIND_FIELDS[kind]
    assert parse_voucher(voucher.payload(), today=TODAY) == voucher


@pytest.mark.parametrize(
    ("kind", "label", "period"),
    [
        (VoucherKind.EMPLOYEE, "2025Q1", Period(date(2025, 1, 1), date(2025, 3, 31))),
        (VoucherKind.SELF_EMPLOYED, "2024", Period(date(2024, 1, 1), date(2024, 12, 31))),
        (VoucherKind.UNEMPLOYMENT, "2025Q1", Period(date(2025, 1, 1), date(2025, 3, 31))),
        (
            VoucherKind.WORK_ACCIDENT,
            "2025-01-06/2025-02-28",
            Period(date(2025, 1, 6), date(2025, 2, 28)),
        ),
        (
            VoucherKind.OCCUPATIONAL_DISEASE,
            "2024-10-01/2025-02-28",
            Period(date(2024, 10, 1), date(2025, 2, 28)),
        ),
        (VoucherKind.PENSION, "2025-03", Period(date(2025, 3, 1), date(2025, 3, 31))),
    ],
)
def test_each_kind_has_its_own_period_shape_turned_into_dates(
    kind: VoucherKind, label: str, period: Period
) -> None:
    voucher = parse(kind)

    assert (voucher.period_label, voucher.period) == (label, period)


def test_an_employee_voucher_is_normalised_to_plain_digits_floats_and_a_quarter_label() -> None:
    voucher = parse(
        niss="68.06.01-053.29",
        period="2025-q1",
        employer="BE 0403.019.261",
        hours_worked=456,
        working_time_fraction="19/38",
        reference="  ONSS-1  ",
    )

    assert voucher.niss == "68060105329"
    assert voucher.period_label == "2025Q1"
    assert voucher.reference == "ONSS-1"
    assert dict(voucher.details) == {
        "employer": "0403019261",
        "days_worked": 60,
        "hours_worked": 456.0,
        "working_time_fraction": 0.5,
    }


def test_a_pension_voucher_keeps_its_amounts_as_strings_with_two_decimals() -> None:
    voucher = parse(VoucherKind.PENSION, gross_pension=2000, health_withholding=71)

    assert voucher.details["gross_pension"] == "2000.00"
    assert voucher.details["health_withholding"] == "71.00"


def test_the_payload_lists_the_common_fields_then_the_kinds_own() -> None:
    payload = parse(VoucherKind.SELF_EMPLOYED).payload()

    assert list(payload) == [
        "kind",
        "niss",
        "period",
        "ct1",
        "ct2",
        "reference",
        "cas",
        "contributor_category",
        "quarters",
    ]
    assert payload["reference"] is None
    assert payload["quarters"] == ["in-order", "in-order", "regularised", "not-in-order"]


# --- every bad input, with its error and field --------------------------------------------------


def test_an_invalid_niss_is_refused_with_the_niss_error_and_field() -> None:
    error = refused(InvalidNiss, VoucherKind.EMPLOYEE, niss="12345678901")

    assert error.extra["field"] == "niss"
    assert error.extra["reason"] == "bad-check-digits"


def test_an_invalid_enterprise_number_is_refused_naming_the_employer_field() -> None:
    error = refused(InvalidEnterpriseNumber, VoucherKind.EMPLOYEE, employer="0431150351")

    assert error.extra["field"] == "employer"
    assert error.code == "invalid-enterprise-number"


def test_an_unknown_kind_is_refused_as_a_value_outside_its_code_list() -> None:
    error = refused(InvalidCode, VoucherKind.EMPLOYEE, kind="student")

    assert error.extra["field"] == "kind"
    assert "employee" in error.extra["valid"]


def test_a_voucher_without_a_kind_is_refused_as_missing_its_kind() -> None:
    error = refused(InvalidInput, VoucherKind.EMPLOYEE, kind=DROP)

    assert error.extra["field"] == "kind"
    assert "missing field 'kind'" in error.detail


def test_something_other_than_an_object_is_refused_with_no_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_voucher(["employee"], today=TODAY)  # type: ignore[arg-type]

    assert caught.value.extra["field"] is None


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        (VoucherKind.EMPLOYEE, "2025Q3"),
        (VoucherKind.SELF_EMPLOYED, "2026"),
        (VoucherKind.PENSION, "2025-07"),
        (VoucherKind.WORK_ACCIDENT, "2025-06-03/2025-06-30"),
    ],
)
def test_a_period_beginning_in_the_future_is_refused(kind: VoucherKind, period: str) -> None:
    error = refused(InvalidPeriod, kind, period=period)

    assert error.extra["field"] == "period"
    assert "in the future" in error.detail


def test_the_current_quarter_has_begun_and_is_accepted() -> None:
    assert parse(period="2025Q2", days_worked=10).period_label == "2025Q2"


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        (VoucherKind.EMPLOYEE, "2024"),
        (VoucherKind.UNEMPLOYMENT, "2025-01-01/2025-03-31"),
        (VoucherKind.SELF_EMPLOYED, "2024Q1"),
        (VoucherKind.PENSION, "2025Q1"),
        (VoucherKind.WORK_ACCIDENT, "2025-01"),
    ],
)
def test_a_period_of_another_kinds_shape_is_refused(kind: VoucherKind, period: str) -> None:
    error = refused(InvalidPeriod, kind, period=period)

    assert error.extra["field"] == "period"
    assert "but" in error.detail


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        (VoucherKind.EMPLOYEE, "2025Q5"),
        (VoucherKind.EMPLOYEE, "first quarter"),
        (VoucherKind.PENSION, "2025-13"),
        (VoucherKind.WORK_ACCIDENT, "2025-02-30/2025-03-31"),
        (VoucherKind.WORK_ACCIDENT, "2025-03-01/2025-02-01"),
        (VoucherKind.WORK_ACCIDENT, "2025-01-06/"),
        (VoucherKind.SELF_EMPLOYED, "0000"),
    ],
)
def test_a_malformed_period_is_refused(kind: VoucherKind, period: str) -> None:
    error = refused(InvalidPeriod, kind, period=period)

    assert error.extra["field"] == "period"


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (VoucherKind.EMPLOYEE, "days_worked"),
        (VoucherKind.UNEMPLOYMENT, "compensated_days"),
        (VoucherKind.WORK_ACCIDENT, "days"),
    ],
)
def test_negative_days_are_refused(kind: VoucherKind, field: str) -> None:
    error = refused(InvalidInput, kind, **{field: -1})

    assert error.extra["field"] == field
    assert "negative" in error.detail


def test_the_most_days_of_a_quarter_are_its_days_but_sundays() -> None:
    # 2025Q1: 90 days, 13 Sundays; 2024Q1 (leap year): 91 days, 13 Sundays
    assert quarter_max_days(Quarter(2025, 1)) == 77
    assert quarter_max_days(Quarter(2024, 1)) == 78
    assert quarter_max_days(Quarter(2025, 3)) == 79


@pytest.mark.parametrize(
    ("kind", "field"),
    [(VoucherKind.EMPLOYEE, "days_worked"), (VoucherKind.UNEMPLOYMENT, "compensated_days")],
)
def test_days_above_the_quarters_maximum_are_refused_naming_the_maximum(
    kind: VoucherKind, field: str
) -> None:
    error = refused(InvalidInput, kind, **{field: 78})

    assert error.extra["field"] == field
    assert error.extra["maximum"] == 77
    assert "maximum of 77" in error.detail


@pytest.mark.parametrize(
    ("kind", "field"),
    [(VoucherKind.EMPLOYEE, "days_worked"), (VoucherKind.UNEMPLOYMENT, "compensated_days")],
)
def test_exactly_the_quarters_maximum_of_days_is_accepted(kind: VoucherKind, field: str) -> None:
    assert parse(kind, **{field: 77}).details[field] == 77


def test_fedris_days_above_the_days_of_the_incapacity_period_are_refused() -> None:
    error = refused(InvalidInput, VoucherKind.WORK_ACCIDENT, days=55)

    assert error.extra == {"field": "days", "value": 55, "maximum": 54}
    assert parse(VoucherKind.WORK_ACCIDENT, days=54).details["days"] == 54


@pytest.mark.parametrize("fraction", [0, 0.0, "0/38", 1.5, "39/38", -0.5, "1/0", "half"])
def test_a_working_time_fraction_outside_0_to_1_is_refused(fraction: object) -> None:
    error = refused(InvalidInput, VoucherKind.EMPLOYEE, working_time_fraction=fraction)

    assert error.extra["field"] == "working_time_fraction"


@pytest.mark.parametrize(("fraction", "value"), [(1, 1.0), ("38/38", 1.0), ("0.8", 0.8)])
def test_a_full_time_or_written_fraction_is_accepted(fraction: object, value: float) -> None:
    assert parse(working_time_fraction=fraction).details["working_time_fraction"] == value


def test_a_pension_withholding_that_is_not_3_55_percent_is_refused() -> None:
    error = refused(InvalidInput, VoucherKind.PENSION, health_withholding="50.00")

    assert error.extra["field"] == "health_withholding"
    assert error.extra["expected"] == "65.11"
    assert "3.55 %" in error.detail


def test_a_pension_withholding_one_cent_off_is_accepted() -> None:
    assert HEALTH_CARE_CONTRIBUTION_RATE * Decimal("1834.20") == Decimal("65.114100")
    voucher = parse(VoucherKind.PENSION, health_withholding="65.12")

    assert voucher.details["health_withholding"] == "65.12"


@pytest.mark.parametrize(
    ("field", "value"),
    [("gross_pension", "-10.00"), ("gross_pension", "12.345"), ("gross_pension", 1e12)],
)
def test_a_pension_amount_must_be_positive_with_two_decimals_at_most(
    field: str, value: object
) -> None:
    error = refused(InvalidInput, VoucherKind.PENSION, **{field: value})

    assert error.extra["field"] == field


def test_a_self_employed_voucher_needs_a_ct1_of_the_self_employed_regime() -> None:
    error = refused(InvalidCode, VoucherKind.SELF_EMPLOYED, ct1="110")

    assert error.extra["field"] == "ct1"
    assert "self-employed" in error.detail


def test_another_kind_may_not_carry_a_ct1_of_the_self_employed_regime() -> None:
    error = refused(InvalidCode, VoucherKind.UNEMPLOYMENT, ct1="410")

    assert error.extra["field"] == "ct1"


@pytest.mark.parametrize(("field", "value"), [("ct1", "11"), ("ct2", "46a"), ("ct2", "4600")])
def test_a_ct_code_that_is_not_3_digits_is_refused(field: str, value: str) -> None:
    error = refused(InvalidCode, VoucherKind.EMPLOYEE, **{field: value})

    assert error.extra["field"] == field


def test_an_unknown_extra_field_is_refused_by_name() -> None:
    error = refused(InvalidInput, VoucherKind.EMPLOYEE, days_workd=12)

    assert error.extra["field"] == "days_workd"
    assert "unknown field 'days_workd' for an employee voucher" in error.detail


def test_a_field_of_another_kind_is_an_unknown_field() -> None:
    error = refused(InvalidInput, VoucherKind.PENSION, days_worked=12)

    assert error.extra["field"] == "days_worked"


@pytest.mark.parametrize(
    ("kind", "field", "detail"),
    [
        (
            VoucherKind.EMPLOYEE,
            "days_worked",
            "missing field 'days_worked' for an employee voucher",
        ),
        (VoucherKind.SELF_EMPLOYED, "cas", "missing field 'cas' for a self-employed voucher"),
        (VoucherKind.PENSION, "niss", "missing field 'niss' for a pension voucher"),
        (VoucherKind.WORK_ACCIDENT, "period", "missing field 'period' for a work-accident voucher"),
    ],
)
def test_a_missing_field_is_refused_by_name(kind: VoucherKind, field: str, detail: str) -> None:
    error = refused(InvalidInput, kind, **{field: DROP})

    assert type(error) is InvalidInput
    assert error.extra["field"] == field
    assert error.detail == detail


def test_a_null_field_counts_as_missing() -> None:
    error = refused(InvalidInput, VoucherKind.EMPLOYEE, hours_worked=None)

    assert error.extra["field"] == "hours_worked"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("days_worked", "12"),
        ("days_worked", 12.0),
        ("days_worked", True),
        ("hours_worked", "456"),
        ("niss", 68060105329),
        ("employer", 403019261),
        ("reference", 12),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(field: str, value: object) -> None:
    error = refused(InvalidInput, VoucherKind.EMPLOYEE, **{field: value})

    assert error.extra["field"] == field


def test_a_reference_longer_than_40_characters_is_refused() -> None:
    error = refused(InvalidInput, VoucherKind.EMPLOYEE, reference="R" * 41)

    assert error.extra == {"field": "reference", "maximum": 40}
    assert parse(reference="R" * 40).reference == "R" * 40


def test_an_unknown_contributor_category_or_quarter_status_is_refused() -> None:
    category = refused(InvalidCode, VoucherKind.SELF_EMPLOYED, contributor_category="Z")
    status = refused(
        InvalidCode,
        VoucherKind.SELF_EMPLOYED,
        quarters=["in-order", "late", "in-order", "in-order"],
    )

    assert category.extra["field"] == "contributor_category"
    assert (status.extra["field"], status.extra["index"]) == ("quarters", 1)


def test_a_self_employed_year_has_exactly_four_quarter_statuses() -> None:
    error = refused(InvalidInput, VoucherKind.SELF_EMPLOYED, quarters=["in-order"] * 3)

    assert error.extra["field"] == "quarters"


@pytest.mark.parametrize(
    ("field", "value"),
    [("rate", 0), ("rate", 100.5), ("case_number", ""), ("case_number", "C" * 21)],
)
def test_an_incapacity_rate_or_case_number_out_of_bounds_is_refused(
    field: str, value: object
) -> None:
    error = refused(InvalidInput, VoucherKind.OCCUPATIONAL_DISEASE, **{field: value})

    assert error.extra["field"] == field


@pytest.mark.parametrize("field", ["cas", "payment_body", "pension_payer"])
def test_an_institution_id_must_be_a_slug(field: str) -> None:
    kind = next(k for k, fields in KIND_FIELDS.items() if field in fields)

    error = refused(InvalidInput, kind, **{field: "CAS Acerta"})

    assert error.extra["field"] == field


def test_the_first_problem_found_is_the_one_reported() -> None:
    error = refused(InvalidNiss, VoucherKind.EMPLOYEE, niss="12345678901", days_worked=-1)

    assert error.extra["field"] == "niss"


# --- who may send which kind --------------------------------------------------------------------


def test_onem_may_not_send_a_pension_voucher() -> None:
    with pytest.raises(NotAuthorised) as caught:
        check_sender(parse(VoucherKind.PENSION), CATALOGUE.institution("onem"))

    assert caught.value.reason_code == "not-authorised"
    assert caught.value.extra["status_code"] == "MSG00013"


@pytest.mark.parametrize("submitter", ["payer-ethias-pension", "sfp", "inasti"])
def test_a_pension_voucher_sent_directly_to_the_hub_is_sent_to_the_pension_cadastre_instead(
    submitter: str,
) -> None:
    with pytest.raises(NotAuthorised) as caught:
        check_sender(parse(VoucherKind.PENSION), CATALOGUE.institution(submitter))

    assert "go through the pension cadastre" in caught.value.detail
    assert caught.value.extra["status_code"] == "MSG00013"


@pytest.mark.parametrize(
    ("kind", "sender"),
    [
        (VoucherKind.EMPLOYEE, "onss"),
        (VoucherKind.SELF_EMPLOYED, "cas-acerta"),
        (VoucherKind.SELF_EMPLOYED, "inasti"),
        (VoucherKind.UNEMPLOYMENT, "onem"),
        (VoucherKind.WORK_ACCIDENT, "fedris"),
        (VoucherKind.OCCUPATIONAL_DISEASE, "fedris-od"),
        (VoucherKind.PENSION, "pension-cadastre"),
    ],
)
def test_each_kinds_own_sender_may_send_it(kind: VoucherKind, sender: str) -> None:
    check_sender(parse(kind), CATALOGUE.institution(sender))


@pytest.mark.parametrize(
    ("kind", "sender"),
    [
        (VoucherKind.EMPLOYEE, "cas-acerta"),
        (VoucherKind.SELF_EMPLOYED, "onss"),
        (VoucherKind.UNEMPLOYMENT, "capac"),
        (VoucherKind.WORK_ACCIDENT, "mut-100"),
    ],
)
def test_another_institution_may_not_send_the_kind(kind: VoucherKind, sender: str) -> None:
    with pytest.raises(NotAuthorised, match="allowed senders"):
        check_sender(parse(kind), CATALOGUE.institution(sender))


def test_the_allowed_senders_are_sector_and_type_pairs() -> None:
    assert allowed_senders(VoucherKind.EMPLOYEE) == ((12, 0),)
    assert allowed_senders(VoucherKind.SELF_EMPLOYED) == ((15, 0), (15, 1))
    assert allowed_senders(VoucherKind.PENSION) == ((22, 0),)


@pytest.mark.parametrize("submitter", ["sfp", "inasti", "payer-ethias-pension", "payer-ag-pension"])
def test_sfp_inasti_and_the_pension_payers_may_submit_to_the_pension_cadastre(
    submitter: str,
) -> None:
    check_pension_submission(CATALOGUE.institution(submitter))


@pytest.mark.parametrize("other", ["onss", "cas-acerta", "onem", "mut-100"])
def test_no_one_else_may_submit_a_pension_voucher_to_the_cadastre(other: str) -> None:
    with pytest.raises(NotAuthorised) as caught:
        check_pension_submission(CATALOGUE.institution(other))

    assert caught.value.extra["status_code"] == "MSG00013"


# --- the bilingual paper voucher -----------------------------------------------------------------


@pytest.mark.parametrize("kind", list(VoucherKind))
def test_the_paper_voucher_shows_every_field_with_its_french_and_dutch_labels(
    kind: VoucherKind,
) -> None:
    voucher = parse(kind)

    fields = paper_fields(voucher)

    assert [(fr, nl) for fr, nl, _ in fields] == [FIELD_LABELS[name] for name in voucher.payload()]
    assert all(value.strip() for _, _, value in fields)


def test_the_paper_voucher_writes_identifiers_dates_and_numbers_for_people() -> None:
    values = {fr: value for fr, _, value in paper_fields(parse())}

    assert values["NISS"] == "68.06.01-053.29"
    assert values["Période de référence"] == "2025Q1 (01/01/2025 - 31/03/2025)"
    assert values["Employeur (numéro d'entreprise)"] == "0403.019.261"
    assert values["Heures de travail"] == "456,5"
    assert values["Type de bon de cotisation"] == "travailleur salarié / werknemer"


def test_the_paper_voucher_shows_a_missing_reference_as_a_dash_and_amounts_in_euros() -> None:
    values = {nl: value for _, nl, value in paper_fields(parse(VoucherKind.PENSION))}

    assert values["Referentie van de afzender"] == "-"
    assert values["Brutopensioen"] == "1834,20 EUR"
