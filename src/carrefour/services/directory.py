"""Person directory use cases: integrate (I605), end or cut (S607), list, and who knows whom."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice

from carrefour.domain import directory as rules
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError, InvalidInput, NissReplaced, NotFound
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.periods import Period, parse_date
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
    lines = visible_lines(caller, uow.directory.lines_of(niss), at)
    uow.commit()
    return lines


def visible_lines(
    caller: Institution, lines: list[IntegrationLine], at: date | None = None
) -> list[IntegrationLine]:
    """Of a person's lines, those the caller sees: its own (the hub itself sees every line),
    and only those in force on ``at`` when it is given."""
    if caller.sector != HUB_SECTOR:
        lines = [line for line in lines if line.institution == caller.id]
    if at is not None:
        lines = rules.lines_on(lines, at)
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


# -- Bulk load: many I605 lines at once, with the rules of ``integrate`` -------------------------

#: The fields of a bulk line; ``end`` may be empty or absent (an open line).
LOAD_FIELDS = ("niss", "capacity", "phase", "begin", "end")


@dataclass(frozen=True, slots=True)
class LoadError:
    """A line of a bulk file that was not loaded: its line number, the error code and why."""

    line: int
    code: str
    detail: str


@dataclass(slots=True)
class LoadReport:
    loaded: int = 0
    errors: list[LoadError] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.loaded + len(self.errors)


#: The dates of a bulk file repeat (quarter and year starts): each is parsed once.
_parse_day = lru_cache(maxsize=4096)(parse_date)


def _bulk_ids(count: int) -> Iterator[str]:
    """``count`` new random identifiers of 32 hex digits (as ``new_id``), from one read of the
    system's random source."""
    pool = os.urandom(16 * count).hex()
    return (pool[i : i + 32] for i in range(0, 32 * count, 32))


def _candidate(
    uow: UnitOfWork,
    caller: Institution,
    raw: Mapping[str, object],
    line_id: str,
    allowed: frozenset[str],
) -> IntegrationLine:
    """One bulk line checked as ``integrate`` checks its command (but the directory)."""
    missing = [name for name in ("niss", "capacity", "begin") if not raw.get(name)]
    if missing:
        raise InvalidInput(f"missing {', '.join(missing)}", fields=missing)
    parsed = parse_niss(str(raw["niss"]))
    capacity = str(raw["capacity"]).strip()
    uow.catalogue.capacity(caller.sector, capacity)
    phase_text = str(raw.get("phase") or "1").strip()
    if not phase_text.isdigit():
        raise InvalidInput(f"phase {phase_text!r} is not a whole number >= 0", phase=phase_text)
    end = raw.get("end")
    period = Period(_parse_day(str(raw["begin"])), _parse_day(str(end)) if end else None)
    line = IntegrationLine(
        id=line_id,
        niss=parsed.value,
        institution=caller.id,
        capacity=capacity,
        phase=int(phase_text),
        period=period,
    )
    rules.check_bounds(
        line,
        caller=caller,
        catalogue=uow.catalogue,
        today=uow.clock.today(),
        allowed=allowed,
        birth=parsed.earliest_birth_date,
    )
    return line


def _load_chunk(
    uow: UnitOfWork, caller: Institution, chunk: list[tuple[int, Mapping[str, object]]]
) -> tuple[int, list[LoadError]]:
    errors: list[LoadError] = []
    candidates: list[tuple[int, IntegrationLine]] = []
    ids = _bulk_ids(len(chunk))
    allowed = frozenset(uow.catalogue.integrable_capacities(caller))
    for (number, raw), line_id in zip(chunk, ids, strict=True):
        try:
            candidates.append((number, _candidate(uow, caller, raw, line_id, allowed)))
        except CarrefourError as error:
            errors.append(LoadError(number, error.code, error.detail))
    nisses = sorted({line.niss for _, line in candidates})
    replaced = uow.replacements.replacements_of(nisses)
    held: dict[tuple[str, str], list[IntegrationLine]] = {}
    for line in uow.directory.lines_of_many(nisses):
        if line.institution == caller.id:
            held.setdefault((line.niss, line.capacity), []).append(line)
    accepted: list[IntegrationLine] = []
    for number, line in candidates:
        try:
            if line.niss in replaced:
                current_niss(uow, line.niss)  # raises NissReplaced, with the new number
            same = held.setdefault((line.niss, line.capacity), [])
            rules.check_no_overlap(same, line)
        except CarrefourError as error:
            errors.append(LoadError(number, error.code, error.detail))
            continue
        same.append(line)  # a later line of the file may not overlap this one either
        accepted.append(line)
    uow.directory.add_many(accepted, uow.clock.now())
    uow.commit()
    return len(accepted), errors


def load_integrations(
    new_uow: Callable[[], UnitOfWork],
    *,
    caller: Institution,
    lines: Iterable[tuple[int, Mapping[str, object]]],
    source: str,
    chunk_size: int = 20_000,
    progress: Callable[[LoadReport], None] | None = None,
) -> LoadReport:
    """Form I605 for many lines (``(line number, fields)``) at once, with the rules of
    ``integrate``: a valid, not replaced NISS, a capacity of the caller's sector, a period that
    overlaps no line of the same (NISS, institution, capacity), in the directory or earlier in
    the file. A bad line is reported with its number and the rest is loaded. Each chunk commits
    on its own, so a load that stops keeps its committed chunks; loading the same file again
    loads nothing twice (each line already there is reported as overlapping)."""
    with new_uow() as uow:
        require(uow, caller=caller, action=Action.SEND, flow=FLOW, niss=None, reference=source)
        uow.commit()
    report = LoadReport()
    iterator = iter(lines)
    while chunk := list(islice(iterator, chunk_size)):
        with new_uow() as uow:
            loaded, errors = _load_chunk(uow, caller, chunk)
        report.loaded += loaded
        report.errors.extend(errors)
        if progress is not None:
            progress(report)
    report.errors.sort(key=lambda error: error.line)
    return report
