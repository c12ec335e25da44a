"""The reference catalogue: the packaged data file and the checks that guard it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from carrefour.adapters.catalogue_file import default_catalogue, load_catalogue
from carrefour.domain.catalogue import (
    ALL_FIELDS,
    Action,
    Catalogue,
    Institution,
    Party,
    catalogue_from_mapping,
    field_visible,
)
from carrefour.domain.errors import UnknownCapacity, UnknownInstitution

REQUIRED_INSTITUTIONS = {
    "bcss": (25, 0),
    "inasti": (15, 0),
    "cas-acerta": (15, 1),
    "cas-avixi": (15, 1),
    "cas-groups": (15, 1),
    "cas-incozina": (15, 1),
    "cas-liantis": (15, 1),
    "cas-partena": (15, 1),
    "cas-securex": (15, 1),
    "cas-ucm": (15, 1),
    "cas-xerius": (15, 1),
    "cas-zenito": (15, 1),
    "cas-cna": (15, 1),
    "mut-100": (11, 1),
    "mut-200": (11, 1),
    "mut-300": (11, 1),
    "mut-400": (11, 1),
    "mut-500": (11, 1),
    "mut-600": (11, 2),
    "mut-900": (11, 1),
    "onss": (12, 0),
    "onem": (18, 0),
    "sfp": (5, 0),
    "pension-cadastre": (22, 0),
    "fedris": (1, 0),
    "inami": (21, 0),
    "inami-sca": (28, 2),
}

THE_ELEVEN_CAS = {
    "cas-acerta",
    "cas-avixi",
    "cas-groups",
    "cas-incozina",
    "cas-liantis",
    "cas-partena",
    "cas-securex",
    "cas-ucm",
    "cas-xerius",
    "cas-zenito",
    "cas-cna",
}

# The flow names of the API contract (architecture.md) and of the RGTI feed.
CONTRACT_FLOWS = [
    "self-employed-start",
    "self-employed-stop",
    "contribution-voucher",
    "paper-voucher",
    "answer",
    "identification-correction",
    "resend-request",
    "provisional-proof",
    "rgti-career",
    "insurability",
    "tracking",
    "directory",
    "rgti-affiliation",
    "rgti-assimilation",
    "pension-voucher",
    "inami-case",
    # the INAMI cell's case work and L410 through the network
    "intervention-request",
    "intervention-answer",
    "insurability-request",
    "insurability-answer",
    "consultations",
]

L302_FIELDS = {
    "niss",
    "enterprise_number",
    "cas_network_number",
    "cas_enterprise_number",
    "segment",
    "begin",
    "end",
    "contributor_category",
    "assimilated_periods",
}


def passes_mod97(number: str) -> bool:
    """An independent check of the KBO/BCE rule, not the one the catalogue uses."""
    return (
        len(number) == 10
        and number.isdigit()
        and number[0] in "01"
        and int(number[8:]) == 97 - int(number[:8]) % 97
    )


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def make_data(**overrides: Any) -> dict[str, Any]:
    """A minimal valid catalogue mapping; each keyword replaces one top-level list."""
    data: dict[str, Any] = {
        "institutions": [
            {
                "id": "mut-100",
                "name_fr": "Mutualité",
                "name_nl": "Ziekenfonds",
                "sector": 11,
                "institution_type": 1,
                "enterprise_number": "0403019261",
                "placeholder": False,
            },
            {
                "id": "inasti",
                "name_fr": "INASTI",
                "name_nl": "RSVZ",
                "sector": 15,
                "institution_type": 0,
                "enterprise_number": "0428759497",
                "placeholder": False,
            },
        ],
        "capacities": [
            {"sector": 11, "code": "001", "label": "health-care insurability"},
            {"sector": 15, "code": "002", "label": "self-employed social status"},
        ],
        "contributor_categories": [{"code": "A", "label": "main occupation"}],
        "assimilation_codes": [{"code": 7, "label": "sickness-invalidity"}],
        "flows": [{"name": "self-employed-start", "label": "start"}],
        "deliberations": [
            {
                "id": "start-receive",
                "decision": "CSI/24/001",
                "flow": "self-employed-start",
                "action": "receive",
                "parties": [{"sector": 11}],
                "capacities": ["001"],
                "min_phase": 1,
                "fields": ["niss", "begin"],
                "description": "mutualities receive",
            }
        ],
    }
    data.update(copy.deepcopy(overrides))
    return data


def with_rule(**changes: Any) -> dict[str, Any]:
    data = make_data()
    data["deliberations"][0].update(changes)
    return data


def with_institution(**changes: Any) -> dict[str, Any]:
    data = make_data()
    data["institutions"][0].update(changes)
    return data


# --- the packaged catalogue ---------------------------------------------------------------


def test_the_packaged_catalogue_loads_with_institutions_flows_and_rules(
    catalogue: Catalogue,
) -> None:
    assert len(catalogue.institutions) >= len(REQUIRED_INSTITUTIONS)
    assert len(catalogue.flows) == len(CONTRACT_FLOWS)
    assert len(catalogue.rules) > 30


def test_default_catalogue_is_read_once_and_equals_the_packaged_one() -> None:
    assert default_catalogue() is default_catalogue()
    assert default_catalogue().institutions == load_catalogue().institutions


@pytest.mark.parametrize(("institution_id", "sector_and_type"), REQUIRED_INSTITUTIONS.items())
def test_required_institution_is_present_with_its_sector_and_type(
    catalogue: Catalogue, institution_id: str, sector_and_type: tuple[int, int]
) -> None:
    institution = catalogue.institution(institution_id)
    assert (institution.sector, institution.institution_type) == sector_and_type
    assert institution.name_fr
    assert institution.name_nl


def test_there_is_a_family_allowance_fund_and_two_pension_payers(catalogue: Catalogue) -> None:
    assert catalogue.by_sector(7, 1)
    assert len(catalogue.by_sector(51)) >= 2


def test_every_enterprise_number_passes_the_mod97_check(catalogue: Catalogue) -> None:
    failing = {
        i.id: i.enterprise_number
        for i in catalogue.institutions.values()
        if not passes_mod97(i.enterprise_number)
    }
    assert failing == {}


def test_the_eleven_cas_are_sector_15_type_1_with_distinct_network_numbers(
    catalogue: Catalogue,
) -> None:
    cas = catalogue.by_sector(15, 1)
    assert {i.id for i in cas} == THE_ELEVEN_CAS
    numbers = [i.network_number for i in cas]
    assert None not in numbers
    assert len(set(numbers)) == 11


def test_invented_numbers_are_flagged_as_placeholders(catalogue: Catalogue) -> None:
    # The shipped numbers are all invented in the 1999.0xx.xxx range.
    invented = [i for i in catalogue.institutions.values() if i.enterprise_number[:4] == "1999"]
    assert invented
    assert all(i.placeholder for i in invented)


@pytest.mark.parametrize("flow", CONTRACT_FLOWS)
def test_every_contract_flow_is_in_the_catalogue_with_at_least_one_rule(
    catalogue: Catalogue, flow: str
) -> None:
    assert flow in catalogue.flows
    assert any(rule.flow == flow for rule in catalogue.rules)


@pytest.mark.parametrize(
    ("flow", "form"),
    [
        ("rgti-career", "L302"),
        ("contribution-voucher", "A908"),
        ("paper-voucher", "A911"),
        ("insurability", "L410"),
    ],
)
def test_documented_forms_are_recorded_on_their_flows(
    catalogue: Catalogue, flow: str, form: str
) -> None:
    assert catalogue.flows[flow].form == form


def test_every_rule_capacity_exists_for_each_sector_the_rule_names(catalogue: Catalogue) -> None:
    missing = [
        (rule.id, party.sector, code)
        for rule in catalogue.rules
        for party in rule.parties
        for code in rule.capacities
        if (party.sector, code) not in catalogue.capacities
    ]
    assert missing == []


def test_rule_ids_are_unique(catalogue: Catalogue) -> None:
    ids = [rule.id for rule in catalogue.rules]
    assert len(ids) == len(set(ids))


def test_rgti_career_rules_only_grant_the_l302_fields(catalogue: Catalogue) -> None:
    rules = catalogue.rules_for("rgti-career", Action.CONSULT)
    assert rules
    for rule in rules:
        assert rule.fields <= L302_FIELDS, rule.id
    assert any(rule.fields == L302_FIELDS for rule in rules)


def test_only_inasti_sends_the_automatic_start_and_stop_messages(catalogue: Catalogue) -> None:
    for flow in ("self-employed-start", "self-employed-stop"):
        senders = {
            i.id
            for i in catalogue.institutions.values()
            for rule in catalogue.rules_for(flow, Action.SEND)
            if rule.allows_party(i)
        }
        assert senders == {"inasti"}


def test_pension_payers_take_no_part_in_the_person_directory(catalogue: Catalogue) -> None:
    payer = catalogue.by_sector(51)[0]
    assert not any(rule.allows_party(payer) for rule in catalogue.rules if rule.flow == "directory")


def test_the_contributor_categories_and_assimilation_codes_are_listed(
    catalogue: Catalogue,
) -> None:
    assert set(catalogue.contributor_categories) == {"A", "D", "E", "F", "H", "P", "S"}
    assert set(catalogue.assimilation_codes) == {7, 8, 9, 10, 17}


def test_every_sector_with_capacities_has_the_generic_definitive_and_provisional_codes(
    catalogue: Catalogue,
) -> None:
    sectors = {sector for sector, _ in catalogue.capacities}
    for sector in sectors:
        codes = {c.code for c in catalogue.capacities_of(sector)}
        assert {"000", "902"} <= codes, sector


# --- lookups ----------------------------------------------------------------------------------


def test_institution_raises_unknown_institution_listing_the_known_ids(
    catalogue: Catalogue,
) -> None:
    with pytest.raises(UnknownInstitution, match=r"unknown institution 'mut-999'.*mut-100"):
        catalogue.institution("mut-999")


def test_capacity_returns_the_code_of_the_sector(catalogue: Catalogue) -> None:
    assert catalogue.capacity(18, "004").label == "job seeker"


def test_capacity_raises_unknown_capacity_naming_the_sector_and_its_valid_codes(
    catalogue: Catalogue,
) -> None:
    with pytest.raises(UnknownCapacity, match=r"'010'.*sector 11.*000, 001, 002, 902") as info:
        catalogue.capacity(11, "010")
    assert info.value.extra["valid"] == ["000", "001", "002", "902"]


def test_capacity_of_a_sector_without_codes_says_so(catalogue: Catalogue) -> None:
    with pytest.raises(UnknownCapacity, match="sector 25: it has no capacity codes"):
        catalogue.capacity(25, "001")


def test_capacities_of_lists_a_sector_in_code_order(catalogue: Catalogue) -> None:
    assert [c.code for c in catalogue.capacities_of(7)] == ["000", "001", "002", "003", "902"]


def test_by_sector_filters_on_the_institution_type_when_given(catalogue: Catalogue) -> None:
    assert [i.id for i in catalogue.by_sector(18, 1)] == ["capac"]
    assert {i.id for i in catalogue.by_sector(18)} == {"capac", "onem"}


def test_rules_for_keeps_only_the_flow_and_action_asked(catalogue: Catalogue) -> None:
    rules = catalogue.rules_for("self-employed-start", Action.RECEIVE)
    assert {r.id for r in rules} == {
        "rgti-start-receive-mutualities",
        "rgti-start-receive-onem",
        "rgti-start-receive-family-funds",
    }


def test_a_party_without_types_matches_every_type_of_its_sector(catalogue: Catalogue) -> None:
    any_mutuality = Party(11, None)
    unions_only = Party(11, frozenset({1}))
    caami = catalogue.institution("mut-600")
    assert any_mutuality.matches(caami)
    assert not unions_only.matches(caami)
    assert not any_mutuality.matches(catalogue.institution("onss"))


def test_a_star_in_fields_makes_every_field_visible() -> None:
    assert field_visible(frozenset({ALL_FIELDS}), "anything")
    assert field_visible(frozenset({"niss"}), "niss")
    assert not field_visible(frozenset({"niss"}), "begin")


def test_the_catalogue_mappings_cannot_be_changed(catalogue: Catalogue) -> None:
    with pytest.raises(TypeError):
        catalogue.institutions["intruder"] = catalogue.institution("onss")  # type: ignore[index]


# --- validation -------------------------------------------------------------------------------


def test_a_minimal_mapping_builds_a_catalogue() -> None:
    built = catalogue_from_mapping(make_data())
    assert built.institution("mut-100") == Institution(
        id="mut-100",
        name_fr="Mutualité",
        name_nl="Ziekenfonds",
        sector=11,
        institution_type=1,
        enterprise_number="0403019261",
        network_number=None,
        placeholder=False,
    )
    (rule,) = built.rules
    assert rule.capacities == frozenset({"001"})
    assert rule.parties == (Party(11, None),)
    assert rule.action is Action.RECEIVE


def test_a_duplicate_institution_id_is_rejected_naming_both_places() -> None:
    data = make_data()
    data["institutions"][1]["id"] = "mut-100"
    with pytest.raises(
        ValueError,
        match=r"duplicate institution id 'mut-100' \(first defined at institutions\[0\]\)",
    ):
        catalogue_from_mapping(data)


def test_an_enterprise_number_with_bad_check_digits_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"institution 'mut-100'.*0431150351.*check digits"):
        catalogue_from_mapping(with_institution(enterprise_number="0431150351"))


def test_an_establishment_unit_number_is_not_accepted_as_enterprise_number() -> None:
    with pytest.raises(ValueError, match="establishment units"):
        catalogue_from_mapping(with_institution(enterprise_number="2403019261"))


def test_a_rule_on_an_unknown_flow_is_rejected_listing_the_known_flows() -> None:
    with pytest.raises(
        ValueError,
        match=r"rule 'start-receive'.*unknown flow 'self-employed-begin'; "
        r"known flows: self-employed-start",
    ):
        catalogue_from_mapping(with_rule(flow="self-employed-begin"))


def test_a_rule_capacity_unknown_in_one_of_its_sectors_is_rejected() -> None:
    data = with_rule(parties=[{"sector": 11}, {"sector": 15, "types": [0]}])
    with pytest.raises(
        ValueError, match=r"capacity '001' does not exist for sector 15; valid codes: 002"
    ):
        catalogue_from_mapping(data)


def test_a_capacity_code_that_is_not_three_digits_is_rejected() -> None:
    data = make_data(capacities=[{"sector": 11, "code": "1", "label": "insurability"}])
    with pytest.raises(ValueError, match=r"capacity code '1' of sector 11 is not 3 digits"):
        catalogue_from_mapping(data)


def test_a_duplicate_rule_id_is_rejected() -> None:
    data = make_data()
    data["deliberations"].append(dict(data["deliberations"][0]))
    with pytest.raises(ValueError, match=r"duplicate rule id 'start-receive'"):
        catalogue_from_mapping(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"action": "read"}, r"action 'read' is not one of send, receive, consult"),
        ({"decision": "24/001"}, r"decision '24/001' is not of the form CSI/YY/NNN"),
        ({"parties": []}, r"'parties' must be a non-empty list"),
        ({"parties": [{"sector": 11, "types": []}]}, r"'types' of sector 11 must be"),
        ({"min_phase": -1}, r"min_phase -1 is negative"),
    ],
)
def test_a_malformed_rule_is_rejected_with_a_precise_message(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        catalogue_from_mapping(with_rule(**changes))


def test_load_catalogue_reads_a_given_file(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        """
[[institutions]]
id = "onss"
name_fr = "ONSS"
name_nl = "RSZ"
sector = 12
institution_type = 0
enterprise_number = "0403.019.261"

[[flows]]
name = "directory"
label = "person directory"
""",
        encoding="utf-8",
    )
    loaded = load_catalogue(path)
    assert loaded.institution("onss").enterprise_number == "0403019261"
    assert loaded.rules == ()


def test_load_catalogue_names_the_file_when_it_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[[flows]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.toml: flows\[0\]: missing 'label'"):
        load_catalogue(path)
