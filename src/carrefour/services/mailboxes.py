"""Mailboxes: pull (cursor based) and answer; the envelope a recipient sees.

A recipient answers a message of its mailbox (domain.md sections 5-6): accept it, reject it with
a reason, correct the person's identification (the NISS the mutualities know), report that an
earlier accept/reject was wrong (which reopens it), or ask for the person's vouchers again. Every
answer that reaches an emitter is a message itself (``answer``, ``identification-correction``,
``resend-request``), tracked, with ``in_reply_to`` naming the message it answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import authorise
from carrefour.domain.errors import (
    CarrefourError,
    Conflict,
    InvalidInput,
    NissReplaced,
    NotAuthorised,
    NotFound,
    UnknownInstitution,
)
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import (
    ACK_STATUS,
    AckResult,
    DeliveryStatus,
    Message,
    visible_payload,
)
from carrefour.domain.routing import Recipient, addressed, recipients
from carrefour.domain.vouchers import Voucher, parse_voucher
from carrefour.services import evidence
from carrefour.services.consultations import log_decision, require
from carrefour.services.messages import publish
from carrefour.services.unit_of_work import MailboxRow, UnitOfWork
from carrefour.services.vouchers import (
    HUB,
    PAPER,
    VOUCHER_FLOW,
    end_provisional_proofs,
    routing_days,
)

ANSWER_FLOW = "answer"
CORRECTION_FLOW = "identification-correction"
RESEND_FLOW = "resend-request"
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
        "replay": row.replay,
        "payload": visible_payload(message.payload, row.fields),
    }


@dataclass(frozen=True, slots=True)
class MailboxPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def parse_cursor(text: str | None) -> int | None:
    """The mailbox position a cursor names (``None``: from the start); ``InvalidInput`` for a
    cursor this hub did not give out."""
    if text is None or text == "":
        return None
    if not _CURSOR.fullmatch(text):
        raise InvalidInput(f"cursor {text!r} is not one this hub gave out", cursor=text)
    return int(text)


def pull(uow: UnitOfWork, *, caller: Institution, after: str | None, limit: int) -> MailboxPage:
    """The caller's messages after ``after``, oldest first; pulled ones count as delivered.

    ``next_cursor`` is the cursor to pass next time (the same one when nothing new came)."""
    start = parse_cursor(after)
    page = uow.mailbox.page(caller.id, after=start, limit=limit)
    now = uow.clock.now()
    pulled = [row for row, _ in page if row.position is not None and row.status == "queued"]
    uow.mailbox.mark_delivered([row.position or 0 for row in pulled], now)
    evidence.record(
        uow, [replace(r, status=DeliveryStatus.DELIVERED.value) for r in pulled], event="delivered"
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
    """What an answer did. ``answer_id``: the message it sent (``answer``,
    ``identification-correction`` or ``resend-request``), if any; ``notified``: the institutions
    that message went to; ``rerouted``: the vouchers sent anew for a corrected NISS;
    ``replayed``: the messages a resend put back in the caller's mailbox (their original ids)."""

    message_id: str
    status: str
    answer_id: str | None
    repeated: bool
    notified: tuple[str, ...] = ()
    rerouted: tuple[str, ...] = ()
    replayed: tuple[str, ...] = ()


def _has_text(value: str | None) -> bool:
    return bool(value and value.strip())


def _check_input(
    message_id: str,
    result: AckResult,
    reason: str | None,
    correct_niss: str | None,
    period: str | None,
) -> None:
    if result is AckResult.REJECT and not _has_text(reason):
        raise InvalidInput("a rejection needs a reason", message_id=message_id, field="reason")
    if result is AckResult.WRONGLY_HANDLED and not _has_text(reason):
        raise InvalidInput(
            "a wrongly-handled notice needs a reason", message_id=message_id, field="reason"
        )
    if result is AckResult.CORRECTION and not _has_text(correct_niss):
        raise InvalidInput(
            "an identification correction needs correct_niss, the NISS the mutualities know",
            message_id=message_id,
            field="correct_niss",
        )
    if result is not AckResult.CORRECTION and correct_niss is not None:
        raise InvalidInput(
            "correct_niss goes only with result 'correction'",
            message_id=message_id,
            field="correct_niss",
        )
    if result is not AckResult.RESEND and period is not None:
        raise InvalidInput(
            "period goes only with result 'resend'", message_id=message_id, field="period"
        )
    if result is AckResult.RESEND and period is not None and not period.strip():
        raise InvalidInput("period is empty", message_id=message_id, field="period")


def _already_acknowledged(row: MailboxRow) -> Conflict:
    when = f"{row.acknowledged_at:%Y-%m-%d %H:%M}" if row.acknowledged_at else "earlier"
    return Conflict(
        f"message {row.message_id} was already acknowledged ({row.ack_result}) on {when}; "
        "send a wrongly-handled notice to reopen it",
        message_id=row.message_id,
        acknowledged=row.ack_result,
    )


def _store(uow: UnitOfWork, row: MailboxRow) -> None:
    """Save the caller's answered (or reopened) row, its change in the status chain."""
    uow.mailbox.update(row)
    evidence.record(uow, [row], event=row.ack_result or "reopened")


def _answered(
    row: MailboxRow, *, status: str, result: str | None, reason: str | None, at: datetime
) -> MailboxRow:
    """The caller's row once answered with ``result``, or, with ``None``, reopened (its
    acknowledgement cleared); a row answered before it was pulled counts as delivered then."""
    return replace(
        row,
        status=status,
        acknowledged_at=at if result is not None else None,
        ack_result=result,
        ack_reason=reason,
        delivered_at=row.delivered_at or at,
    )


def _send_answer(
    uow: UnitOfWork, *, caller: Institution, row: MailboxRow, payload: dict[str, Any]
) -> Message:
    """An ``answer`` message from the caller back to the emitter of ``row``'s message, tracked;
    the caller commits."""
    require(uow, caller=caller, action=Action.SEND, flow=ANSWER_FLOW, niss=row.niss)
    day = uow.clock.today()
    return publish(
        uow,
        flow=ANSWER_FLOW,
        sender=caller.id,
        niss=row.niss,
        payload=payload,
        recipients=[addressed(ANSWER_FLOW, row.sender, day, catalogue=uow.catalogue)],
        in_reply_to=row.message_id,
    )


def acknowledge(
    uow: UnitOfWork,
    *,
    caller: Institution,
    message_id: str,
    result: AckResult,
    reason: str | None = None,
    correct_niss: str | None = None,
    period: str | None = None,
) -> AckOutcome:
    """Answer a message of the caller's mailbox, in one transaction.

    - ``accept`` / ``reject`` (with a ``reason``): closes the caller's row and sends an ``answer``
      back to the emitter. Repeating the same acknowledgement changes nothing (``repeated``);
      a different one is a ``Conflict``.
    - ``correction`` with ``correct_niss``: see ``_correct``.
    - ``wrongly-handled`` (with a ``reason``): see ``_reopen``.
    - ``resend`` (optionally for one ``period``): see ``_resend``.

    A message that is not in the caller's mailbox is ``NotFound``, whatever the result.
    """
    row = uow.mailbox.get(caller.id, message_id)
    if row is None:
        raise NotFound(
            f"message {message_id} is not in the mailbox of {caller.id}", message_id=message_id
        )
    _check_input(message_id, result, reason, correct_niss, period)
    if result is AckResult.CORRECTION:
        return _correct(uow, caller=caller, row=row, correct_niss=correct_niss or "", reason=reason)
    if result is AckResult.WRONGLY_HANDLED:
        return _reopen(uow, caller=caller, row=row, reason=reason or "")
    if result is AckResult.RESEND:
        return _resend(uow, caller=caller, row=row, period=period)
    return _answer(uow, caller=caller, row=row, result=result, reason=reason)


def _answer(
    uow: UnitOfWork, *, caller: Institution, row: MailboxRow, result: AckResult, reason: str | None
) -> AckOutcome:
    """Accept or reject: the answer goes back to the emitter as an ``answer`` message, tracked."""
    message_id = row.message_id
    if row.ack_result is not None:
        if row.ack_result == result.value and (row.ack_reason or None) == (reason or None):
            return AckOutcome(message_id, row.status, None, repeated=True)
        raise _already_acknowledged(row)
    status = ACK_STATUS[result]
    answer = _send_answer(
        uow,
        caller=caller,
        row=row,
        payload={"message_id": message_id, "result": result.value, "reason": reason},
    )
    _store(
        uow,
        _answered(row, status=status.value, result=result.value, reason=reason, at=uow.clock.now()),
    )
    uow.commit()
    return AckOutcome(message_id, status.value, answer.id, repeated=False)


# --- identification correction ------------------------------------------------------------


def _correct(
    uow: UnitOfWork,
    *,
    caller: Institution,
    row: MailboxRow,
    correct_niss: str,
    reason: str | None,
) -> AckOutcome:
    """The caller (a mutuality) says the message's person is known to the mutualities under
    ``correct_niss``. The hub

    1. records the replacement old -> new (the old NISS can then no longer be integrated, and
       vouchers for it go on paper with the new NISS printed on them);
    2. closes the caller's row (status ``corrected``, ack_result ``correction``);
    3. sends one ``identification-correction`` message {old_niss, new_niss, message_id} from the
       caller to every institution that sent or received messages for the old NISS and that the
       deliberations let receive it (the emitter of the message first of all);
    4. re-routes what is pending for the old NISS: every contribution voucher for it that went
       on paper, or that is still queued in every mailbox it went to (nobody pulled nor answered
       it), goes again, as a new voucher for the new NISS (``in_reply_to`` the old one), to the
       mutualities that integrated the new NISS. A voucher nobody integrated the new NISS for
       stays where it was; a voucher re-routed once is not re-routed again.

    Repeating the same correction changes nothing (``repeated``). A NISS already replaced by
    another one, or a correct NISS that was itself replaced, is a ``Conflict``.
    """
    message_id, old = row.message_id, row.niss
    new = parse_niss(correct_niss).value
    if new == old:
        raise InvalidInput(
            f"the correct NISS {new} is the NISS of message {message_id} already",
            message_id=message_id,
            field="correct_niss",
        )
    known = uow.replacements.replacement_of(old)
    if row.ack_result is not None:
        if row.ack_result == AckResult.CORRECTION.value and known == new:
            return AckOutcome(message_id, row.status, None, repeated=True)
        raise _already_acknowledged(row)
    if known is not None and known != new:
        raise Conflict(
            f"NISS {old} was already replaced by {known}, not by {new}",
            message_id=message_id,
            old_niss=old,
            new_niss=known,
        )
    newer = uow.replacements.replacement_of(new)
    if newer is not None:
        raise NissReplaced(
            f"the correct NISS {new} was itself replaced by {newer}; correct to {newer}",
            old_niss=new,
            new_niss=newer,
        )
    require(uow, caller=caller, action=Action.SEND, flow=CORRECTION_FLOW, niss=old)
    now = uow.clock.now()
    if known is None:
        uow.replacements.record(old, new, caller.id, now)
    status = ACK_STATUS[AckResult.CORRECTION]
    _store(
        uow,
        _answered(
            row, status=status.value, result=AckResult.CORRECTION.value, reason=reason, at=now
        ),
    )
    notice, notified = _notify_correction(uow, caller=caller, row=row, new=new, day=now.date())
    rerouted = _reroute(uow, old=old, new=new, answered=message_id)
    uow.commit()
    return AckOutcome(
        message_id,
        status.value,
        notice.id if notice else None,
        repeated=False,
        notified=notified,
        rerouted=rerouted,
    )


def _addressable(
    uow: UnitOfWork, flow: str, institutions: Iterable[str], day: date
) -> list[Recipient]:
    """The ``institutions`` the deliberations let receive ``flow`` without an integration; the
    others are skipped."""
    found = []
    for institution in sorted(set(institutions)):
        try:
            found.append(addressed(flow, institution, day, catalogue=uow.catalogue))
        except (NotAuthorised, UnknownInstitution):
            continue
    return found


def _notify_correction(
    uow: UnitOfWork, *, caller: Institution, row: MailboxRow, new: str, day: date
) -> tuple[Message | None, tuple[str, ...]]:
    """The ``identification-correction`` message to whoever sent or received messages for the
    old NISS (the tracking file), the caller, the hub and "paper" excepted."""
    old = row.niss
    parties = {row.sender}
    for entry in uow.tracking.select(niss=old):
        parties.update((entry.emitter, entry.recipient))
    parties -= {PAPER, HUB, caller.id}
    found = _addressable(uow, CORRECTION_FLOW, parties, day)
    if not found:
        return None, ()
    notice = publish(
        uow,
        flow=CORRECTION_FLOW,
        sender=caller.id,
        niss=old,
        payload={"old_niss": old, "new_niss": new, "message_id": row.message_id},
        recipients=found,
        in_reply_to=row.message_id,
    )
    return notice, tuple(r.institution for r in found)


def _pending(uow: UnitOfWork, message: Message, paper: set[str]) -> bool:
    """A voucher that went on paper, or that sits queued, unread and unanswered, in every
    mailbox it went to."""
    if message.id in paper:
        return True
    rows = uow.mailbox.of_message(message.id)
    return bool(rows) and all(
        row.status == DeliveryStatus.QUEUED.value
        and row.delivered_at is None
        and row.ack_result is None
        for row in rows
    )


def _as_voucher(payload: dict[str, Any], today: date) -> Voucher | None:
    try:
        return parse_voucher(payload, today=today)
    except CarrefourError:  # stored before a rule changed: route it on its dates alone
        return None


def _routing_days(message: Message, voucher: Voucher | None, today: date) -> list[date]:
    """As for a new voucher (``vouchers.routing_days``); a payload that no longer parses is
    routed on today and on its event date."""
    if voucher is not None:
        return routing_days(voucher.period, today)
    return [today] if message.event_date is None else [today, message.event_date]


def _reroute(uow: UnitOfWork, *, old: str, new: str, answered: str) -> tuple[str, ...]:
    """Send the vouchers pending for ``old`` again, for ``new``; the new messages' ids."""
    now = uow.clock.now()
    today = now.date()
    done = {
        message.in_reply_to
        for message in uow.messages.of_niss(new)
        if message.flow == VOUCHER_FLOW and message.in_reply_to
    }
    paper = {
        entry.message_id
        for entry in uow.tracking.select(niss=old, flow=VOUCHER_FLOW)
        if entry.recipient == PAPER
    }
    lines = uow.directory.lines_of(new)
    rerouted: list[str] = []
    for message in uow.messages.of_niss(old):
        if message.flow != VOUCHER_FLOW or message.id == answered or message.id in done:
            continue
        if not _pending(uow, message, paper):
            continue
        payload = {**message.payload, "niss": new}
        voucher = _as_voucher(payload, today)
        found: list[Recipient] = []
        for day in _routing_days(message, voucher, today):
            found = recipients(
                VOUCHER_FLOW, lines, day, catalogue=uow.catalogue, exclude={message.sender}
            )
            if found:
                break
        if not found:
            continue
        again = publish(
            uow,
            flow=VOUCHER_FLOW,
            sender=message.sender,
            niss=new,
            payload=payload,
            recipients=found,
            event_date=message.event_date,
            period=message.period,
            in_reply_to=message.id,
        )
        if voucher is not None:
            end_provisional_proofs(uow, niss=new, period=voucher.period, by=again.id)
        rerouted.append(again.id)
    return tuple(rerouted)


# --- wrongly accepted or rejected -----------------------------------------------------------


def _reopen(uow: UnitOfWork, *, caller: Institution, row: MailboxRow, reason: str) -> AckOutcome:
    """The caller's earlier accept or reject was wrong: the row goes back to ``delivered`` with
    its acknowledgement cleared, so it can be accepted or rejected again, and the emitter gets an
    ``answer`` {message_id, result: "wrongly-handled", previous, reason}. Only an accepted or
    rejected row can be reopened (an identification correction cannot: the NISS replacement
    stands); anything else is a ``Conflict``."""
    message_id = row.message_id
    if row.ack_result is None:
        raise Conflict(
            f"message {message_id} was not acknowledged by {caller.id}: nothing to reopen",
            message_id=message_id,
        )
    if row.ack_result not in (AckResult.ACCEPT.value, AckResult.REJECT.value):
        raise Conflict(
            f"message {message_id} was answered with {row.ack_result}, which a wrongly-handled "
            "notice does not reopen",
            message_id=message_id,
            acknowledged=row.ack_result,
        )
    answer = _send_answer(
        uow,
        caller=caller,
        row=row,
        payload={
            "message_id": message_id,
            "result": AckResult.WRONGLY_HANDLED.value,
            "previous": row.ack_result,
            "reason": reason,
        },
    )
    _store(
        uow,
        _answered(
            row,
            status=DeliveryStatus.DELIVERED.value,
            result=None,
            reason=None,
            at=uow.clock.now(),
        ),
    )
    uow.commit()
    return AckOutcome(message_id, DeliveryStatus.DELIVERED.value, answer.id, repeated=False)


# --- request to send again ------------------------------------------------------------------


def _resend(
    uow: UnitOfWork, *, caller: Institution, row: MailboxRow, period: str | None
) -> AckOutcome:
    """The caller asks again for the vouchers of the message's person (of one ``period`` when
    given, as written on the vouchers). The hub holds every message it routed, so it serves the
    request itself: each ``contribution-voucher`` the caller received for that NISS is replayed
    under its original id, as a new row of the caller's mailbox (``replay`` + 1, queued, a new
    cursor position), so that a pulling or pushed client gets it again and can drop what it
    already has by id. No new voucher is made and the emitters are not asked.

    The request is recorded as a ``resend-request`` message from the caller to the emitters of
    the replayed vouchers {niss, period, served_by_hub: true, replayed}; when the hub has
    nothing to replay it goes to the emitter of the named message with ``served_by_hub: false``,
    which is then a real request to send again. The record is skipped where the deliberations
    do not allow the caller to send it or the emitter to receive it."""
    now = uow.clock.now()
    wanted = period.strip().upper() if period is not None else None
    replays: list[MailboxRow] = []
    emitters: list[str] = []
    for message in uow.messages.of_niss(row.niss):
        if message.flow != VOUCHER_FLOW:
            continue
        if wanted is not None and (message.period or "").upper() != wanted:
            continue
        latest = uow.mailbox.get(caller.id, message.id)
        if latest is None:
            continue
        replays.append(
            replace(
                latest,
                status=DeliveryStatus.QUEUED.value,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                delivered_at=None,
                acknowledged_at=None,
                ack_result=None,
                ack_reason=None,
                replay=latest.replay + 1,
            )
        )
        emitters.append(message.sender)
    replays.sort(key=lambda r: r.position or 0)  # in the order the caller first got them
    uow.mailbox.add_many([replace(r, position=None) for r in replays])
    replayed = tuple(r.message_id for r in replays)
    request, notified = _record_resend(
        uow,
        caller=caller,
        row=row,
        period=wanted,
        replayed=replayed,
        emitters=emitters or [row.sender],
        day=now.date(),
    )
    status = (uow.mailbox.get(caller.id, row.message_id) or row).status
    uow.commit()
    return AckOutcome(
        row.message_id,
        status,
        request.id if request else None,
        repeated=False,
        notified=notified,
        replayed=replayed,
    )


def _record_resend(
    uow: UnitOfWork,
    *,
    caller: Institution,
    row: MailboxRow,
    period: str | None,
    replayed: tuple[str, ...],
    emitters: list[str],
    day: date,
) -> tuple[Message | None, tuple[str, ...]]:
    """The ``resend-request`` record, with the institutions it went to; none when the
    deliberations refuse it (the decision is logged either way)."""
    decision = authorise(caller, Action.SEND, RESEND_FLOW, (), day, rules=uow.catalogue.rules)
    log_decision(
        uow, caller=caller, action=Action.SEND, flow=RESEND_FLOW, niss=row.niss, decision=decision
    )
    if not decision.allowed:
        return None, ()
    found = _addressable(uow, RESEND_FLOW, emitters, day)
    if not found:
        return None, ()
    request = publish(
        uow,
        flow=RESEND_FLOW,
        sender=caller.id,
        niss=row.niss,
        payload={
            "niss": row.niss,
            "period": period,
            "served_by_hub": bool(replayed),
            "replayed": list(replayed),
        },
        recipients=found,
        period=period,
        in_reply_to=row.message_id,
    )
    return request, tuple(r.institution for r in found)
