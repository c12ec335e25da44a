"""Mailboxes: pull (cursor based) and acknowledge; the envelope a recipient sees."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.errors import Conflict, InvalidInput, NotFound
from carrefour.domain.messages import (
    ACK_STATUS,
    AckResult,
    DeliveryStatus,
    Message,
    visible_payload,
)
from carrefour.domain.routing import addressed
from carrefour.services.consultations import require
from carrefour.services.messages import publish
from carrefour.services.unit_of_work import MailboxRow, UnitOfWork

ANSWER_FLOW = "answer"
# A cursor is a mailbox position: ASCII digits that fit a signed 64-bit integer.
_CURSOR = re.compile(r"[0-9]{1,18}")


def envelope(row: MailboxRow, message: Message) -> dict[str, Any]:
    """What a recipient receives, pulled or pushed: the payload cut to its granted fields."""
    return {
        "message_id": message.id,
        "flow": message.flow,
        "sender": message.sender,
        "niss": message.niss,
        "event_date": message.event_date.isoformat() if message.event_date else None,
        "period": message.period,
        "in_reply_to": message.in_reply_to,
        "created_at": message.created_at.isoformat(),
        "deliberation": row.rule_id,
        "status": row.status,
        "cursor": str(row.position),
        "payload": visible_payload(message.payload, row.fields),
    }


@dataclass(frozen=True, slots=True)
class MailboxPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _cursor(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not _CURSOR.fullmatch(text):
        raise InvalidInput(f"cursor {text!r} is not one this hub gave out", cursor=text)
    return int(text)


def pull(uow: UnitOfWork, *, caller: Institution, after: str | None, limit: int) -> MailboxPage:
    """The caller's messages after ``after``, oldest first; pulled ones count as delivered.

    ``next_cursor`` is the cursor to pass next time (the same one when nothing new came)."""
    start = _cursor(after)
    page = uow.mailbox.page(caller.id, after=start, limit=limit)
    now = uow.clock.now()
    uow.mailbox.mark_delivered(
        [row.position for row, _ in page if row.position is not None and row.status == "queued"],
        now,
    )
    uow.commit()
    items = []
    for row, message in page:
        if row.status == DeliveryStatus.QUEUED:
            row = replace(row, status=DeliveryStatus.DELIVERED.value, delivered_at=now)
        items.append(envelope(row, message))
    last = page[-1][0].position if page else start
    return MailboxPage(items=items, next_cursor=None if last is None else str(last))


@dataclass(frozen=True, slots=True)
class AckOutcome:
    message_id: str
    status: str
    answer_id: str | None
    repeated: bool


def acknowledge(
    uow: UnitOfWork,
    *,
    caller: Institution,
    message_id: str,
    result: AckResult,
    reason: str | None = None,
) -> AckOutcome:
    """Accept or reject a message of the caller's mailbox. The answer goes back to the emitter
    as an ``answer`` message, tracked. Repeating the same acknowledgement changes nothing."""
    row = uow.mailbox.get(caller.id, message_id)
    if row is None:
        raise NotFound(
            f"message {message_id} is not in the mailbox of {caller.id}", message_id=message_id
        )
    if result is AckResult.REJECT and not (reason and reason.strip()):
        raise InvalidInput("a rejection needs a reason", message_id=message_id)
    if row.ack_result is not None:
        if row.ack_result == result.value and (row.ack_reason or None) == (reason or None):
            return AckOutcome(message_id, row.status, None, repeated=True)
        raise Conflict(
            f"message {message_id} was already acknowledged ({row.ack_result}) on "
            f"{row.acknowledged_at:%Y-%m-%d %H:%M}; send a wrongly-handled notice to reopen it",
            message_id=message_id,
            acknowledged=row.ack_result,
        )
    now = uow.clock.now()
    require(uow, caller=caller, action=Action.SEND, flow=ANSWER_FLOW, niss=row.niss)
    recipient = addressed(ANSWER_FLOW, row.sender, now.date(), catalogue=uow.catalogue)
    status = ACK_STATUS[result]
    uow.mailbox.update(
        replace(
            row,
            status=status.value,
            acknowledged_at=now,
            ack_result=result.value,
            ack_reason=reason,
            delivered_at=row.delivered_at or now,
        )
    )
    answer = publish(
        uow,
        flow=ANSWER_FLOW,
        sender=caller.id,
        niss=row.niss,
        payload={"message_id": message_id, "result": result.value, "reason": reason},
        recipients=[recipient],
        in_reply_to=message_id,
    )
    uow.commit()
    return AckOutcome(message_id, status.value, answer.id, repeated=False)
