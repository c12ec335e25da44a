"""Publishing: a message, its mailbox rows and its tracking entries, in the caller's transaction.

The use case that causes a message calls ``publish`` and then commits once: the message, its
mailbox entries (the outbox of push delivery) and its tracking entries commit with the write that
caused them, or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from carrefour.domain.messages import DeliveryStatus, Message, TrackingEntry
from carrefour.domain.routing import Recipient
from carrefour.services.unit_of_work import MailboxRow, UnitOfWork


def new_message_id() -> str:
    return uuid.uuid4().hex


def publish(
    uow: UnitOfWork,
    *,
    flow: str,
    sender: str,
    niss: str,
    payload: Mapping[str, Any],
    recipients: Sequence[Recipient],
    event_date: date | None = None,
    period: str | None = None,
    in_reply_to: str | None = None,
    message_id: str | None = None,
    status: DeliveryStatus = DeliveryStatus.QUEUED,
) -> Message:
    """Store a message for ``recipients`` and track it; the caller commits."""
    now = uow.clock.now()
    message = Message(
        id=message_id or new_message_id(),
        flow=flow,
        sender=sender,
        niss=niss,
        event_date=event_date,
        period=period,
        payload=dict(payload),
        created_at=now,
        in_reply_to=in_reply_to,
    )
    uow.messages.add(message)
    uow.mailbox.add_many(
        [
            MailboxRow(
                recipient=r.institution,
                message_id=message.id,
                niss=niss,
                flow=flow,
                sender=sender,
                rule_id=r.rule_id,
                fields=tuple(sorted(r.fields)),
                status=status.value,
                created_at=now,
                next_attempt_at=now,
            )
            for r in recipients
        ]
    )
    uow.tracking.append(
        [
            TrackingEntry(
                message_id=message.id,
                flow=flow,
                emitter=sender,
                recipient=r.institution,
                niss=niss,
                event_date=event_date,
                rule_id=r.rule_id,
                sent_at=now,
                status=status.value,
                prev_hash="",
            )
            for r in recipients
        ]
    )
    return message
