"""The flows dashboard of the operator console: what went through the hub lately and what waits.

Read-only, commits nothing, and reads no person's data (counts and ages only):

- ``messages_per_day``: messages per flow per day of sending, over the last days, from the
  tracking file read newest first and only as far back as the window (a message counts once,
  however many recipients it had);
- ``backlogs``: per recipient mailbox, the rows not yet answered (queued, delivered, failed)
  and the age of the oldest of them, read from the start of that mailbox (bounded by
  ``scan`` rows: past it, the age is shown as unknown).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from carrefour.domain.messages import DeliveryStatus
from carrefour.services.unit_of_work import UnitOfWork

#: The statuses of a message its recipient has not answered yet.
UNANSWERED = (DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
_READ = 2000


@dataclass(frozen=True, slots=True)
class FlowDays:
    """Messages sent per flow (``counts[flow][i]`` is the count on ``days[i]``)."""

    days: tuple[date, ...]
    counts: dict[str, tuple[int, ...]]

    @property
    def highest(self) -> int:
        return max((n for row in self.counts.values() for n in row), default=0)


def messages_per_day(uow: UnitOfWork, *, days: int = 14) -> FlowDays:
    """Messages per flow per day (UTC) of the last ``days`` days, today included."""
    today = uow.clock.today()
    window = tuple(today - timedelta(days=days - 1 - i) for i in range(days))
    first = window[0]
    seen: dict[tuple[str, date], set[str]] = defaultdict(set)
    before: int | None = None
    while True:
        entries = uow.tracking.select(before=before, newest_first=True, limit=_READ)
        for entry in entries:
            sent = entry.sent_at.date()
            if sent < first:
                entries = []
                break
            seen[(entry.flow, sent)].add(entry.message_id)
        if len(entries) < _READ:
            break
        before = entries[-1].position
    flows = sorted({flow for flow, _ in seen})
    counts = {flow: tuple(len(seen.get((flow, day), ())) for day in window) for flow in flows}
    return FlowDays(window, counts)


@dataclass(frozen=True, slots=True)
class Backlog:
    """One recipient's mailbox: rows per status, the unanswered ones, the oldest of those."""

    recipient: str
    counts: dict[str, int]
    unanswered: int
    oldest: datetime | None
    beyond_scan: bool = False
    """The oldest was not reached within the scan (``oldest`` is then ``None``)."""

    def age(self, now: datetime) -> timedelta | None:
        return None if self.oldest is None else now - self.oldest


def _oldest_unanswered(uow: UnitOfWork, recipient: str, scan: int) -> tuple[datetime | None, bool]:
    wanted = {status.value for status in UNANSWERED}
    after: int | None = None
    read = 0
    while read < scan:
        rows = uow.mailbox.page(recipient, after=after, limit=min(500, scan - read))
        if not rows:
            return None, False
        for row, _message in rows:
            if row.status in wanted:
                return row.created_at, False
        read += len(rows)
        after = rows[-1][0].position
    return None, True


def backlogs(uow: UnitOfWork, *, scan: int = 5000) -> list[Backlog]:
    """Every recipient with a mailbox row, most unanswered first."""
    found = []
    for institution in sorted(uow.catalogue.institutions):
        counts = uow.mailbox.counts(institution)
        if not counts:
            continue
        unanswered = sum(counts.get(status.value, 0) for status in UNANSWERED)
        oldest, beyond = _oldest_unanswered(uow, institution, scan) if unanswered else (None, False)
        found.append(Backlog(institution, counts, unanswered, oldest, beyond))
    return sorted(found, key=lambda b: (-b.unanswered, b.recipient))
