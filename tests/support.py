"""Test helpers: a settable clock and factories for test data."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from carrefour.domain.identifiers import build_niss

_sequence = itertools.count(1)
_rng = random.Random(7)


@dataclass
class FakeClock:
    """A clock that stays where it is put."""

    current: datetime = field(default_factory=lambda: datetime(2025, 6, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.date()

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def make_niss(*, born: date | None = None) -> str:
    """A fresh valid NISS (distinct within a test run)."""
    born = born or date(_rng.randint(1950, 2004), _rng.randint(1, 12), _rng.randint(1, 28))
    return build_niss(
        year=born.year, month=born.month, day=born.day, sequence=next(_sequence) % 997 + 1
    )
