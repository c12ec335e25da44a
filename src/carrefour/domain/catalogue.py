"""The reference catalogue: institutions, capacity codes, code lists, flows and deliberations.

The catalogue is data (``carrefour/data/catalogue.toml``, loaded by
``carrefour.adapters.catalogue_file``); this module only turns an already-loaded mapping into
checked, immutable objects. ``catalogue_from_mapping`` refuses a file with duplicate ids, invalid
enterprise numbers, malformed capacity codes, rules about unknown flows or capacity codes that do
not exist in a rule's sectors, with a message that names the offending entry.

A **deliberation rule** says which institutions (by sector, and optionally institution type) may
send, receive or consult a flow; which capacity the caller must hold in the person directory for
the person (none = no integration needed), from which phase; and which fields it may see.
The field name ``"*"`` (``ALL_FIELDS``) means the whole payload.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from carrefour.domain.errors import InvalidEnterpriseNumber, UnknownCapacity, UnknownInstitution
from carrefour.domain.identifiers import parse_enterprise_number

__all__ = [
    "ALL_FIELDS",
    "Action",
    "Capacity",
    "Catalogue",
    "DeliberationRule",
    "Flow",
    "Institution",
    "Party",
    "catalogue_from_mapping",
    "field_visible",
]

#: In a rule's ``fields``: the party sees the whole payload.
ALL_FIELDS: Final = "*"

_CAPACITY_CODE = re.compile(r"^\d{3}$")
_DECISION = re.compile(r"^CSI/\d{2}/\d{3}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


#: Capacity codes every sector shares (domain.md section 3): definitive, provisional, NISS replaced.
GENERIC_CAPACITIES = frozenset({"000", "902", "999"})


@dataclass(frozen=True, slots=True)
class Institution:
    """A social-security institution of the network (or a pension payer outside it)."""

    id: str
    name_fr: str
    name_nl: str
    sector: int
    institution_type: int
    enterprise_number: str
    network_number: str | None
    placeholder: bool
    """True when the numbers are invented placeholders, to be replaced by the operator."""


@dataclass(frozen=True, slots=True)
class Capacity:
    """A capacity code of the person directory, valid in one sector."""

    sector: int
    code: str
    label: str


class Action(StrEnum):
    SEND = "send"
    RECEIVE = "receive"
    CONSULT = "consult"


@dataclass(frozen=True, slots=True)
class Party:
    """The institutions a rule applies to: one sector, and some of its types (``None`` = any)."""

    sector: int
    types: frozenset[int] | None

    def matches(self, institution: Institution) -> bool:
        return institution.sector == self.sector and (
            self.types is None or institution.institution_type in self.types
        )

    def __str__(self) -> str:
        if self.types is None:
            return f"{self.sector}/*"
        return f"{self.sector}/{','.join(str(t) for t in sorted(self.types))}"


@dataclass(frozen=True, slots=True)
class DeliberationRule:
    """One authorisation of the knowledge directory, citing the committee's decision."""

    id: str
    decision: str
    flow: str
    action: Action
    parties: tuple[Party, ...]
    capacities: frozenset[str]
    """The caller must hold one of these for the person; empty = no integration needed."""
    min_phase: int
    fields: frozenset[str]
    description: str

    def allows_party(self, institution: Institution) -> bool:
        return any(party.matches(institution) for party in self.parties)

    @property
    def needs_integration(self) -> bool:
        return bool(self.capacities)


def field_visible(fields: frozenset[str], name: str) -> bool:
    """Whether a party allowed ``fields`` may see the field ``name``."""
    return ALL_FIELDS in fields or name in fields


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    label: str
    form: str | None


@dataclass(frozen=True)
class Catalogue:
    """The whole reference catalogue. Build it with ``catalogue_from_mapping``."""

    institutions: Mapping[str, Institution]
    capacities: Mapping[tuple[int, str], Capacity]
    contributor_categories: Mapping[str, str]
    assimilation_codes: Mapping[int, str]
    flows: Mapping[str, Flow]
    rules: tuple[DeliberationRule, ...]
    insurability_feeds: frozenset[str] = frozenset()
    """The CAS that chose to have the hub answer L410 from the data they feed it."""
    #: The phases of the person directory (value -> meaning); empty = phases not checked.
    phases: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Per sector, how many years back an integration may begin (absent = no limit).
    retroactivity_years: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    #: Who keeps the tracking file of a sender's messages, first match wins (seed 002); a
    #: sender no line names keeps its own (``domain.messages.tracking_holder``).
    tracking_holders: tuple[tuple[Party, str], ...] = ()

    def integrable_capacities(self, institution: Institution) -> frozenset[str]:
        """The capacity codes the deliberations let ``institution``'s sector (and type) hold:
        those named by a rule whose parties include it. A sector none of whose rules names a
        capacity (it receives no person data, like the public centres, which only register
        their clients) may hold the sector-specific codes of its own list (not 000, 902, 999)."""
        named = frozenset(
            code
            for rule in self.rules
            if rule.allows_party(institution)
            for code in rule.capacities
        )
        if named:
            return named
        return frozenset(
            c.code
            for c in self.capacities_of(institution.sector)
            if c.code not in GENERIC_CAPACITIES
        )

    def institution(self, institution_id: str) -> Institution:
        try:
            return self.institutions[institution_id]
        except KeyError:
            known = ", ".join(sorted(self.institutions))
            raise UnknownInstitution(
                f"unknown institution {institution_id!r}; known ids: {known}",
                institution=institution_id,
            ) from None

    def capacity(self, sector: int, code: str) -> Capacity:
        found = self.capacities.get((sector, code))
        if found is not None:
            return found
        valid = [c.code for c in self.capacities_of(sector)]
        if valid:
            detail = (
                f"capacity {code!r} does not exist for sector {sector}; "
                f"valid codes: {', '.join(valid)}"
            )
        else:
            detail = (
                f"capacity {code!r} does not exist for sector {sector}: it has no capacity codes"
            )
        raise UnknownCapacity(detail, sector=sector, capacity=code, valid=valid)

    def capacities_of(self, sector: int) -> list[Capacity]:
        return sorted(
            (c for c in self.capacities.values() if c.sector == sector), key=lambda c: c.code
        )

    def rules_for(self, flow: str, action: Action) -> tuple[DeliberationRule, ...]:
        return tuple(r for r in self.rules if r.flow == flow and r.action == action)

    def by_sector(self, sector: int, institution_type: int | None = None) -> list[Institution]:
        return sorted(
            (
                i
                for i in self.institutions.values()
                if i.sector == sector
                and (institution_type is None or i.institution_type == institution_type)
            ),
            key=lambda i: i.id,
        )


# --- parsing -------------------------------------------------------------------------------


def _table_list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list of tables, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise ValueError(f"{key}[{index}]: expected a table, got {type(item).__name__}")
    return value


def _opt_str(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _req_str(item: Mapping[str, Any], key: str, where: str) -> str:
    value = _opt_str(item, key, where)
    if value is None:
        raise ValueError(f"{where}: missing {key!r}")
    return value


def _int(item: Mapping[str, Any], key: str, where: str, *, default: int | None = None) -> int:
    value = item.get(key, default)
    if value is None:
        raise ValueError(f"{where}: missing {key!r}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: {key!r} must be an integer, got {value!r}")
    return value


def _str_list(item: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key!r} must be a list of strings, got {value!r}")
    return value


def _parse_institutions(data: Mapping[str, Any]) -> dict[str, Institution]:
    institutions: dict[str, Institution] = {}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(_table_list(data, "institutions")):
        where = f"institutions[{index}]"
        ident = _req_str(item, "id", where)
        where = f"institution {ident!r} (institutions[{index}])"
        if not _SLUG.match(ident):
            raise ValueError(f"{where}: id must be a lowercase slug (letters, digits, dashes)")
        if ident in first_seen:
            raise ValueError(
                f"{where}: duplicate institution id {ident!r} "
                f"(first defined at institutions[{first_seen[ident]}])"
            )
        first_seen[ident] = index
        written = _req_str(item, "enterprise_number", where)
        try:
            enterprise_number = parse_enterprise_number(written)
        except InvalidEnterpriseNumber as error:
            raise ValueError(f"{where}: {error.detail}") from None
        placeholder = item.get("placeholder", False)
        if not isinstance(placeholder, bool):
            raise ValueError(f"{where}: 'placeholder' must be true or false, got {placeholder!r}")
        institutions[ident] = Institution(
            id=ident,
            name_fr=_req_str(item, "name_fr", where),
            name_nl=_req_str(item, "name_nl", where),
            sector=_int(item, "sector", where),
            institution_type=_int(item, "institution_type", where),
            enterprise_number=enterprise_number,
            network_number=_opt_str(item, "network_number", where),
            placeholder=placeholder,
        )
    return institutions


def _parse_capacities(data: Mapping[str, Any]) -> dict[tuple[int, str], Capacity]:
    capacities: dict[tuple[int, str], Capacity] = {}
    for index, item in enumerate(_table_list(data, "capacities")):
        where = f"capacities[{index}]"
        sector = _int(item, "sector", where)
        code = _req_str(item, "code", where)
        if not _CAPACITY_CODE.match(code):
            raise ValueError(f"{where}: capacity code {code!r} of sector {sector} is not 3 digits")
        if (sector, code) in capacities:
            raise ValueError(f"{where}: duplicate capacity {code!r} for sector {sector}")
        capacities[(sector, code)] = Capacity(sector, code, _req_str(item, "label", where))
    return capacities


def _parse_code_lists(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[int, str]]:
    categories: dict[str, str] = {}
    for index, item in enumerate(_table_list(data, "contributor_categories")):
        where = f"contributor_categories[{index}]"
        code = _req_str(item, "code", where)
        if code in categories:
            raise ValueError(f"{where}: duplicate contributor category {code!r}")
        categories[code] = _req_str(item, "label", where)
    assimilations: dict[int, str] = {}
    for index, item in enumerate(_table_list(data, "assimilation_codes")):
        where = f"assimilation_codes[{index}]"
        number = _int(item, "code", where)
        if number in assimilations:
            raise ValueError(f"{where}: duplicate assimilation code {number}")
        assimilations[number] = _req_str(item, "label", where)
    return categories, assimilations


def _parse_flows(data: Mapping[str, Any]) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for index, item in enumerate(_table_list(data, "flows")):
        where = f"flows[{index}]"
        name = _req_str(item, "name", where)
        if name in flows:
            raise ValueError(f"{where}: duplicate flow {name!r}")
        flows[name] = Flow(
            name=name,
            label=_req_str(item, "label", where),
            form=_opt_str(item, "form", where),
        )
    return flows


def _parse_party(value: Any, where: str) -> Party:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: a party must be a table {{sector = N, types = [...]}}")
    sector = _int(value, "sector", where)
    types = value.get("types")
    if types is None:
        return Party(sector, None)
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, int) and not isinstance(t, bool) for t in types)
    ):
        raise ValueError(
            f"{where}: 'types' of sector {sector} must be a non-empty list of integers "
            f"(leave it out for every type), got {types!r}"
        )
    return Party(sector, frozenset(types))


def _parse_rules(
    data: Mapping[str, Any],
    flows: Mapping[str, Flow],
    capacities: Mapping[tuple[int, str], Capacity],
) -> tuple[DeliberationRule, ...]:
    rules: list[DeliberationRule] = []
    seen: set[str] = set()
    for index, item in enumerate(_table_list(data, "deliberations")):
        ident = _req_str(item, "id", f"deliberations[{index}]")
        where = f"rule {ident!r} (deliberations[{index}])"
        if ident in seen:
            raise ValueError(f"{where}: duplicate rule id {ident!r}")
        seen.add(ident)
        decision = _req_str(item, "decision", where)
        if not _DECISION.match(decision):
            raise ValueError(f"{where}: decision {decision!r} is not of the form CSI/YY/NNN")
        flow = _req_str(item, "flow", where)
        if flow not in flows:
            raise ValueError(
                f"{where}: unknown flow {flow!r}; known flows: {', '.join(sorted(flows))}"
            )
        action_text = _req_str(item, "action", where)
        try:
            action = Action(action_text)
        except ValueError:
            actions = ", ".join(a.value for a in Action)
            raise ValueError(f"{where}: action {action_text!r} is not one of {actions}") from None
        raw_parties = item.get("parties")
        if not isinstance(raw_parties, list) or not raw_parties:
            raise ValueError(f"{where}: 'parties' must be a non-empty list of tables")
        parties = tuple(_parse_party(p, f"{where} parties[{i}]") for i, p in enumerate(raw_parties))
        required = _str_list(item, "capacities", where)
        for code in required:
            if not _CAPACITY_CODE.match(code):
                raise ValueError(f"{where}: capacity code {code!r} is not 3 digits")
            for party in parties:
                if (party.sector, code) not in capacities:
                    valid = sorted(c for s, c in capacities if s == party.sector)
                    raise ValueError(
                        f"{where}: capacity {code!r} does not exist for sector {party.sector}; "
                        f"valid codes: {', '.join(valid) or 'none'}"
                    )
        min_phase = _int(item, "min_phase", where, default=0)
        if min_phase < 0:
            raise ValueError(f"{where}: min_phase {min_phase} is negative")
        rules.append(
            DeliberationRule(
                id=ident,
                decision=decision,
                flow=flow,
                action=action,
                parties=parties,
                capacities=frozenset(required),
                min_phase=min_phase,
                fields=frozenset(_str_list(item, "fields", where)),
                description=_req_str(item, "description", where),
            )
        )
    return tuple(rules)


def _parse_insurability_feeds(
    data: Mapping[str, Any], institutions: Mapping[str, Institution]
) -> frozenset[str]:
    """The CAS listed in ``insurability_feeds``: each a known institution of sector 15, type 1."""
    feeds: set[str] = set()
    for index, item in enumerate(_table_list(data, "insurability_feeds")):
        where = f"insurability_feeds[{index}]"
        cas = _req_str(item, "cas", where)
        found = institutions.get(cas)
        if found is None or (found.sector, found.institution_type) != (15, 1):
            raise ValueError(f"{where}: {cas!r} is not a CAS of the catalogue (15/1)")
        feeds.add(cas)
    return frozenset(feeds)


def _parse_integration_bounds(data: Mapping[str, Any]) -> tuple[dict[int, str], dict[int, int]]:
    phases: dict[int, str] = {}
    for index, item in enumerate(_table_list(data, "phases")):
        where = f"phases[{index}]"
        value = _int(item, "value", where)
        if value < 0 or value in phases:
            raise ValueError(f"{where}: phase {value} is negative or listed twice")
        phases[value] = _req_str(item, "label", where)
    years: dict[int, int] = {}
    for index, item in enumerate(_table_list(data, "retroactivity")):
        where = f"retroactivity[{index}]"
        sector = _int(item, "sector", where)
        limit = _int(item, "years", where)
        if limit < 0 or sector in years:
            raise ValueError(f"{where}: sector {sector}'s limit is negative or listed twice")
        years[sector] = limit
    return phases, years


def _parse_tracking_holders(
    data: Mapping[str, Any], institutions: Mapping[str, Institution]
) -> tuple[tuple[Party, str], ...]:
    """The ``tracking_holders`` lines: a party (sector, types; one line per sector) and the
    institution that keeps the tracking file of its messages, a known one."""
    found: list[tuple[Party, str]] = []
    for index, item in enumerate(_table_list(data, "tracking_holders")):
        where = f"tracking_holders[{index}]"
        holder = _req_str(item, "holder", where)
        if holder not in institutions:
            raise ValueError(f"{where}: holder {holder!r} is not an institution of the catalogue")
        party = _parse_party(item, where)
        if any(known.sector == party.sector for known, _ in found):
            raise ValueError(f"{where}: sector {party.sector} is listed twice")
        found.append((party, holder))
    return tuple(found)


def catalogue_from_mapping(data: Mapping[str, Any]) -> Catalogue:
    """Check and build the catalogue from the mapping read from the data file.

    Raises ``ValueError`` naming the first offending entry.
    """
    institutions = _parse_institutions(data)
    capacities = _parse_capacities(data)
    categories, assimilations = _parse_code_lists(data)
    flows = _parse_flows(data)
    rules = _parse_rules(data, flows, capacities)
    feeds = _parse_insurability_feeds(data, institutions)
    phases, years = _parse_integration_bounds(data)
    holders = _parse_tracking_holders(data, institutions)
    return Catalogue(
        institutions=MappingProxyType(institutions),
        capacities=MappingProxyType(capacities),
        contributor_categories=MappingProxyType(categories),
        assimilation_codes=MappingProxyType(assimilations),
        flows=MappingProxyType(flows),
        rules=rules,
        insurability_feeds=feeds,
        phases=MappingProxyType(phases),
        retroactivity_years=MappingProxyType(years),
        tracking_holders=holders,
    )
