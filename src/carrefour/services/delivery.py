"""Push delivery: at-least-once, exponential back-off, dead letter after the last try.

Rows are *claimed* in a short transaction (their next try moved a lease ahead), pushed with no
transaction open, and the outcome recorded in another short transaction. A worker that dies after
pushing leaves the lease to expire, and the message is pushed again: recipients drop duplicates by
message id. Nothing here holds a database lock while waiting on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from carrefour.domain.messages import DeliveryStatus, retry_delay
from carrefour.services import evidence
from carrefour.services.mailboxes import envelope
from carrefour.services.unit_of_work import MailboxRow, UnitOfWork

LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class PushResult:
    ok: bool
    permanent: bool = False
    error: str | None = None


class PushSender(Protocol):
    """Sends one envelope to an endpoint (the port behind which HTTP lives)."""

    def send(self, url: str, body: Mapping[str, Any], *, message_id: str) -> PushResult: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead


def deliver_due(
    uow_factory: Callable[[], UnitOfWork],
    *,
    sender: PushSender,
    policy: RetryPolicy,
    limit: int = 100,
) -> DeliveryRound:
    """Push every due message (up to ``limit``) and record each outcome."""
    with uow_factory() as uow:
        now = uow.clock.now()
        due = uow.mailbox.due_for_push(now, limit)
        paused = uow.console.paused()
        claimed: list[tuple[MailboxRow, str, dict[str, Any]]] = []
        for row, url in due:
            if row.recipient in paused:  # stays queued, untouched, until resumed
                continue
            message = uow.messages.get(row.message_id)
            if message is None:  # pragma: no cover - a mailbox row always has its message
                continue
            if row.position is not None:
                uow.mailbox.lease(row.position, now + LEASE)
                claimed.append((row, url, envelope(row, message)))
        uow.commit()

    outcomes = [
        (row, sender.send(url, body, message_id=row.message_id)) for row, url, body in claimed
    ]

    delivered = retried = dead = 0
    changed: dict[int, str] = {}
    with uow_factory() as uow:
        now = uow.clock.now()
        for row, result in outcomes:
            attempts = row.attempts + 1
            status, next_try = DeliveryStatus.QUEUED, None
            if result.ok:
                status = DeliveryStatus.DELIVERED
                delivered += 1
            elif result.permanent or attempts >= policy.max_attempts:
                status = DeliveryStatus.FAILED
                dead += 1
            else:
                next_try = now + retry_delay(
                    attempts, base_seconds=policy.base_seconds, max_seconds=policy.max_seconds
                )
                retried += 1
            uow.mailbox.record_push(
                row.position or 0,
                status=status.value,
                attempts=attempts,
                next_attempt_at=next_try,
                last_error=None if result.ok else result.error,
                at=now,
            )
            if status is not DeliveryStatus.QUEUED:
                changed[row.position or 0] = status.value
        evidence.record_pushed(uow, changed)
        uow.commit()
    return DeliveryRound(delivered, retried, dead)


def requeue_dead_letters(
    uow: UnitOfWork, *, institution: str, message_id: str | None = None
) -> int:
    """Put ``institution``'s dead letters (or one of them) back in the push queue, tries reset:
    what an operator does once the endpoint is repaired. Returns how many."""
    known = uow.catalogue.institution(institution)
    count = evidence.requeue(uow, recipient=known.id, message_id=message_id)
    uow.commit()
    return count


def pause(uow: UnitOfWork, *, institution: str, by: str) -> bool:
    """Stop pushing to ``institution`` (its messages stay queued in its mailbox, and it can still
    pull them); ``False`` if it was paused already."""
    known = uow.catalogue.institution(institution)
    changed = uow.console.pause(known.id, by, uow.clock.now())
    uow.commit()
    return changed


def resume(uow: UnitOfWork, *, institution: str) -> bool:
    """Push to ``institution`` again; ``False`` if it was not paused."""
    known = uow.catalogue.institution(institution)
    changed = uow.console.resume(known.id)
    uow.commit()
    return changed
