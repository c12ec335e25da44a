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

from carrefour.domain import flows
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import Decision, ReasonCode, authorise
from carrefour.domain.errors import (
    AlreadyCorrected,
    CarrefourError,
    Conflict,
    InvalidInput,
    NissReplaced,
    NotFound,
    NotHolder,
)
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import (
    ACK_STATUS,
    AckResult,
    DeliveryStatus,
    Message,
    visible_payload,
)
from carrefour.domain.routing import Recipient
from carrefour.domain.vouchers import Voucher, parse_voucher
from carrefour.services import evidence, road
from carrefour.services.consultations import log_decision, require
from carrefour.services.unit_of_work import MailboxRow, UnitOfWork
from carrefour.services.vouchers import (
    A911_FLOW,
    HUB,
    INAMI_RECIPIENTS,
    PAPER,
    PENSION_FLOW,
    VOUCHER_FLOW,
    end_provisional_proofs,
    routing_days,
)

ANSWER_FLOW = flows.ANSWER
CORRECTION_FLOW = flows.IDENTIFICATION_CORRECTION
RESEND_FLOW = flows.RESEND_REQUEST
# A cursor is a mailbox position: ASCII digits that fit a signed 64-bit integer.
_CURSOR = re.compile(r"[0-9]{1,18}")


def replay_of(row: MailboxRow, *, at: datetime) -> MailboxRow:
    """``row`` delivered again: a new queued row of the same mailbox (``replay`` + 1), with no
    delivery, attempt, error or acknowledgement of its own yet."""
    return replace(
        row,
        status=DeliveryStatus.QUEUED.value,
        created_at=at,
        attempts=0,
        next_attempt_at=at,
        last_error=None,
        delivered_at=None,
        acknowledged_at=None,
        ack_result=None,
        ack_reason=None,
        replay=row.replay + 1,
    )


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
    delivered = DeliveryStatus.DELIVERED.value
    rows = [
        replace(row, status=delivered, delivered_at=now) if row.status == "queued" else row
        for row, _ in page
    ]
    pulled = [
        new for (old, _), new in zip(page, rows, strict=True)
        if old.position is not None and old.status == "queued"
    ]  # fmt: skip
    uow.mailbox.mark_delivered([row.position or 0 for row in pulled], now)
    evidence.record(uow, pulled, event="delivered")
    uow.commit()
    items = [envelope(row, message) for row, (_, message) in zip(rows, page, strict=True)]
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
    return road.send(
        uow,
        flow=ANSWER_FLOW,
        sender=caller,
        niss=row.niss,
        payload=payload,
        to=[row.sender],
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
    - ``correction`` with ``correct_niss``: ``correct_identification`` (the one result that
      does not need the message in the caller's mailbox: a paper voucher is corrected too).
    - ``wrongly-handled`` (with a ``reason``): see ``_reopen``.
    - ``resend`` (optionally for one ``period``): see ``_resend``.

    Otherwise a message that is not in the caller's mailbox is ``NotFound``.
    """
    _check_input(message_id, result, reason, correct_niss, period)
    if result is AckResult.CORRECTION:
        return _correct(
            uow,
            caller=caller,
            message_id=message_id,
            correct_niss=correct_niss or "",
            reason=reason,
        )
    row = uow.mailbox.get(caller.id, message_id)
    if row is None:
        raise NotFound(
            f"message {message_id} is not in the mailbox of {caller.id}", message_id=message_id
        )
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


@dataclass(frozen=True, slots=True)
class CorrectionOutcome:
    """What an identification correction did.

    ``correction_id``: the ``identification-correction`` message (the correction's record);
    ``notified``: the emitter and the institutions that received the voucher under the old NISS;
    ``rerouted``: the voucher sent anew under the new NISS (to ``recipients``), if a mutuality
    integrated it; ``paper_closed``: the voucher had gone on paper and now went electronically;
    ``a911_id``: the A911 update that tells INAMI (resolved or not); ``repeated``: the same
    correction was made before, and nothing was written."""

    message_id: str
    document_id: str | None
    old_niss: str
    new_niss: str
    correction_id: str
    repeated: bool
    notified: tuple[str, ...] = ()
    rerouted: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    paper_closed: bool = False
    a911_id: str | None = None


def _paper_of(uow: UnitOfWork, message: Message) -> tuple[str | None, Message | None]:
    """The document id of the paper voucher ``message`` went on, and its A911 record."""
    for other in uow.messages.of_niss(message.niss):
        if (
            other.flow == A911_FLOW
            and other.in_reply_to == message.id
            and other.sender == HUB
            and "notice" not in other.payload
            and "resolved" not in other.payload
        ):
            document_id = other.payload.get("document_id")
            return (str(document_id) if document_id else None), other
    return None, None


def _find_voucher(
    uow: UnitOfWork, *, message_id: str | None, document_id: str | None
) -> tuple[Message, str | None, Message | None]:
    """The voucher a correction names, by its message id or its paper's document id (both are
    printed on the paper), with its paper's document id and A911 record when it went on paper."""
    if (message_id is None) == (document_id is None):
        raise InvalidInput(
            "name the voucher by message_id or by document_id (both are printed on the paper "
            "voucher), not both",
            field="message_id" if message_id is None else "document_id",
        )
    if document_id is not None:
        paper = uow.documents.get(document_id)
        if paper is None or paper.kind != A911_FLOW or paper.message_id is None:
            raise NotFound(f"no paper voucher {document_id}", document_id=document_id)
        wanted = paper.message_id
    else:
        wanted = message_id or ""
    message = uow.messages.get(wanted)
    if message is None:
        raise NotFound(f"no message {wanted}", message_id=wanted)
    if message.flow != VOUCHER_FLOW:
        raise InvalidInput(
            f"message {wanted} is a {message.flow} message, not a contribution voucher: "
            "only a voucher's identification is corrected",
            message_id=wanted,
            field="message_id",
        )
    found, a911 = _paper_of(uow, message)
    return message, found, a911


def _earlier_correction(uow: UnitOfWork, message: Message) -> Message | None:
    """The first identification correction made of the voucher ``message``, if any."""
    return next(
        (
            m
            for m in uow.messages.of_niss(message.niss)
            if m.flow == CORRECTION_FLOW and m.in_reply_to == message.id
        ),
        None,
    )


def _refuse_correction(uow: UnitOfWork, caller: Institution, message: Message) -> NotHolder:
    """Log, and return, the refusal of a correction by an institution that neither received the
    voucher nor holds its paper."""
    decision = Decision(
        allowed=False,
        rule_id=None,
        reason_code=ReasonCode.NOT_AUTHORISED,
        fields=frozenset(),
        detail=(
            f"{caller.id} neither received voucher {message.id} nor holds its paper: only its "
            "recipients, or the mutuality the person brought the paper voucher to, correct it"
        ),
    )
    log_decision(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=CORRECTION_FLOW,
        niss=message.niss,
        decision=decision,
        object_id=message.id,
    )
    uow.commit()
    return NotHolder(decision.detail, message_id=message.id)


def correct_identification(
    uow: UnitOfWork,
    *,
    caller: Institution,
    correct_niss: str,
    message_id: str | None = None,
    document_id: str | None = None,
    reason: str | None = None,
) -> CorrectionOutcome:
    """The caller (a mutuality, or INAMI's cell) says that the person a voucher names as NISS X
    is known to the mutualities as NISS Y (seed 002: "elles communiquent aux institutions
    expéditrices l'identification correcte auprès des mutualités"), in one transaction.

    The voucher is named by its message id or, for a paper voucher, by either id the PDF
    prints. The caller must have received it, or it must have gone on paper (the person brings
    the paper to the mutuality of their choice); anyone else is refused and the refusal logged.
    The hub then

    1. closes the caller's mailbox row, if it has one (``corrected``);
    2. routes the voucher under Y to the mutualities that integrated Y (``in_reply_to`` the
       voucher): a paper voucher is thereby closed, and INAMI gets an A911 update marking it
       resolved (or not, when no mutuality has integrated Y yet);
    3. sends the ``identification-correction`` {old_niss, new_niss, message_id, document_id,
       rerouted} to the emitter and to every institution that received the voucher under X.

    It replaces no number: other institutions keep integrating X (a replacement is the
    registers' act, ``carrefour directory replace``). The same correction again changes nothing
    (``repeated``); a correction of the same voucher to another NISS is a ``Conflict`` naming
    the first.
    """
    message, paper_id, a911 = _find_voucher(uow, message_id=message_id, document_id=document_id)
    old = message.niss
    new = parse_niss(correct_niss).value
    if new == old:
        raise InvalidInput(
            f"the correct NISS {new} is the NISS of voucher {message.id} already",
            message_id=message.id,
            field="correct_niss",
        )
    row = uow.mailbox.get(caller.id, message.id)
    if row is None and paper_id is None:
        raise _refuse_correction(uow, caller, message)
    decision = require(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=CORRECTION_FLOW,
        niss=old,
        object_id=message.id,
    )
    earlier = _earlier_correction(uow, message)
    if earlier is not None:
        first = str(earlier.payload.get("new_niss"))
        if first != new:
            raise AlreadyCorrected(
                f"voucher {message.id} was already corrected to NISS {first} by {earlier.sender} "
                f"(correction {earlier.id}), not to {new}",
                message_id=message.id,
                new_niss=first,
                correction_id=earlier.id,
                corrected_by=earlier.sender,
            )
        return _repeat(uow, caller=caller, earlier=earlier, message=message, paper_id=paper_id,
                       a911=a911)  # fmt: skip
    if row is not None and row.ack_result is not None:
        raise _already_acknowledged(row)
    newer = uow.replacements.replacement_of(new)
    if newer is not None:
        raise NissReplaced(
            f"the correct NISS {new} was itself replaced by {newer}; correct to {newer}",
            old_niss=new,
            new_niss=newer,
        )
    now = uow.clock.now()
    if row is not None:
        status = ACK_STATUS[AckResult.CORRECTION]
        _store(
            uow,
            _answered(
                row, status=status.value, result=AckResult.CORRECTION.value, reason=reason, at=now
            ),
        )
    again = _reroute(uow, message=message, new=new)
    resolved: Message | None = None
    if paper_id is not None:
        resolved = _resolve_a911(
            uow, caller=caller, message=message, paper_id=paper_id, a911=a911, new=new, again=again
        )
    received = [r.recipient for r in uow.mailbox.of_message(message.id)]
    parties = [message.sender, *received]
    if message.in_reply_to is not None:  # a pension voucher's first hop: its submitter too
        hop = uow.messages.get(message.in_reply_to)
        if hop is not None and hop.flow == PENSION_FLOW:
            parties.append(hop.sender)
    parties = [p for p in parties if p not in (caller.id, HUB, PAPER)]
    rerouted = (again.id,) if again else ()
    notified = tuple(
        r.institution
        for r in road.addressed_to(uow, CORRECTION_FLOW, parties, now.date(), skip_refused=True)
    )
    notice = road.send(
        uow,
        flow=CORRECTION_FLOW,
        sender=caller,
        niss=old,
        payload={
            "old_niss": old,
            "new_niss": new,
            "message_id": message.id,
            "document_id": paper_id,
            "rerouted": list(rerouted),
            "notified": list(notified),
            "reason": reason,
        },
        to=notified,
        decision=decision,
        event_date=message.event_date,
        period=message.period,
        in_reply_to=message.id,
    )
    delivered = tuple(r.recipient for r in uow.mailbox.of_message(again.id)) if again else ()
    uow.commit()
    return CorrectionOutcome(
        message.id,
        paper_id,
        old,
        new,
        notice.id,
        repeated=False,
        notified=notified,
        rerouted=rerouted,
        recipients=delivered,
        paper_closed=paper_id is not None and again is not None,
        a911_id=resolved.id if resolved else None,
    )


def _repeat(
    uow: UnitOfWork,
    *,
    caller: Institution,
    earlier: Message,
    message: Message,
    paper_id: str | None,
    a911: Message | None,
) -> CorrectionOutcome:
    """The same correction again: nothing is written, unless the voucher could not be routed
    under the new NISS the first time (nobody had integrated it yet) and now can; then it is
    routed, and INAMI told, without a second correction message."""
    new = str(earlier.payload.get("new_niss"))
    rerouted = tuple(
        m.id
        for m in uow.messages.of_niss(new)
        if m.flow == VOUCHER_FLOW and m.in_reply_to == message.id
    )
    notified = tuple(str(n) for n in earlier.payload.get("notified") or ())
    if rerouted:
        return CorrectionOutcome(
            message.id, paper_id, message.niss, new, earlier.id, repeated=True,
            notified=notified, rerouted=rerouted, paper_closed=paper_id is not None,
        )  # fmt: skip
    again = _reroute(uow, message=message, new=new)
    if again is None:
        return CorrectionOutcome(
            message.id, paper_id, message.niss, new, earlier.id, repeated=True, notified=notified
        )
    resolved = None
    if paper_id is not None:
        resolved = _resolve_a911(
            uow, caller=caller, message=message, paper_id=paper_id, a911=a911, new=new, again=again
        )
    delivered = tuple(r.recipient for r in uow.mailbox.of_message(again.id))
    uow.commit()
    return CorrectionOutcome(
        message.id, paper_id, message.niss, new, earlier.id, repeated=False, notified=notified,
        rerouted=(again.id,), recipients=delivered, paper_closed=paper_id is not None,
        a911_id=resolved.id if resolved else None,
    )  # fmt: skip


def _correct(
    uow: UnitOfWork,
    *,
    caller: Institution,
    message_id: str,
    correct_niss: str,
    reason: str | None,
) -> AckOutcome:
    """``correction`` through the mailbox's acknowledgements: ``correct_identification``."""
    done = correct_identification(
        uow, caller=caller, correct_niss=correct_niss, message_id=message_id, reason=reason
    )
    row = uow.mailbox.get(caller.id, message_id)
    status = row.status if row is not None else ACK_STATUS[AckResult.CORRECTION].value
    return AckOutcome(
        message_id,
        status,
        None if done.repeated else done.correction_id,
        repeated=done.repeated,
        notified=done.notified,
        rerouted=done.rerouted,
    )


def _addressable(
    uow: UnitOfWork, flow: str, institutions: Iterable[str], day: date
) -> list[Recipient]:
    """The ``institutions`` (in id order) the deliberations let receive ``flow`` without an
    integration; the others are skipped."""
    return road.addressed_to(uow, flow, sorted(set(institutions)), day, skip_refused=True)


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


def _reroute(uow: UnitOfWork, *, message: Message, new: str) -> Message | None:
    """The voucher ``message`` sent again by its emitter under ``new``, to the mutualities that
    integrated ``new`` (``None`` when none has)."""
    today = uow.clock.today()
    payload = {**message.payload, "niss": new}
    voucher = _as_voucher(payload, today)
    lines = uow.directory.lines_of(new)
    days = _routing_days(message, voucher, today)
    if not road.directory_recipients(uow, VOUCHER_FLOW, lines, days, exclude={message.sender}):
        return None
    emitter = uow.catalogue.institution(message.sender)
    again = road.send(
        uow,
        flow=VOUCHER_FLOW,
        sender=emitter,
        niss=new,
        payload=payload,
        lines=lines,
        days=days,
        decision=road.decide(uow, sender=emitter, flow=VOUCHER_FLOW),
        event_date=message.event_date,
        period=message.period,
        in_reply_to=message.id,
    )
    if voucher is not None:
        end_provisional_proofs(uow, niss=new, period=voucher.period, by=again.id)
    return again


def _resolve_a911(
    uow: UnitOfWork,
    *,
    caller: Institution,
    message: Message,
    paper_id: str,
    a911: Message | None,
    new: str,
    again: Message | None,
) -> Message:
    """The A911 update for INAMI: the paper voucher's identification was corrected by
    ``caller``, and the voucher went electronically under ``new`` (resolved) or not yet."""
    hub = uow.catalogue.institution(HUB)
    return road.send(
        uow,
        flow=A911_FLOW,
        sender=hub,
        niss=message.niss,
        payload={
            "resolved": again is not None,
            "message_id": message.id,
            "document_id": paper_id,
            "a911_id": a911.id if a911 else None,
            "old_niss": message.niss,
            "new_niss": new,
            "corrected_by": caller.id,
            "rerouted_id": again.id if again else None,
        },
        to=INAMI_RECIPIENTS,
        decision=road.decide(uow, sender=hub, flow=A911_FLOW),
        event_date=message.event_date,
        period=message.period,
        in_reply_to=a911.id if a911 else message.id,
    )


# --- wrongly accepted or rejected -----------------------------------------------------------


def _reopen(uow: UnitOfWork, *, caller: Institution, row: MailboxRow, reason: str) -> AckOutcome:
    """The caller's earlier accept or reject was wrong: the row goes back to ``delivered`` with
    its acknowledgement cleared, so it can be accepted or rejected again, and the emitter gets an
    ``answer`` {message_id, result: "wrongly-handled", previous, reason}. Only an accepted or
    rejected row can be reopened (an identification correction cannot: the voucher was routed
    again under the corrected NISS); anything else is a ``Conflict``."""
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
        replays.append(replay_of(latest, at=now))
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
    found = [r.institution for r in _addressable(uow, RESEND_FLOW, emitters, day)]
    if not found:
        return None, ()
    request = road.send(
        uow,
        flow=RESEND_FLOW,
        sender=caller,
        niss=row.niss,
        payload={
            "niss": row.niss,
            "period": period,
            "served_by_hub": bool(replayed),
            "replayed": list(replayed),
        },
        to=found,
        decision=decision,
        period=period,
        in_reply_to=row.message_id,
    )
    return request, tuple(found)
