"""Routing: who receives a distributed message about a person."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from carrefour.adapters.catalogue_file import default_catalogue
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.periods import Period
from carrefour.domain.routing import Recipient, recipients

AT = date(2025, 3, 1)
CATALOGUE = default_catalogue()

BASE_LINE = IntegrationLine(
    id="line",
    niss="68060105329",
    institution="mut-100",
    capacity="001",
    phase=1,
    period=Period(date(2024, 1, 1), None),
)


def make_line(**overrides: Any) -> IntegrationLine:
    values = {"id": f"line-{overrides.get('institution', 'mut-100')}"} | overrides
    return dataclasses.replace(BASE_LINE, **values)


def institutions_of(found: list[Recipient]) -> list[str]:
    return [r.institution for r in found]


def start_message_directory() -> list[IntegrationLine]:
    """The person's lines: who should and who should not get a start message."""
    return [
        make_line(institution="mut-100", capacity="001", phase=1),
        make_line(institution="onem", capacity="004", phase=0),
        # a family fund that knows the person only as a child: not a start-message capacity
        make_line(institution="faf-kidslife", capacity="003", phase=1),
        # the emitter, integrated as it keeps the person's dossier
        make_line(institution="inasti", capacity="002", phase=1),
        # integrated, but ONSS is not allowed to receive the flow at all
        make_line(institution="onss", capacity="010", phase=1),
        # a mutuality whose line ended before the message date
        make_line(
            institution="mut-200",
            capacity="001",
            period=Period(date(2020, 1, 1), date(2025, 1, 31)),
        ),
        # a mutuality below the phase required
        make_line(institution="mut-300", capacity="002", phase=0),
    ]


def test_the_start_message_goes_only_to_the_integrated_institutions_allowed_to_receive_it() -> None:
    found = recipients(
        "self-employed-start",
        start_message_directory(),
        AT,
        catalogue=CATALOGUE,
        exclude={"inasti"},
    )
    assert institutions_of(found) == ["mut-100", "onem"]


def test_each_recipient_carries_its_rule_capacity_phase_and_fields() -> None:
    found = recipients("self-employed-start", start_message_directory(), AT, catalogue=CATALOGUE)
    by_id = {r.institution: r for r in found}
    assert by_id["onem"] == Recipient(
        institution="onem",
        rule_id="rgti-start-receive-onem",
        capacity="004",
        phase=0,
        fields=frozenset(
            {"niss", "cas_network_number", "cas_enterprise_number", "begin", "contributor_category"}
        ),
    )
    assert by_id["mut-100"].rule_id == "rgti-start-receive-mutualities"


def test_a_family_fund_integrated_as_beneficiary_receives_the_stop_message() -> None:
    lines = [make_line(institution="faf-famiwal", capacity="001", phase=0)]
    found = recipients("self-employed-stop", lines, AT, catalogue=CATALOGUE)
    assert institutions_of(found) == ["faf-famiwal"]
    assert "end" in found[0].fields


def test_the_emitter_is_never_a_recipient_even_when_allowed() -> None:
    lines = [make_line(institution="mut-100"), make_line(institution="mut-400")]
    found = recipients("self-employed-start", lines, AT, catalogue=CATALOGUE, exclude=("mut-100",))
    assert institutions_of(found) == ["mut-400"]


def test_an_institution_with_two_lines_is_one_recipient_citing_its_best_line() -> None:
    lines = [
        make_line(id="a", institution="mut-100", capacity="002", phase=1),
        make_line(id="b", institution="mut-100", capacity="001", phase=2),
    ]
    found = recipients("self-employed-start", lines, AT, catalogue=CATALOGUE)
    assert [(r.institution, r.capacity, r.phase) for r in found] == [("mut-100", "001", 2)]


def test_recipients_are_sorted_by_institution_id() -> None:
    lines = [make_line(institution=i) for i in ("mut-500", "mut-100", "mut-300")]
    found = recipients("contribution-voucher", lines, AT, catalogue=CATALOGUE)
    assert institutions_of(found) == ["mut-100", "mut-300", "mut-500"]


def test_unknown_institution_ids_in_the_directory_are_skipped() -> None:
    lines = [make_line(institution="mut-999"), make_line(institution="mut-100")]
    found = recipients("contribution-voucher", lines, AT, catalogue=CATALOGUE)
    assert institutions_of(found) == ["mut-100"]


def test_a_voucher_for_a_person_no_mutuality_integrated_has_no_recipient() -> None:
    lines = [
        make_line(institution="mut-100", capacity="002"),
        make_line(institution="onss", capacity="010"),
    ]
    assert recipients("contribution-voucher", lines, AT, catalogue=CATALOGUE) == []


def test_a_rule_without_capacity_still_needs_a_line_in_force_and_cites_it() -> None:
    lines = [
        make_line(institution="inami-sca", capacity="001", phase=0),
        make_line(
            institution="inami", capacity="001", period=Period(date(2020, 1, 1), date(2021, 1, 1))
        ),
    ]
    found = recipients("paper-voucher", lines, AT, catalogue=CATALOGUE)
    assert [(r.institution, r.rule_id, r.capacity) for r in found] == [
        ("inami-sca", "paper-voucher-receive-inami-sca", "001")
    ]


def test_an_unknown_flow_has_no_recipient() -> None:
    assert recipients("no-such-flow", [make_line()], AT, catalogue=CATALOGUE) == []
