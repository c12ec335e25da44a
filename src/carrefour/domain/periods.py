"""Dates, calendar quarters and periods.

A ``Period`` is closed: it includes its ``begin`` and, when it has one, its ``end``. An empty end
(``None``) means the period is still open. Quarters are written ``YYYYQn`` (``2025Q1``); the API
also accepts ``YYYY-Qn``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from carrefour.domain.errors import InvalidPeriod

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    """A calendar quarter: ``number`` 1 (January-March) to 4 (October-December)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise InvalidPeriod(f"quarter number {self.number} is not between 1 and 4")

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        return cls(index // 4, index % 4 + 1)

    @property
    def index(self) -> int:
        """A running number: consecutive quarters have consecutive indexes."""
        return self.year * 4 + self.number - 1

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter.from_index(self.index + 1)

    def previous(self) -> Quarter:
        return Quarter.from_index(self.index - 1)

    def __add__(self, quarters: int) -> Quarter:
        return Quarter.from_index(self.index + quarters)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def parse_quarter(text: str) -> Quarter:
    match = _QUARTER.match(text.strip())
    if match is None:
        raise InvalidPeriod(f"{text!r} is not a quarter; write YYYYQn, e.g. 2025Q1")
    return Quarter(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class Period:
    """A closed period from ``begin`` to ``end`` inclusive; ``end=None`` is still open."""

    begin: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.begin:
            raise InvalidPeriod(
                f"end {self.end.isoformat()} is before begin {self.begin.isoformat()}",
                begin=self.begin.isoformat(),
                end=self.end.isoformat(),
            )

    @classmethod
    def of_quarter(cls, quarter: Quarter) -> Period:
        return cls(quarter.first_day, quarter.last_day)

    @property
    def is_open(self) -> bool:
        return self.end is None

    def contains(self, day: date) -> bool:
        return self.begin <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        return (self.end is None or other.begin <= self.end) and (
            other.end is None or self.begin <= other.end
        )

    def covers(self, other: Period) -> bool:
        """True when every day of ``other`` lies in this period."""
        if not self.contains(other.begin):
            return False
        if other.end is None:
            return self.end is None
        return self.contains(other.end)

    def intersection(self, other: Period) -> Period | None:
        if not self.overlaps(other):
            return None
        begin = max(self.begin, other.begin)
        ends = [e for e in (self.end, other.end) if e is not None]
        return Period(begin, min(ends) if ends else None)

    def minus(self, cut: Period) -> list[Period]:
        """What remains of this period once ``cut`` is taken out (zero, one or two periods)."""
        if not self.overlaps(cut):
            return [self]
        remains: list[Period] = []
        if cut.begin > self.begin:
            remains.append(Period(self.begin, cut.begin - timedelta(days=1)))
        if cut.end is not None and (self.end is None or cut.end < self.end):
            remains.append(Period(cut.end + timedelta(days=1), self.end))
        return remains

    def quarters(self, until: date | None = None) -> list[Quarter]:
        """The calendar quarters this period touches; an open period stops at ``until``."""
        last = self.end if self.end is not None else until
        if last is None:
            raise InvalidPeriod("an open period needs an 'until' date to list its quarters")
        first_index, last_index = Quarter.of(self.begin).index, Quarter.of(last).index
        return [Quarter.from_index(i) for i in range(first_index, last_index + 1)]

    def __str__(self) -> str:
        return f"{self.begin.isoformat()}/{self.end.isoformat() if self.end else ''}"


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidPeriod(f"{text!r} is not a date; write YYYY-MM-DD") from None


def parse_period(text: str) -> Period:
    """``YYYY-MM-DD/YYYY-MM-DD``, ``YYYY-MM-DD/`` (open) or a quarter ``YYYYQn``."""
    text = text.strip()
    if "/" not in text:
        return Period.of_quarter(parse_quarter(text))
    begin_text, _, end_text = text.partition("/")
    begin = parse_date(begin_text)
    end = parse_date(end_text) if end_text.strip() else None
    return Period(begin, end)


def whole_quarters_between(last_day_before: date, first_day_after: date) -> int:
    """How many whole calendar quarters lie strictly between two days with no day of either.

    This is how an interruption of a self-employed activity is counted: an affiliation ending on
    ``last_day_before`` and another beginning on ``first_day_after`` are interrupted for the
    quarters that neither of them touches. Consecutive or overlapping days give 0.
    """
    if first_day_after <= last_day_before:
        return 0
    gap = Quarter.of(first_day_after).index - Quarter.of(last_day_before).index - 1
    return max(gap, 0)
