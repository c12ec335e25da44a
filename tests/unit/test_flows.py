"""The flow registry and the catalogue name the same flows with the same deliberation kinds."""

from __future__ import annotations

from collections import defaultdict

import pytest

from carrefour.adapters.catalogue_file import load_catalogue
from carrefour.domain.catalogue import Action
from carrefour.domain.flows import FLOWS, PAPER, spec


def _kinds_in_catalogue() -> dict[str, set[Action]]:
    kinds: dict[str, set[Action]] = defaultdict(set)
    for rule in load_catalogue().rules:
        kinds[rule.flow].add(rule.action)
    return kinds


def test_every_flow_a_rule_names_is_in_the_registry_and_every_registered_flow_has_a_rule() -> None:
    in_catalogue = _kinds_in_catalogue()

    assert set(in_catalogue) - set(FLOWS) == set(), "rules for flows the registry lacks"
    assert set(FLOWS) - set(in_catalogue) == set(), "registered flows no rule allows"


def test_each_flow_has_exactly_the_deliberation_kinds_the_registry_says() -> None:
    in_catalogue = _kinds_in_catalogue()

    assert {name: set(s.kinds) for name, s in FLOWS.items()} == dict(in_catalogue)


def test_the_catalogue_describes_every_registered_flow() -> None:
    assert set(load_catalogue().flows) == set(FLOWS)


def test_only_the_contribution_voucher_goes_on_paper() -> None:
    assert {name for name, s in FLOWS.items() if PAPER in s.tracked_only} == {
        "contribution-voucher"
    }


def test_an_unknown_flow_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="contribution-voucher"):
        spec("contribution-vouchers")
