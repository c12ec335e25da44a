"""The person directory: which institution knows which person, in what capacity, from when.

An institution *integrates* a person (form I605) before it may consult or receive data on them,
and ends or cuts the line (form S607). A line is ``NISS x institution x capacity x phase x
period``; lines of one (NISS, institution, capacity) never overlap, and history is kept: an ended
line is ended, not deleted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from carrefour.domain.catalogue import Catalogue, Institution
from carrefour.domain.errors import (
    BeginBeforeBirth,
    BeginBeyondRetroactivity,
    CapacityNotAllowed,
    Conflict,
    InvalidPeriod,
    InvalidPhase,
    OverlappingIntegration,
)
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.periods import Period


@dataclass(frozen=True, slots=True)
class IntegrationLine:
    """One line of the person directory."""

    id: str
    niss: str
    institution: str
    capacity: str
    phase: int
    period: Period

    def covers(self, day: date) -> bool:
        return self.period.contains(day)


@dataclass(frozen=True, slots=True)
class LineShape:
    """What the lines of a bulk load share, the person aside: capacity, phase and period (most
    lines of a file have one of a few shapes, each checked once)."""

    capacity: str
    phase: int
    period: Period

    def line(self, *, id: str, niss: str, institution: str) -> IntegrationLine:
        """The line of this shape for ``niss``."""
        return IntegrationLine(id, niss, institution, self.capacity, self.phase, self.period)


#: A new line of a bulk load: its NISS, its id and its shape (the institution is the loader's).
NewLine = tuple[str, str, LineShape]


def lines_on(lines: Iterable[IntegrationLine], day: date) -> list[IntegrationLine]:
    """The lines in force on ``day``: the routing query "who knows this NISS on this date"."""
    return [line for line in lines if line.covers(day)]


def overlapping(existing: Iterable[IntegrationLine], new: IntegrationLine) -> list[IntegrationLine]:
    """The lines of the same (NISS, institution, capacity) whose period meets ``new``'s."""
    return [
        line
        for line in existing
        if line.id != new.id
        and line.niss == new.niss
        and line.institution == new.institution
        and line.capacity == new.capacity
        and line.period.overlaps(new.period)
    ]


def check_no_overlap(existing: Iterable[IntegrationLine], new: IntegrationLine) -> None:
    """Refuse a line that would overlap another of the same (NISS, institution, capacity)."""
    clashes = overlapping(existing, new)
    if clashes:
        clash = clashes[0]
        raise OverlappingIntegration(
            f"{new.institution} already integrates {new.niss} with capacity {new.capacity} "
            f"for {clash.period} (line {clash.id}); the new period {new.period} overlaps it",
            line_id=clash.id,
            period=str(clash.period),
        )


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29 February that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def check_bounds(
    line: IntegrationLine,
    *,
    caller: Institution,
    catalogue: Catalogue,
    today: date,
    allowed: Collection[str] | None = None,
    birth: date | None = None,
) -> None:
    """Refuse an integration (form I605) outside its bounds: a phase that is not one of the
    catalogue's (``InvalidPhase``); a capacity no deliberation lets the caller's sector hold
    (``CapacityNotAllowed``); a begin further back than the sector's retroactivity limit
    (``BeginBeyondRetroactivity``) or before the birth date the NISS carries
    (``BeginBeforeBirth``).

    A bulk load checking many lines of one caller passes ``allowed`` (the caller's
    ``integrable_capacities``, worked out once) and each NISS's earliest ``birth`` date."""
    shape = LineShape(line.capacity, line.phase, line.period)
    check_limits(shape, caller=caller, catalogue=catalogue, today=today, allowed=allowed)
    check_birth(line, parse_niss(line.niss).earliest_birth_date if birth is None else birth)


def check_limits(
    line: LineShape,
    *,
    caller: Institution,
    catalogue: Catalogue,
    today: date,
    allowed: Collection[str] | None = None,
) -> None:
    """The bounds of ``check_bounds`` that do not depend on the person: the phase, the capacity
    the caller's sector may hold and the retroactivity limit. A bulk load checks them once for
    every line of the same capacity, phase and period."""
    if catalogue.phases and line.phase not in catalogue.phases:
        known = ", ".join(f"{value} ({label})" for value, label in sorted(catalogue.phases.items()))
        raise InvalidPhase(
            f"phase {line.phase} is not a phase of the person directory; phases: {known}",
            phase=line.phase,
            valid=sorted(catalogue.phases),
        )
    if allowed is None:
        allowed = catalogue.integrable_capacities(caller)
    if line.capacity not in allowed:
        raise CapacityNotAllowed(
            f"no deliberation lets {caller.id} (sector {caller.sector}/"
            f"{caller.institution_type}) integrate a person with capacity {line.capacity}; "
            f"allowed: {', '.join(sorted(allowed)) or 'none'}",
            capacity=line.capacity,
            valid=sorted(allowed),
        )
    begin = line.period.begin
    years = catalogue.retroactivity_years.get(caller.sector)
    if years is not None and begin < years_before(today, years):
        earliest = years_before(today, years)
        raise BeginBeyondRetroactivity(
            f"begin {begin.isoformat()} is further back than sector {caller.sector}'s "
            f"retroactivity limit of {years} years (the earliest begin today is "
            f"{earliest.isoformat()})",
            begin=begin.isoformat(),
            earliest=earliest.isoformat(),
        )


def check_birth(line: IntegrationLine, birth: date) -> None:
    """Refuse a line that begins before ``birth``, the earliest birth date its NISS carries."""
    begin = line.period.begin
    if begin < birth:
        raise BeginBeforeBirth(
            f"begin {begin.isoformat()} is before the birth date NISS {line.niss} carries "
            f"({birth.isoformat()} at the earliest)",
            begin=begin.isoformat(),
            birth=birth.isoformat(),
        )


def ended(line: IntegrationLine, end: date) -> IntegrationLine:
    """``line`` ended on ``end`` (form S607 "end"): an end may be set or brought forward only."""
    if end < line.period.begin:
        raise InvalidPeriod(
            f"end {end.isoformat()} is before the line's begin {line.period.begin.isoformat()}",
            begin=line.period.begin.isoformat(),
            end=end.isoformat(),
        )
    if line.period.end is not None and end > line.period.end:
        raise Conflict(
            f"line {line.id} already ends on {line.period.end.isoformat()}; "
            f"an end can only be brought forward, not pushed back to {end.isoformat()}",
            line_id=line.id,
        )
    return replace(line, period=Period(line.period.begin, end))


def cut(line: IntegrationLine, period: Period, new_ids: Iterator[str]) -> list[IntegrationLine]:
    """What remains of ``line`` once ``period`` is cut out of it (form S607 "cut a period")."""
    if not line.period.overlaps(period):
        raise Conflict(
            f"period {period} does not meet line {line.id} ({line.period}); nothing to cut",
            line_id=line.id,
        )
    return [replace(line, id=next(new_ids), period=rest) for rest in line.period.minus(period)]
