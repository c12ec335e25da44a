"""Person directory use cases: integrate (I605), end or cut (S607), list, and who knows whom."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from carrefour.domain import directory as rules
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import NissReplaced, NotFound
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.periods import Period
from carrefour.services.consultations import require
from carrefour.services.ids import new_id
from carrefour.services.unit_of_work import LineHistory, UnitOfWork

FLOW = "directory"
HUB_SECTOR = 25


def _ids() -> Iterator[str]:
    while True:
        yield new_id()


def current_niss(uow: UnitOfWork, text: str) -> str:
    """A valid NISS that has not been replaced; otherwise ``InvalidNiss`` or ``NissReplaced``."""
    niss = parse_niss(text).value
    replacement = uow.replacements.replacement_of(niss)
    if replacement is not None:
        raise NissReplaced(
            f"NISS {niss} was replaced by {replacement}; use the new NISS",
            old_niss=niss,
            new_niss=replacement,
        )
    return niss


@dataclass(frozen=True, slots=True)
class Integrate:
    """Form I605: ``institution`` integrates the person with a capacity, phase and period."""

    niss: str
    capacity: str
    phase: int
    begin: date
    end: date | None = None


def integrate(uow: UnitOfWork, *, caller: Institution, command: Integrate) -> IntegrationLine:
    niss = parse_niss(command.niss).value
    period = Period(command.begin, command.end)
    uow.catalogue.capacity(caller.sector, command.capacity)
    line_id = new_id()
    require(uow, caller=caller, action=Action.SEND, flow=FLOW, niss=niss, object_id=line_id)
    niss = current_niss(uow, niss)
    line = IntegrationLine(
        id=line_id,
        niss=niss,
        institution=caller.id,
        capacity=command.capacity,
        phase=command.phase,
        period=period,
    )
    rules.check_bounds(line, caller=caller, catalogue=uow.catalogue, today=uow.clock.today())
    rules.check_no_overlap(uow.directory.lines_of(niss), line)
    uow.directory.add(line, uow.clock.now())
    uow.commit()
    return line


def _own_line(uow: UnitOfWork, caller: Institution, niss: str, line_id: str) -> IntegrationLine:
    line = uow.directory.get(niss, line_id)
    if line is None or (line.institution != caller.id and caller.sector != HUB_SECTOR):
        raise NotFound(f"{caller.id} has no integration {line_id} for NISS {niss}")
    return line


def end_integration(
    uow: UnitOfWork, *, caller: Institution, niss: str, line_id: str, end: date
) -> IntegrationLine:
    """Form S607: end a line on ``end``. The line is kept, ended."""
    niss = parse_niss(niss).value
    require(uow, caller=caller, action=Action.SEND, flow=FLOW, niss=niss, object_id=line_id)
    line = rules.ended(_own_line(uow, caller, niss, line_id), end)
    uow.directory.set_end(niss, line_id, end, uow.clock.now(), "ended")
    uow.commit()
    return line


def cut_integration(
    uow: UnitOfWork, *, caller: Institution, niss: str, line_id: str, period: Period
) -> list[IntegrationLine]:
    """Form S607: cut ``period`` out of a line. The line is cancelled (kept in the history) and
    what remains of it becomes zero, one or two new lines."""
    niss = parse_niss(niss).value
    require(uow, caller=caller, action=Action.SEND, flow=FLOW, niss=niss, object_id=line_id)
    remains = rules.cut(_own_line(uow, caller, niss, line_id), period, _ids())
    now = uow.clock.now()
    uow.directory.cancel(niss, line_id, now, "cut")
    for line in remains:
        uow.directory.add(line, now)
    uow.commit()
    return remains


def lines_of_caller(
    uow: UnitOfWork, *, caller: Institution, niss: str, at: date | None = None
) -> list[IntegrationLine]:
    """The caller's own lines for a person (the hub itself sees every line): the directory
    consultation. Logged like every consultation."""
    niss = parse_niss(niss).value
    require(uow, caller=caller, action=Action.CONSULT, flow=FLOW, niss=niss)
    lines = uow.directory.lines_of(niss)
    if caller.sector != HUB_SECTOR:
        lines = [line for line in lines if line.institution == caller.id]
    if at is not None:
        lines = rules.lines_on(lines, at)
    uow.commit()
    return lines


def persons_of(
    uow: UnitOfWork,
    *,
    caller: Institution,
    at: date | None = None,
    after: str | None = None,
    limit: int = 100,
) -> tuple[list[IntegrationLine], str | None]:
    """The caller's integrated persons, a page at a time; returns the page and the next cursor."""
    require(uow, caller=caller, action=Action.CONSULT, flow=FLOW, niss=None)
    page = uow.directory.persons_of(caller.id, at=at, after=after, limit=limit + 1)
    uow.commit()
    more = len(page) > limit
    page = page[:limit]
    cursor = f"{page[-1].niss}:{page[-1].id}" if more and page else None
    return page, cursor


def who_knows(uow: UnitOfWork, *, niss: str, at: date) -> list[IntegrationLine]:
    """The routing query: every line in force for ``niss`` on ``at``, all institutions."""
    return rules.lines_on(uow.directory.lines_of(parse_niss(niss).value), at)


def history(uow: UnitOfWork, *, niss: str) -> list[LineHistory]:
    """Every line ever held for ``niss``, ended and cancelled ones included (operators)."""
    return uow.directory.history_of(parse_niss(niss).value)


def record_replacement(uow: UnitOfWork, *, old_niss: str, new_niss: str, by: str) -> None:
    """Record that ``old_niss`` was replaced by ``new_niss`` (e.g. a BIS number by a register
    number). Integrations on the old number are refused from then on."""
    old = parse_niss(old_niss).value
    new = parse_niss(new_niss).value
    uow.replacements.record(old, new, by, uow.clock.now())
    uow.commit()
