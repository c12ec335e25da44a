"""Authorisation against the deliberations and the caller's own integrations."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, NamedTuple

import pytest

from carrefour.adapters.catalogue_file import default_catalogue
from carrefour.domain.catalogue import Action, DeliberationRule, Party
from carrefour.domain.deliberations import STATUS_CODES, Decision, ReasonCode, authorise
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import NotAuthorised
from carrefour.domain.periods import Period

AT = date(2025, 3, 1)
CATALOGUE = default_catalogue()

BASE_LINE = IntegrationLine(
    id="line-1",
    niss="68060105329",
    institution="mut-100",
    capacity="001",
    phase=1,
    period=Period(date(2024, 1, 1), None),
)


def make_line(**overrides: Any) -> IntegrationLine:
    return dataclasses.replace(BASE_LINE, **overrides)


def make_rule(**overrides: Any) -> DeliberationRule:
    base = DeliberationRule(
        id="rule-a",
        decision="CSI/24/001",
        flow="rgti-career",
        action=Action.CONSULT,
        parties=(Party(11, None),),
        capacities=frozenset({"001"}),
        min_phase=1,
        fields=frozenset({"niss"}),
        description="test rule",
    )
    return dataclasses.replace(base, **overrides)


def decide(
    caller: str, action: Action, flow: str, lines: list[IntegrationLine], at: date = AT
) -> Decision:
    return authorise(CATALOGUE.institution(caller), action, flow, lines, at, rules=CATALOGUE.rules)


class Case(NamedTuple):
    caller: str
    action: Action
    flow: str
    lines: list[IntegrationLine]
    reason: ReasonCode | None
    rule_id: str | None
    status: str


CASES = {
    "integrated mutuality receives the start message": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [make_line()],
        None,
        "rgti-start-receive-mutualities",
        "MSG00000",
    ),
    "ONEm receives the start message for a job seeker": Case(
        "onem",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(institution="onem", capacity="004", phase=0)],
        None,
        "rgti-start-receive-onem",
        "MSG00000",
    ),
    "ONSS may not receive the start message even when integrated": Case(
        "onss",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(institution="onss", capacity="010")],
        ReasonCode.NOT_AUTHORISED,
        None,
        "MSG00013",
    ),
    "a CAS may not send the automatic start message": Case(
        "cas-ucm",
        Action.SEND,
        "self-employed-start",
        [],
        ReasonCode.NOT_AUTHORISED,
        None,
        "MSG00013",
    ),
    "a pension payer may not consult the directory": Case(
        "payer-ethias-pension",
        Action.CONSULT,
        "directory",
        [],
        ReasonCode.NOT_AUTHORISED,
        None,
        "MSG00013",
    ),
    "a mutuality without any line is not integrated": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [],
        ReasonCode.NOT_INTEGRATED,
        None,
        "MSG00012",
    ),
    "a mutuality integrated with another capacity is not integrated": Case(
        "mut-100",
        Action.RECEIVE,
        "contribution-voucher",
        [make_line(capacity="002")],
        ReasonCode.NOT_INTEGRATED,
        None,
        "MSG00012",
    ),
    "a line that ended before the date does not count": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(period=Period(date(2020, 1, 1), date(2025, 2, 28)))],
        ReasonCode.NOT_INTEGRATED,
        None,
        "MSG00012",
    ),
    "a line starting after the date does not count": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(period=Period(date(2025, 3, 2), None))],
        ReasonCode.NOT_INTEGRATED,
        None,
        "MSG00012",
    ),
    "a line ending on the date itself still counts": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(period=Period(date(2020, 1, 1), AT))],
        None,
        "rgti-start-receive-mutualities",
        "MSG00000",
    ),
    "a mutuality at phase 0 is below the phase the start message needs": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(phase=0)],
        ReasonCode.PHASE_TOO_LOW,
        None,
        "MSG00012",
    ),
    "another institution's line does not count for the caller": Case(
        "mut-100",
        Action.RECEIVE,
        "self-employed-start",
        [make_line(institution="mut-200")],
        ReasonCode.NOT_INTEGRATED,
        None,
        "MSG00012",
    ),
    "INASTI sends the start message without any integration": Case(
        "inasti",
        Action.SEND,
        "self-employed-start",
        [],
        None,
        "rgti-start-send-inasti",
        "MSG00000",
    ),
    "INAMI consults the tracking file without any integration": Case(
        "inami",
        Action.CONSULT,
        "tracking",
        [],
        None,
        "tracking-consult-inami",
        "MSG00000",
    ),
    "a CAS managing the social status consults the career": Case(
        "cas-acerta",
        Action.CONSULT,
        "rgti-career",
        [make_line(institution="cas-acerta", capacity="002", phase=0)],
        None,
        "rgti-career-consult-cas",
        "MSG00000",
    ),
    "CAAMI, a mutuality of type 2, consults the career": Case(
        "mut-600",
        Action.CONSULT,
        "rgti-career",
        [make_line(institution="mut-600", capacity="002")],
        None,
        "rgti-career-consult-mutualities",
        "MSG00000",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_authorise_decides_each_case(case: Case) -> None:
    decision = decide(case.caller, case.action, case.flow, case.lines)
    assert decision.allowed is (case.reason is None)
    assert decision.reason_code == case.reason
    assert decision.rule_id == case.rule_id
    assert decision.status_code == case.status
    if decision.allowed:
        assert decision.rule_id is not None
    else:
        assert decision.fields == frozenset()


def test_an_allowed_reception_carries_the_rule_fields_and_the_justifying_line() -> None:
    decision = decide("mut-100", Action.RECEIVE, "self-employed-start", [make_line(phase=2)])
    assert decision.fields == {
        "niss",
        "cas_network_number",
        "cas_enterprise_number",
        "begin",
        "contributor_category",
    }
    assert (decision.capacity, decision.phase) == ("001", 2)


def test_a_family_fund_sees_the_career_without_the_assimilated_period_decisions() -> None:
    fund = decide(
        "faf-famiwal",
        Action.CONSULT,
        "rgti-career",
        [make_line(institution="faf-famiwal", capacity="001", phase=0)],
    )
    mutuality = decide("mut-100", Action.CONSULT, "rgti-career", [make_line()])
    assert fund.allowed
    assert "assimilated_periods" not in fund.fields
    assert {"niss", "begin", "end", "contributor_category"} <= fund.fields
    assert "assimilated_periods" in mutuality.fields


def test_a_refusal_names_the_caller_its_sector_and_type_the_flow_and_the_action() -> None:
    decision = decide(
        "onss", Action.RECEIVE, "self-employed-start", [make_line(institution="onss")]
    )
    assert "onss (sector 12, type 0)" in decision.detail
    assert "receive flow 'self-employed-start'" in decision.detail
    assert "only 11/*, 18/0, 7/1 may receive it" in decision.detail


def test_a_phase_refusal_names_the_capacity_date_and_phases() -> None:
    decision = decide("mut-100", Action.RECEIVE, "self-employed-start", [make_line(phase=0)])
    assert decision.detail == (
        "mut-100 integrated the person with capacity 001 on 2025-03-01 at phase 0, but rule "
        "rgti-start-receive-mutualities requires phase 1 or higher to receive flow "
        "'self-employed-start'"
    )


def test_an_integration_refusal_names_the_required_capacities_and_the_lines_out_of_date() -> None:
    ended = make_line(period=Period(date(2020, 1, 1), date(2024, 12, 31)))
    other = make_line(id="line-2", capacity="000")
    decision = decide("mut-100", Action.RECEIVE, "self-employed-start", [ended, other])
    assert "capacity 001 or 002 covering 2025-03-01" in decision.detail
    assert "capacity 001 for 2020-01-01/2024-12-31" in decision.detail
    assert "it holds capacity 000 only" in decision.detail


def test_the_union_of_the_fields_of_every_allowing_rule_is_granted_citing_the_first() -> None:
    rules = [
        make_rule(id="first", fields=frozenset({"niss"})),
        make_rule(id="second", capacities=frozenset(), fields=frozenset({"begin"})),
        make_rule(id="refusing", capacities=frozenset({"002"}), fields=frozenset({"end"})),
    ]
    decision = authorise(
        CATALOGUE.institution("mut-100"),
        Action.CONSULT,
        "rgti-career",
        [make_line()],
        AT,
        rules=rules,
    )
    assert decision.rule_id == "first"
    assert decision.fields == {"niss", "begin"}


def test_a_phase_too_low_is_reported_rather_than_not_integrated_across_rules() -> None:
    rules = [
        make_rule(id="needs-002", capacities=frozenset({"002"})),
        make_rule(id="needs-001-phase-2", min_phase=2),
    ]
    decision = authorise(
        CATALOGUE.institution("mut-100"),
        Action.CONSULT,
        "rgti-career",
        [make_line(phase=1)],
        AT,
        rules=rules,
    )
    assert decision.reason_code is ReasonCode.PHASE_TOO_LOW
    assert "needs-001-phase-2" in decision.detail


def test_rules_of_other_flows_or_actions_do_not_authorise() -> None:
    rules = [make_rule(flow="tracking"), make_rule(action=Action.RECEIVE)]
    decision = authorise(
        CATALOGUE.institution("mut-100"),
        Action.CONSULT,
        "rgti-career",
        [make_line()],
        AT,
        rules=rules,
    )
    assert decision.reason_code is ReasonCode.NOT_AUTHORISED
    assert "no deliberation allows anyone to consult it" in decision.detail


def test_a_rule_restricted_to_one_type_refuses_the_other_types_of_the_sector() -> None:
    rules = [make_rule(parties=(Party(11, frozenset({1})),))]
    decision = authorise(
        CATALOGUE.institution("mut-600"),
        Action.CONSULT,
        "rgti-career",
        [make_line(institution="mut-600")],
        AT,
        rules=rules,
    )
    assert decision.reason_code is ReasonCode.NOT_AUTHORISED


def test_the_status_codes_follow_the_network_codes() -> None:
    assert STATUS_CODES == {
        None: "MSG00000",
        ReasonCode.NOT_AUTHORISED: "MSG00013",
        ReasonCode.NOT_INTEGRATED: "MSG00012",
        ReasonCode.PHASE_TOO_LOW: "MSG00012",
        ReasonCode.INVALID_REQUEST: "MSG00008",
    }


def test_a_refusal_becomes_a_not_authorised_error_with_its_codes() -> None:
    decision = decide("mut-100", Action.RECEIVE, "self-employed-start", [])
    error = decision.as_error()
    assert isinstance(error, NotAuthorised)
    assert error.reason_code == "not-integrated"
    assert error.extra["status_code"] == "MSG00012"
    assert error.detail == decision.detail


def test_an_allowed_decision_is_not_an_error() -> None:
    decision = decide("inasti", Action.SEND, "self-employed-start", [])
    with pytest.raises(ValueError, match="not an error"):
        decision.as_error()
