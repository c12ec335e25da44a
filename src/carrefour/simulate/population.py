"""A small synthetic population for the demo and the benchmarks: seeded, reproducible.

Every person gets a valid NISS (register numbers, a few BIS numbers) and a mutuality that has
integrated them for health-care insurability (capacity 001); some are known to ONEm or to a
family-allowance fund.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from carrefour.domain.directory import IntegrationLine
from carrefour.domain.identifiers import NissKind, build_niss
from carrefour.domain.periods import Period

MUTUALITIES = ("mut-100", "mut-200", "mut-300", "mut-400", "mut-500", "mut-600", "mut-900")


@dataclass(frozen=True, slots=True)
class Person:
    niss: str
    birth: date


def people(count: int, *, seed: int = 2024) -> list[Person]:
    """``count`` distinct persons born 1950-2005, with about 2 % BIS numbers."""
    rng = random.Random(seed)
    seen: set[str] = set()
    result: list[Person] = []
    while len(result) < count:
        birth = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
        bis = rng.random() < 0.02
        niss = build_niss(
            year=birth.year,
            month=birth.month,
            day=birth.day,
            sequence=rng.randint(1, 998),
            kind=NissKind.BIS if bis else NissKind.REGISTER,
        )
        if niss not in seen:
            seen.add(niss)
            result.append(Person(niss, birth))
    return result


def integrations(
    persons: list[Person], *, family_funds: list[str], seed: int = 2024
) -> list[IntegrationLine]:
    """Directory lines for ``persons``: a mutuality each; ONEm for 15 %; a family fund for 25 %."""
    rng = random.Random(seed + 1)
    lines: list[IntegrationLine] = []

    def add(niss: str, institution: str, capacity: str, begin: date) -> None:
        lines.append(
            IntegrationLine(
                id=f"{niss}-{institution}-{capacity}",
                niss=niss,
                institution=institution,
                capacity=capacity,
                phase=1,
                period=Period(begin),
            )
        )

    for person in persons:
        since = max(person.birth, date(2015, 1, 1))
        add(person.niss, rng.choice(MUTUALITIES), "001", since)
        if rng.random() < 0.15:
            add(person.niss, "onem", "004", date(2022, 1, 1))
        if family_funds and rng.random() < 0.25:
            add(person.niss, rng.choice(family_funds), "001", since)
    return lines


@dataclass(frozen=True, slots=True)
class SimulatedAffiliation:
    niss: str
    cas: str
    begin: date
    end: date | None
    category: str


CAS = (
    "cas-acerta", "cas-avixi", "cas-groups", "cas-incozina", "cas-liantis", "cas-partena",
    "cas-securex", "cas-ucm", "cas-xerius", "cas-zenito", "cas-cna",
)  # fmt: skip


def affiliations(
    persons: list[Person], *, share: float = 0.3, seed: int = 2024
) -> list[SimulatedAffiliation]:
    """Self-employed careers for about ``share`` of ``persons``: one affiliation each, begun
    between 2016 and 2025 (never before the 18th birthday), one in four already ended."""
    rng = random.Random(seed + 2)
    result = []
    for person in persons:
        if rng.random() >= share:
            continue
        earliest = max(date(2016, 1, 1), date(person.birth.year + 18, 1, 1))
        if earliest > date(2025, 6, 30):
            continue
        span = (date(2025, 6, 30) - earliest).days
        begin = date.fromordinal(earliest.toordinal() + rng.randint(0, span))
        end = None
        if rng.random() < 0.25:
            end = date.fromordinal(begin.toordinal() + rng.randint(90, 900))
            end = min(end, date(2025, 12, 31))
        category = rng.choice("AAAADDDES")
        result.append(SimulatedAffiliation(person.niss, rng.choice(CAS), begin, end, category))
    return result
