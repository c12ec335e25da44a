"""Load the demo data set: a synthetic population in the person directory, with careers."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from carrefour.domain.careers import EndReason
from carrefour.domain.console import ConsoleUser, Role
from carrefour.services import careers, console_users
from carrefour.services.unit_of_work import UnitOfWork
from carrefour.simulate.population import affiliations, integrations, people

FAMILY_ALLOWANCE_SECTOR = 7


def load_demo(
    uow_factory: Callable[[], UnitOfWork], *, persons: int = 200, seed: int = 2024
) -> tuple[int, int]:
    """Load the demo population unless it is there already. Careers are declared through the
    same use case as the API, so their start and stop messages reach the institutions that
    integrated the persons. Returns (directory lines, affiliations) added."""
    population = people(persons, seed=seed)
    with uow_factory() as uow:
        if uow.directory.lines_of(population[0].niss):
            return 0, 0
        funds = sorted(
            i.id for i in uow.catalogue.institutions.values() if i.sector == FAMILY_ALLOWANCE_SECTOR
        )
        lines = integrations(population, family_funds=funds, seed=seed)
        now = uow.clock.now()
        for line in lines:
            uow.directory.add(line, now)
        uow.commit()
        catalogue = uow.catalogue
    declared = affiliations(population, seed=seed)
    for item in declared:
        cas = catalogue.institution(item.cas)
        with uow_factory() as uow:
            result = careers.declare_affiliation(
                uow,
                caller=cas,
                command=careers.DeclareAffiliation(
                    niss=item.niss, begin=item.begin, contributor_category=item.category
                ),
            )
        if item.end is not None and result.affiliation_id is not None:
            with uow_factory() as uow:
                careers.declare_end(
                    uow,
                    caller=cas,
                    affiliation_id=result.affiliation_id,
                    end=item.end,
                    reason=EndReason.CESSATION,
                )
    return len(lines), len(declared)


#: The demo's console users, one per role, and an agent of a sender (ONSS sends batches):
#: (name, role, institution).
DEMO_USERS: tuple[tuple[str, Role, str | None], ...] = (
    ("operator", Role.OPERATOR, None),
    ("agent-mut-100", Role.AGENT, "mut-100"),
    ("agent-onss", Role.AGENT, "onss"),
    ("inami-cell", Role.INAMI_CELL, None),
)


def demo_users(uow_factory: Callable[[], UnitOfWork]) -> list[tuple[ConsoleUser, str]]:
    """One console user per role, each with a fresh random password (set anew on every run, so
    the printed passwords are the ones that work). Returns (user, password) pairs."""
    result = []
    for name, role, institution in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        with uow_factory() as uow:
            if uow.console.user(name) is None:
                console_users.add_user(
                    uow, name=name, role=role, institution=institution, password=password
                )
            else:
                console_users.set_password(uow, name=name, password=password)
            user = uow.console.user(name)
        assert user is not None  # noqa: S101 - just written
        result.append((user, password))
    return result
