"""Person directory use cases: integrate (I605), end or cut (S607), list, and who knows whom."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice

from carrefour.domain import directory as rules
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.directory import IntegrationLine, LineShape, NewLine
from carrefour.domain.errors import (
    CarrefourError,
    InvalidInput,
    InvalidNiss,
    NissReplaced,
    NotFound,
)
from carrefour.domain.identifiers import NISS_LENGTH, parse_niss
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
        raise replaced_error(niss, replacement)
    return niss


def replaced_error(niss: str, replacement: str) -> NissReplaced:
    """The refusal of ``niss``, replaced by ``replacement``."""
    return NissReplaced(
        f"NISS {niss} was replaced by {replacement}; use the new NISS",
        old_niss=niss,
        new_niss=replacement,
    )


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

#: ``2`` followed by the first nine digits of a NISS, for a birth from 2000 on.
_FROM_2000 = 2_000_000_000
#: How many birth prefixes a load remembers before it starts over (memory stays bounded).
_BIRTHS_KEPT = 100_000

#: A bulk line's fields, in ``LOAD_FIELDS`` order (``None`` or empty when absent).
LoadFields = Sequence[object]
#: The phases the quick checks take (JSON's ``true`` and ``1.0`` equal ``1`` as keys, and are
#: not phases: those lines are checked in full).
_PHASE_TYPES = frozenset({str, int, type(None)})


def _bulk_ids(count: int) -> list[str]:
    """``count`` new random identifiers of 32 hex digits (as ``new_id``), from one read of the
    system's random source."""
    pool = os.urandom(16 * count).hex()
    return [pool[i : i + 32] for i in range(0, 32 * count, 32)]


class _Loader:
    """The checks of one bulk load by ``caller``: those of ``integrate``, in its order, with
    what many lines share worked out once. A line's period, capacity, phase and bounds are
    checked once per distinct shape (a chunk's lines have a few); its NISS by its check digits,
    the earliest birth date of its first six digits (and century) parsed once. A line the quick
    checks do not clear is checked again in full, which gives it the error ``integrate``
    gives."""

    def __init__(self, caller: Institution) -> None:
        self.caller = caller
        # The earliest birth date of the first six digits, for a birth before 2000 and from 2000.
        self._births_1900: dict[str, date | None] = {}
        self._births_2000: dict[str, date | None] = {}

    def load_chunk(
        self, uow: UnitOfWork, chunk: Sequence[tuple[int, LoadFields]]
    ) -> tuple[int, list[LoadError]]:
        """Check and write one chunk (one transaction); the count loaded and the refused lines."""
        today = uow.clock.today()
        allowed = frozenset(uow.catalogue.integrable_capacities(self.caller))
        # Each shape met, or None when one of its checks refuses it (its lines are then checked
        # in full, which finds the error integrate gives first).
        shapes: dict[tuple[object, ...], LineShape | None] = {}
        errors: list[LoadError] = []
        candidates: list[tuple[int, str, LineShape]] = []
        out_of_bounds: list[tuple[int, str, CarrefourError]] = []
        birth_of = self._birth
        for number, fields in chunk:
            niss, capacity, phase, begin, end = fields
            if type(niss) is str and niss and capacity and begin and type(phase) in _PHASE_TYPES:
                key = (capacity, phase, begin, end)
                try:
                    shape = shapes[key]
                except KeyError:
                    shape = shapes[key] = self._clean_shape(uow, key, today, allowed)
                except TypeError:  # a value that is not text (JSON): checked in full below
                    shape = None
                if shape is not None:
                    birth = birth_of(niss)
                    if birth is not None and shape.period.begin >= birth:
                        candidates.append((number, niss, shape))
                        continue
            try:
                person, shape, refusal = self._checked(uow, fields, today, allowed)
            except CarrefourError as error:
                errors.append(LoadError(number, error.code, error.detail))
                continue
            if refusal is None:
                candidates.append((number, person, shape))
            else:
                out_of_bounds.append((number, person, refusal))
        accepted = self._without_clashes(uow, candidates, out_of_bounds, errors)
        uow.directory.add_new(self.caller.id, accepted, uow.clock.now())
        uow.commit()
        return len(accepted), errors

    def _birth(self, niss: str) -> date | None:
        """The earliest birth date of a plain NISS (11 digits) whose check digits match, or
        ``None`` (``parse_niss`` then decides). The check digits tell the century; the date is
        ``parse_niss``'s for the first NISS of the same six digits and century."""
        if len(niss) != NISS_LENGTH or not niss.isascii() or not niss.isdigit():
            return None
        first_nine, check = divmod(int(niss), 100)
        if check == 97 - first_nine % 97:
            births = self._births_1900
        elif check == 97 - (first_nine + _FROM_2000) % 97:
            births = self._births_2000
        else:
            return None
        prefix = niss[:6]
        try:
            return births[prefix]
        except KeyError:
            pass
        if len(births) >= _BIRTHS_KEPT:
            births.clear()
        try:
            birth: date | None = parse_niss(niss).earliest_birth_date
        except InvalidNiss:
            birth = None
        births[prefix] = birth
        return birth

    def _clean_shape(
        self, uow: UnitOfWork, fields: Sequence[object], today: date, allowed: frozenset[str]
    ) -> LineShape | None:
        """The shape of ``fields`` (``capacity, phase, begin, end``) if it passes every check
        but the person's (birth, replacement, overlap); otherwise ``None``."""
        try:
            shape = self._shape(uow, fields)
            self._check_limits(uow, shape, today, allowed)
        except CarrefourError:
            return None
        return shape

    def _shape(self, uow: UnitOfWork, fields: Sequence[object]) -> LineShape:
        """The period, capacity and phase of a line (``capacity, phase, begin, end``), checked
        as ``integrate`` checks them before it looks at the directory: dates that are dates, an
        end not before the begin, a capacity of the caller's sector, a whole phase."""
        capacity_field, phase_field, begin, end = fields
        period = Period(_parse_day(str(begin)), _parse_day(str(end)) if end else None)
        capacity = str(capacity_field).strip()
        uow.catalogue.capacity(self.caller.sector, capacity)
        phase_text = "1" if phase_field is None or phase_field == "" else str(phase_field).strip()
        if not phase_text.isdigit():
            raise InvalidInput(f"phase {phase_text!r} is not a whole number >= 0", phase=phase_text)
        return LineShape(capacity, int(phase_text), period)

    def _check_limits(
        self, uow: UnitOfWork, shape: LineShape, today: date, allowed: frozenset[str]
    ) -> None:
        rules.check_limits(
            shape, caller=self.caller, catalogue=uow.catalogue, today=today, allowed=allowed
        )

    def _checked(
        self, uow: UnitOfWork, fields: LoadFields, today: date, allowed: frozenset[str]
    ) -> tuple[str, LineShape, CarrefourError | None]:
        """One line checked in full: its NISS, its shape and the bound it is out of, if any
        (``integrate`` reports a replaced NISS before a bound: the load reads the replacements
        of a whole chunk at once, later). Raises the error of a line refused before."""
        niss, capacity, phase, begin, end = fields
        present = {"niss": niss, "capacity": capacity, "begin": begin}
        missing = [name for name, value in present.items() if not value]
        if missing:
            raise InvalidInput(f"missing {', '.join(missing)}", fields=missing)
        parsed = parse_niss(str(niss))
        shape = self._shape(uow, (capacity, phase, begin, end))
        try:
            self._check_limits(uow, shape, today, allowed)
            line = shape.line(id="", niss=parsed.value, institution=self.caller.id)
            rules.check_birth(line, parsed.earliest_birth_date)
        except CarrefourError as refusal:
            return parsed.value, shape, refusal
        return parsed.value, shape, None

    def _without_clashes(
        self,
        uow: UnitOfWork,
        candidates: Sequence[tuple[int, str, LineShape]],
        out_of_bounds: Sequence[tuple[int, str, CarrefourError]],
        errors: list[LoadError],
    ) -> list[NewLine]:
        """The candidates that are not replaced NISS and overlap no line of the same (NISS,
        institution, capacity), in the directory or earlier in the file, each with its new id;
        the others, and the lines out of bounds, added to ``errors``. The replacements and the
        caller's directory lines of the chunk's persons are read in one statement each; only
        the lines of a (NISS, capacity) held already or met twice in the chunk are compared."""
        caller = self.caller.id
        persons = [niss for _, niss, _ in candidates] + [niss for _, niss, _ in out_of_bounds]
        nisses = list(dict.fromkeys(persons))
        replaced = uow.replacements.replacements_of(nisses)
        for number, niss, refusal in out_of_bounds:
            if niss in replaced:
                refusal = replaced_error(niss, replaced[niss])
            errors.append(LoadError(number, refusal.code, refusal.detail))
        held: dict[tuple[str, str], list[IntegrationLine]] = {}
        for line in uow.directory.lines_held(caller, nisses):
            held.setdefault((line.niss, line.capacity), []).append(line)
        keys = [(niss, shape.capacity) for _, niss, shape in candidates]
        contested = {key for key, count in Counter(keys).items() if count > 1}
        contested.update(held)
        ids = _bulk_ids(len(candidates))
        if not contested and not replaced:  # the usual chunk: new persons, once each
            return [
                (niss, line_id, shape)
                for (_, niss, shape), line_id in zip(candidates, ids, strict=True)
            ]
        accepted: list[NewLine] = []
        for (number, niss, shape), key, line_id in zip(candidates, keys, ids, strict=True):
            try:
                if niss in replaced:
                    raise replaced_error(niss, replaced[niss])
                if key in contested:
                    same = held.setdefault(key, [])
                    line = shape.line(id=line_id, niss=niss, institution=caller)
                    rules.check_no_overlap(same, line)
                    same.append(line)  # a later line of the file may not overlap this one
            except CarrefourError as error:
                errors.append(LoadError(number, error.code, error.detail))
                continue
            accepted.append((niss, line_id, shape))
        return accepted


def load_integrations(
    new_uow: Callable[[], UnitOfWork],
    *,
    caller: Institution,
    lines: Iterable[tuple[int, LoadFields]],
    source: str,
    chunk_size: int = 50_000,
    progress: Callable[[LoadReport], None] | None = None,
) -> LoadReport:
    """Form I605 for many lines (``(line number, fields)``, the fields in ``LOAD_FIELDS``
    order) at once, with the rules of ``integrate``: a valid, not replaced NISS, a capacity of
    the caller's sector it may hold, a phase of the catalogue, a begin within the retroactivity
    limit and not before the birth the NISS carries, a period that overlaps no line of the same
    (NISS, institution, capacity), in the directory or earlier in the file. A bad line is
    reported with its number and the error ``integrate`` gives, and the rest is loaded. Each
    chunk commits on its own, so a load that stops keeps its committed chunks; loading the same
    file again loads nothing twice (each line already there is reported as overlapping)."""
    with new_uow() as uow:
        require(uow, caller=caller, action=Action.SEND, flow=FLOW, niss=None, reference=source)
        uow.commit()
    report = LoadReport()
    loader = _Loader(caller)
    iterator = iter(lines)
    while chunk := list(islice(iterator, chunk_size)):
        with new_uow() as uow:
            loaded, errors = loader.load_chunk(uow, chunk)
        report.loaded += loaded
        report.errors.extend(errors)
        if progress is not None:
            progress(report)
    report.errors.sort(key=lambda error: error.line)
    return report
