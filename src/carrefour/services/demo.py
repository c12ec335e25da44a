"""Load the demo data set: a synthetic population in the person directory."""

from __future__ import annotations

from carrefour.services.unit_of_work import UnitOfWork
from carrefour.simulate.population import integrations, people

FAMILY_ALLOWANCE_SECTOR = 7


def load_demo(uow: UnitOfWork, *, persons: int = 200, seed: int = 2024) -> int:
    """Load the demo population unless it is there already; returns the lines added."""
    population = people(persons, seed=seed)
    if uow.directory.lines_of(population[0].niss):
        return 0
    funds = sorted(
        i.id for i in uow.catalogue.institutions.values() if i.sector == FAMILY_ALLOWANCE_SECTOR
    )
    lines = integrations(population, family_funds=funds, seed=seed)
    now = uow.clock.now()
    for line in lines:
        uow.directory.add(line, now)
    uow.commit()
    return len(lines)
