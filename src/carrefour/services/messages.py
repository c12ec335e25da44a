"""Publishing: a message, its mailbox rows and its tracking entries, in the caller's transaction.

The use case that causes a message calls ``publish`` and then commits once: the message, its
mailbox entries (the outbox of push delivery) and its tracking entries commit with the write that
caused them, or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from carrefour.domain.messages import (
    DeliveryStatus,
    Message,
    TrackingEntry,
    canonical_payload,
    tracking_holder,
)
from carrefour.domain.routing import Recipient
from carrefour.services.ids import new_id
from carrefour.services.unit_of_work import MailboxRow, UnitOfWork


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish: what ``publish`` takes, as a value for ``publish_many``.

    ``tracked_only``: recipients that get a tracking entry but no mailbox row (``paper``: the
    message went on paper instead of to a mailbox)."""

    flow: str
    sender: str
    niss: str
    payload: Mapping[str, Any]
    recipients: Sequence[Recipient]
    event_date: date | None = None
    period: str | None = None
    in_reply_to: str | None = None
    message_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.QUEUED
    tracked_only: Sequence[str] = ()


def tracking_entry(
    message: Message,
    recipient: str,
    rule_id: str | None,
    *,
    at: datetime,
    status: str,
    holder: str,
    digest: str,
) -> TrackingEntry:
    """The tracking entry of ``message`` sent to ``recipient`` under ``rule_id``, not yet linked
    into its holder's chain (the tracking log links it when it appends it)."""
    return TrackingEntry(
        message_id=message.id,
        flow=message.flow,
        emitter=message.sender,
        recipient=recipient,
        niss=message.niss,
        event_date=message.event_date,
        rule_id=rule_id,
        sent_at=at,
        status=status,
        prev_hash="",
        holder=holder,
        payload_digest=digest,
    )


def publish_many(uow: UnitOfWork, outgoing: Sequence[Outgoing]) -> list[Message]:
    """Store messages for their recipients and track them, in set-based writes (one multi-row
    insert per table); the caller commits."""
    now = uow.clock.now()
    messages = [
        Message(
            id=o.message_id or new_id(),
            flow=o.flow,
            sender=o.sender,
            niss=o.niss,
            event_date=o.event_date,
            period=o.period,
            payload=dict(o.payload),
            created_at=now,
            in_reply_to=o.in_reply_to,
        )
        for o in outgoing
    ]
    # The canonical payload is encoded once: stored as the message's JSON and hashed as the
    # digest its tracking entries carry.
    canonical = [canonical_payload(m.payload) for m in messages]
    digests = [hashlib.sha256(c).hexdigest() for c in canonical]
    uow.messages.add_many(messages, payload_texts=[c.decode() for c in canonical])
    uow.mailbox.add_many(
        [
            MailboxRow(
                recipient=r.institution,
                message_id=m.id,
                niss=m.niss,
                flow=m.flow,
                sender=m.sender,
                rule_id=r.rule_id,
                fields=tuple(sorted(r.fields)),
                status=o.status.value,
                created_at=now,
                next_attempt_at=now,
            )
            for o, m in zip(outgoing, messages, strict=True)
            for r in o.recipients
        ]
    )
    catalogue = uow.catalogue
    entries: list[TrackingEntry] = []
    for o, m, digest in zip(outgoing, messages, digests, strict=True):
        holder = tracking_holder(catalogue, m.sender)
        tracked: list[tuple[str, str | None]] = [(r.institution, r.rule_id) for r in o.recipients]
        tracked.extend((name, None) for name in o.tracked_only)
        entries.extend(
            tracking_entry(
                m, recipient, rule_id, at=now, status=o.status.value, holder=holder, digest=digest
            )
            for recipient, rule_id in tracked
        )
    uow.tracking.append(entries)
    return messages


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
    tracked_only: Sequence[str] = (),
) -> Message:
    """Store a message for ``recipients`` (and ``tracked_only``) and track it; the caller
    commits."""
    [message] = publish_many(
        uow,
        [
            Outgoing(
                flow=flow,
                sender=sender,
                niss=niss,
                payload=payload,
                recipients=recipients,
                event_date=event_date,
                period=period,
                in_reply_to=in_reply_to,
                message_id=message_id,
                status=status,
                tracked_only=tracked_only,
            )
        ],
    )
    return message
