"""Self-employed careers: the RGTI and the start and stop messages it implies.

The **RGTI** (*répertoire général des travailleurs indépendants*) is the register of
self-employed careers. INASTI keeps it; the 11 **CAS** (*caisses d'assurances sociales*, the
social insurance funds for the self-employed, one of which is INASTI's own CNA) feed it, each
answering for what it sends. A **career** is the periods during which a person is subject to the
self-employed social status:

* **affiliations**: the periods a person is affiliated with one CAS, as a self-employed person, a
  helper or an assisting spouse, possibly for a sole proprietorship (its enterprise number). A
  person has at most one CAS at a time, so the affiliations of a career never overlap;
* **contributor categories** (*code cotisant*): the category of social contributions the person
  owes (A main occupation, D complementary occupation, E after legal pension age, ...). A category
  change is in force from its ``begin`` until the next change of the same affiliation or the end
  of the affiliation;
* **assimilated periods**: periods without self-employed activity that INASTI decides (grants or
  refuses) to count as if active: sickness-invalidity (code 7), military service (8), preventive
  detention (9), studies or apprenticeship (10), family plan (17).

An affiliation may begin on any day, but contributions and insurability count per calendar
quarter (the quarter of the start counts in full) and an interruption is counted in whole
calendar quarters with no affiliation at all (``periods.whole_quarters_between``).

INASTI sends two automatic messages, which replaced the paper certificates the CAS used to issue:
a **start** when a person begins (the first installation, or a resumption after an interruption of
at least one whole quarter) and a **stop** at radiation from a CAS. A change of CAS or a gap
shorter than a quarter is no start. ``events`` lists every message a career implies and ``detect``
the ones a write made necessary.

Every write returns a new ``Career`` (careers are immutable) or raises a domain error. ``by_cas``
is the CAS making the write: a CAS may only write its own affiliates' data. INASTI's own writes
(assimilation decisions) are checked by the caller.

Standard library and ``carrefour.domain`` only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from carrefour.domain.errors import (
    Conflict,
    InvalidCode,
    InvalidInput,
    InvalidPeriod,
    NotAuthorised,
    NotFound,
)
from carrefour.domain.identifiers import parse_enterprise_number, parse_niss
from carrefour.domain.periods import Period, whole_quarters_between

__all__ = [
    "Affiliation",
    "AssimilationDecision",
    "Career",
    "CareerEvent",
    "CategoryChange",
    "EndReason",
    "EventKind",
    "Segment",
    "WorkerCapacity",
    "change_category",
    "correct_affiliation",
    "declare_affiliation",
    "detect",
    "end_affiliation",
    "events",
    "record_assimilation",
    "segments",
]

#: An interruption of at least this many whole calendar quarters makes a new affiliation a
#: resumption, announced by a start message.
RESUMPTION_MIN_QUARTERS = 1

_ONE_DAY = timedelta(days=1)


class WorkerCapacity(StrEnum):
    """In what capacity the person is affiliated."""

    SELF_EMPLOYED = "self-employed"
    HELPER = "helper"
    ASSISTING_SPOUSE = "assisting-spouse"


class EndReason(StrEnum):
    """Why an affiliation ended. ``TRANSFER``: the person moves to another CAS, which takes over;
    it produces no stop message. Every other reason is a radiation."""

    CESSATION = "cessation"
    TRANSFER = "transfer"
    DEATH = "death"
    EX_OFFICIO = "ex-officio"


@dataclass(frozen=True, slots=True)
class Affiliation:
    """One period of affiliation of a person with one CAS."""

    id: str
    niss: str
    cas: str
    period: Period
    capacity: WorkerCapacity
    enterprise_number: str | None
    """The enterprise number of the sole proprietorship, if any."""
    end_reason: EndReason | None = None
    """Why the affiliation ended; ``None`` while open (or when the reason was not given)."""


@dataclass(frozen=True, slots=True)
class CategoryChange:
    """The contributor category of an affiliation from ``begin`` until the next change of the
    same affiliation or the affiliation's end."""

    affiliation_id: str
    category: str
    begin: date


@dataclass(frozen=True, slots=True)
class AssimilationDecision:
    """INASTI's decision on an assimilated period (codes 7, 8, 9, 10, 17): granted or refused."""

    id: str
    niss: str
    code: int
    period: Period
    granted: bool
    decided_on: date


@dataclass(frozen=True, slots=True)
class Career:
    """A person's self-employed career as the RGTI holds it.

    ``birth`` is the earliest possible birth date the NISS carries (``Career.of`` computes it);
    no affiliation may begin before it. The writes keep ``affiliations`` sorted by begin,
    ``categories`` by begin then affiliation and ``assimilations`` by begin then id.
    """

    niss: str
    birth: date
    affiliations: tuple[Affiliation, ...] = ()
    categories: tuple[CategoryChange, ...] = ()
    assimilations: tuple[AssimilationDecision, ...] = ()

    @classmethod
    def of(cls, niss: str) -> Career:
        """The empty career of ``niss`` (raises ``InvalidNiss`` for an invalid number)."""
        parsed = parse_niss(niss)
        return cls(niss=parsed.value, birth=parsed.earliest_birth_date)

    def affiliation(self, affiliation_id: str) -> Affiliation:
        for affiliation in self.affiliations:
            if affiliation.id == affiliation_id:
                return affiliation
        raise NotFound(
            f"no affiliation {affiliation_id!r} in the career of {self.niss}",
            affiliation_id=affiliation_id,
            niss=self.niss,
        )

    def cas_on(self, day: date) -> str | None:
        """The CAS the person is affiliated with on ``day``, or ``None``."""
        for affiliation in self.affiliations:
            if affiliation.period.contains(day):
                return affiliation.cas
        return None

    def categories_of(self, affiliation_id: str) -> list[CategoryChange]:
        """The category changes of one affiliation, by begin."""
        return sorted(
            (c for c in self.categories if c.affiliation_id == affiliation_id),
            key=lambda c: c.begin,
        )


# --- segments ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """A career segment as a consultation (L302) returns it: a maximal period of one affiliation
    with the same CAS, contributor category, capacity and enterprise number. Segments are numbered
    from 1 in chronological order. A new affiliation always opens a new segment, even with the same
    CAS and category as the one it follows."""

    number: int
    affiliation_id: str
    cas: str
    capacity: WorkerCapacity
    enterprise_number: str | None
    category: str
    period: Period


def _category_pieces(
    affiliation: Affiliation, changes: list[CategoryChange]
) -> list[tuple[str, Period]]:
    """(category, period) pieces of one affiliation, consecutive equal categories merged.

    A change dated before the affiliation's begin counts from the begin, and the first category
    also covers any days before the first change; a change after the end is ignored. With no
    change at all the category is empty.
    """
    period = affiliation.period
    starts: dict[date, str] = {}
    for change in changes:  # sorted by begin: a later change of the same day wins
        if period.end is not None and change.begin > period.end:
            continue
        starts[max(change.begin, period.begin)] = change.category
    if not starts:
        return [("", period)]
    points = sorted(starts.items())
    points[0] = (period.begin, points[0][1])
    merged: list[tuple[date, str]] = []
    for begin, category in points:
        if merged and merged[-1][1] == category:
            continue
        merged.append((begin, category))
    pieces: list[tuple[str, Period]] = []
    for index, (begin, category) in enumerate(merged):
        end = merged[index + 1][0] - _ONE_DAY if index + 1 < len(merged) else period.end
        pieces.append((category, Period(begin, end)))
    return pieces


def segments(career: Career) -> list[Segment]:
    """The career cut into segments, numbered from 1 chronologically."""
    found: list[Segment] = []
    for affiliation in sorted(career.affiliations, key=lambda a: a.period.begin):
        for category, period in _category_pieces(affiliation, career.categories_of(affiliation.id)):
            found.append(
                Segment(
                    number=len(found) + 1,
                    affiliation_id=affiliation.id,
                    cas=affiliation.cas,
                    capacity=affiliation.capacity,
                    enterprise_number=affiliation.enterprise_number,
                    category=category,
                    period=period,
                )
            )
    return found


# --- checks --------------------------------------------------------------------------------


def _check_own_affiliate(affiliation: Affiliation, by_cas: str, action: str) -> None:
    if affiliation.cas != by_cas:
        raise NotAuthorised(
            f"CAS {by_cas!r} may not {action} affiliation {affiliation.id!r} of "
            f"{affiliation.niss}: it belongs to CAS {affiliation.cas!r}; a CAS can only change "
            "its own affiliates' data",
            reason_code="not-authorised",
            status_code="MSG00013",
            affiliation_id=affiliation.id,
            cas=affiliation.cas,
            by_cas=by_cas,
        )


def _check_not_before_birth(career: Career, begin: date, what: str) -> None:
    if begin < career.birth:
        raise InvalidPeriod(
            f"{what} begins on {begin.isoformat()}, before the birth date the NISS "
            f"{career.niss} carries ({career.birth.isoformat()} at the earliest)",
            begin=begin.isoformat(),
            birth=career.birth.isoformat(),
        )


def _check_no_overlap(career: Career, affiliation: Affiliation) -> None:
    """A person has at most one CAS at a time: no two affiliations may overlap."""
    for other in career.affiliations:
        if other.id != affiliation.id and other.period.overlaps(affiliation.period):
            raise Conflict(
                f"affiliation {affiliation.id!r} ({affiliation.period}) overlaps affiliation "
                f"{other.id!r} of {other.niss} with CAS {other.cas!r} ({other.period}); "
                "a person is affiliated with at most one CAS at a time",
                affiliation_id=other.id,
                cas=other.cas,
                period=str(other.period),
            )


def _check_category(category: str, categories: Collection[str]) -> None:
    if category not in categories:
        valid = ", ".join(sorted(categories))
        raise InvalidCode(
            f"contributor category {category!r} does not exist; valid categories: {valid}",
            category=category,
            valid=sorted(categories),
        )


def _period(begin: date, end: date | None, what: str) -> Period:
    if end is not None and end < begin:
        raise InvalidPeriod(
            f"{what}: end {end.isoformat()} is before begin {begin.isoformat()}",
            begin=begin.isoformat(),
            end=end.isoformat(),
        )
    return Period(begin, end)


def _with(
    career: Career,
    *,
    affiliations: Iterable[Affiliation] | None = None,
    categories: Iterable[CategoryChange] | None = None,
    assimilations: Iterable[AssimilationDecision] | None = None,
) -> Career:
    """``career`` with parts replaced, each kept in its canonical order."""
    return replace(
        career,
        affiliations=tuple(
            sorted(
                career.affiliations if affiliations is None else affiliations,
                key=lambda a: (a.period.begin, a.id),
            )
        ),
        categories=tuple(
            sorted(
                career.categories if categories is None else categories,
                key=lambda c: (c.begin, c.affiliation_id),
            )
        ),
        assimilations=tuple(
            sorted(
                career.assimilations if assimilations is None else assimilations,
                key=lambda d: (d.period.begin, d.id),
            )
        ),
    )


def _replaced(career: Career, affiliation: Affiliation) -> list[Affiliation]:
    return [affiliation if a.id == affiliation.id else a for a in career.affiliations]


# --- writes --------------------------------------------------------------------------------


def declare_affiliation(
    career: Career,
    affiliation: Affiliation,
    category: str,
    *,
    by_cas: str,
    categories: Collection[str],
) -> Career:
    """A CAS declares a new affiliation, with the contributor category in force from its begin.

    Refused when: the NISS is not the career's (``InvalidInput``); the declaring CAS is not the
    affiliation's (``NotAuthorised``); the id is taken (``Conflict``); an end reason is given
    without an end (``InvalidInput``); it begins before the birth date (``InvalidPeriod``); the
    category is unknown (``InvalidCode``); it overlaps another affiliation (``Conflict``). An
    enterprise number is checked and stored as its 10 digits.
    """
    if affiliation.niss != career.niss:
        raise InvalidInput(
            f"affiliation {affiliation.id!r} is for NISS {affiliation.niss}, "
            f"not for {career.niss} whose career this is",
            affiliation_id=affiliation.id,
        )
    _check_own_affiliate(affiliation, by_cas, "declare")
    if any(a.id == affiliation.id for a in career.affiliations):
        raise Conflict(
            f"affiliation {affiliation.id!r} already exists in the career of {career.niss}",
            affiliation_id=affiliation.id,
        )
    if affiliation.end_reason is not None and affiliation.period.end is None:
        raise InvalidInput(
            f"affiliation {affiliation.id!r} has end reason {affiliation.end_reason.value!r} "
            "but no end date",
            affiliation_id=affiliation.id,
        )
    _check_not_before_birth(career, affiliation.period.begin, f"affiliation {affiliation.id!r}")
    _check_category(category, categories)
    if affiliation.enterprise_number is not None:
        affiliation = replace(
            affiliation, enterprise_number=parse_enterprise_number(affiliation.enterprise_number)
        )
    _check_no_overlap(career, affiliation)
    return _with(
        career,
        affiliations=[*career.affiliations, affiliation],
        categories=[
            *career.categories,
            CategoryChange(affiliation.id, category, affiliation.period.begin),
        ],
    )


def change_category(
    career: Career,
    affiliation_id: str,
    category: str,
    begin: date,
    *,
    by_cas: str,
    categories: Collection[str],
) -> Career:
    """The affiliation's contributor category becomes ``category`` from ``begin``.

    ``begin`` must lie in the affiliation (``InvalidPeriod``). A change already recorded for the
    same day is replaced.
    """
    affiliation = career.affiliation(affiliation_id)
    _check_own_affiliate(affiliation, by_cas, "change the category of")
    _check_category(category, categories)
    if not affiliation.period.contains(begin):
        raise InvalidPeriod(
            f"a category change on {begin.isoformat()} lies outside affiliation "
            f"{affiliation_id!r} ({affiliation.period})",
            begin=begin.isoformat(),
            affiliation_id=affiliation_id,
            period=str(affiliation.period),
        )
    kept = [
        c
        for c in career.categories
        if not (c.affiliation_id == affiliation_id and c.begin == begin)
    ]
    return _with(career, categories=[*kept, CategoryChange(affiliation_id, category, begin)])


def _drop_changes_after(
    changes: Iterable[CategoryChange], affiliation_id: str, end: date | None
) -> list[CategoryChange]:
    return [
        c for c in changes if c.affiliation_id != affiliation_id or end is None or c.begin <= end
    ]


def end_affiliation(
    career: Career, affiliation_id: str, end: date, reason: EndReason, *, by_cas: str
) -> Career:
    """The affiliation ends on ``end`` (inclusive) for ``reason``.

    An ended affiliation may be ended again earlier (a correction) but not later (``Conflict``;
    use ``correct_affiliation``). Category changes after the new end are dropped.
    """
    affiliation = career.affiliation(affiliation_id)
    _check_own_affiliate(affiliation, by_cas, "end")
    period = _period(affiliation.period.begin, end, f"ending affiliation {affiliation_id!r}")
    current = affiliation.period.end
    if current is not None and end > current:
        raise Conflict(
            f"affiliation {affiliation_id!r} already ends on {current.isoformat()}; an end can "
            f"only be brought forward, not pushed back to {end.isoformat()} "
            "(correct the affiliation instead)",
            affiliation_id=affiliation_id,
            end=current.isoformat(),
        )
    ended = replace(affiliation, period=period, end_reason=reason)
    return _with(
        career,
        affiliations=_replaced(career, ended),
        categories=_drop_changes_after(career.categories, affiliation_id, end),
    )


def correct_affiliation(
    career: Career, affiliation_id: str, *, begin: date, end: date | None, by_cas: str
) -> Career:
    """Replace a wrongly declared period of an affiliation by ``begin``-``end``.

    The same checks as a declaration (period, birth date, no overlap). Category changes before
    the new begin move to the new begin (the one in force then wins), and so does the first
    change when the begin moves earlier: the declared category applies from the begin. Changes
    after a new end are dropped. Reopening (``end=None``) clears the end reason.
    """
    affiliation = career.affiliation(affiliation_id)
    _check_own_affiliate(affiliation, by_cas, "correct")
    period = _period(begin, end, f"correcting affiliation {affiliation_id!r}")
    _check_not_before_birth(career, begin, f"affiliation {affiliation_id!r}")
    corrected = replace(
        affiliation, period=period, end_reason=affiliation.end_reason if end is not None else None
    )
    _check_no_overlap(career, corrected)

    own = _drop_changes_after(career.categories_of(affiliation_id), affiliation_id, end)
    moved: dict[date, CategoryChange] = {}
    for change in own:  # by begin: the last change on or before the new begin wins it
        day = max(change.begin, begin)
        moved[day] = replace(change, begin=day)
    own = sorted(moved.values(), key=lambda c: c.begin)
    if own and own[0].begin > begin:
        own[0] = replace(own[0], begin=begin)
    others = [c for c in career.categories if c.affiliation_id != affiliation_id]
    return _with(career, affiliations=_replaced(career, corrected), categories=[*others, *own])


def record_assimilation(
    career: Career, decision: AssimilationDecision, *, codes: Collection[int]
) -> Career:
    """Record INASTI's decision on an assimilated period (the caller checks it comes from INASTI).

    Refused when: the NISS is not the career's (``InvalidInput``); the code is not one of
    ``codes`` (``InvalidCode``); the period begins before the birth date (``InvalidPeriod``);
    the id is taken (``Conflict``).
    """
    if decision.niss != career.niss:
        raise InvalidInput(
            f"assimilation decision {decision.id!r} is for NISS {decision.niss}, "
            f"not for {career.niss} whose career this is",
            decision_id=decision.id,
        )
    if decision.code not in codes:
        valid = sorted(codes)
        raise InvalidCode(
            f"assimilation code {decision.code} does not exist; valid codes: "
            f"{', '.join(str(c) for c in valid)}",
            code=decision.code,
            valid=valid,
        )
    _check_not_before_birth(career, decision.period.begin, f"assimilated period {decision.id!r}")
    if any(d.id == decision.id for d in career.assimilations):
        raise Conflict(
            f"assimilation decision {decision.id!r} already exists in the career of {career.niss}",
            decision_id=decision.id,
        )
    return _with(career, assimilations=[*career.assimilations, decision])


# --- start and stop messages ---------------------------------------------------------------


class EventKind(StrEnum):
    """The automatic messages INASTI sends; the values are the flow names."""

    START = "self-employed-start"
    STOP = "self-employed-stop"


@dataclass(frozen=True, slots=True)
class CareerEvent:
    """A start (``day`` = the affiliation's begin) or a stop (``day`` = its end).

    ``resumption`` is true for a start after an interruption, false for the first installation
    (and always false for a stop).
    """

    kind: EventKind
    niss: str
    day: date
    affiliation_id: str
    cas: str
    resumption: bool


def events(career: Career) -> list[CareerEvent]:
    """Every start and stop message the career implies, chronologically.

    * **start**: the first affiliation of the career (first installation, ``resumption=False``),
      and an affiliation that begins after at least one whole calendar quarter with no
      affiliation at all (``resumption=True``). A change of CAS (the next affiliation begins the
      day after) or any shorter gap gives no start.
    * **stop**: the end (radiation) of an affiliation not followed by another beginning the next
      day, unless its end reason is ``TRANSFER`` (the new CAS takes over). After a gap shorter
      than a quarter the stop at the first end stands and the resumption gives no start.
    """
    ordered = sorted(career.affiliations, key=lambda a: (a.period.begin, a.id))
    found: list[CareerEvent] = []
    latest_end: date | None = None
    for index, affiliation in enumerate(ordered):
        begin, end = affiliation.period.begin, affiliation.period.end
        if index == 0:
            found.append(_event(EventKind.START, affiliation, begin, resumption=False))
        elif (
            latest_end is not None
            and whole_quarters_between(latest_end, begin) >= RESUMPTION_MIN_QUARTERS
        ):
            found.append(_event(EventKind.START, affiliation, begin, resumption=True))
        if end is not None:
            followed = any(other.period.begin == end + _ONE_DAY for other in ordered[index + 1 :])
            if not followed and affiliation.end_reason is not EndReason.TRANSFER:
                found.append(_event(EventKind.STOP, affiliation, end, resumption=False))
            latest_end = end if latest_end is None else max(latest_end, end)
        else:
            latest_end = None  # still open: whatever follows overlaps it and starts nothing
    return sorted(found, key=_chronological)


def _event(
    kind: EventKind, affiliation: Affiliation, day: date, *, resumption: bool
) -> CareerEvent:
    return CareerEvent(
        kind=kind,
        niss=affiliation.niss,
        day=day,
        affiliation_id=affiliation.id,
        cas=affiliation.cas,
        resumption=resumption,
    )


def _chronological(event: CareerEvent) -> tuple[date, int]:
    # On one day a start comes before a stop: only a one-day affiliation has both.
    return (event.day, 0 if event.kind is EventKind.START else 1)


def detect(before: Career, after: Career) -> list[CareerEvent]:
    """The events ``after`` implies that ``before`` did not: the messages to send now.

    An event is identified by its **kind and day** only, not by its CAS, affiliation or
    ``resumption`` flag. So:

    * a write that does not move a begin or an end (a category change, an assimilation decision,
      a new affiliation elsewhere in the career) re-sends nothing: the start of a later
      affiliation that becomes a resumption because an earlier one was added is not sent again;
    * a correction that moves a begin or an end produces an event at the new day (a back-dated
      first begin sends a new start); the event at the old day is not retracted (no such message
      exists), and a stop already sent is not withdrawn when a next-day affiliation follows;
    * the same kind on the same day is sent once even if the affiliation was recorded again under
      another id or CAS.
    """
    sent = {(event.kind, event.day) for event in events(before)}
    return [event for event in events(after) if (event.kind, event.day) not in sent]
