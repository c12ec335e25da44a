"""Replaying one message to one recipient from the operator console.

The hub keeps every message it routed. An operator may put one of them back in one recipient's
mailbox (a lost delivery, a recipient that restored an old backup), but only if the
deliberations still allow that recipient to receive it *today*: the authorisation that let the
message go the first time is not taken for granted.

Both decisions stay on record, in the replay's own transaction:

- the recipient's decision of today is written to the consultation log as any decision of the
  deliberations (``log_decision``: allowed or refused, rule, reason);
- the operator's ``replay`` line beside it names the original decision (the rule of the first
  delivery) and today's, so the log reads "sent under R1 on ..., replayed under R2 by ...";
- an allowed replay adds the recipient's mailbox row again (``replay`` + 1, queued: pulled or
  pushed like any message, under its original id), its status-chain entry, and a tracking entry
  naming today's rule: the tracking file shows the message went to the recipient twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import authorise
from carrefour.domain.errors import InvalidInput, NotFound
from carrefour.domain.messages import DeliveryStatus, payload_digest, tracking_holder
from carrefour.services import evidence
from carrefour.services.consultations import log_decision
from carrefour.services.mailboxes import replay_of
from carrefour.services.messages import tracking_entry
from carrefour.services.unit_of_work import ConsultationEntry, UnitOfWork

#: The consultation log's ``action`` of an operator's replay.
REPLAY_ACTION = "replay"
#: The status-chain event of a replayed mailbox row.
REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    """What a replay decided: ``allowed`` (then ``replay`` is the new row's number) or refused
    with ``reason_code``; ``original_rule`` is the rule the message first went under."""

    message_id: str
    recipient: str
    allowed: bool
    original_rule: str | None
    rule_id: str | None
    reason_code: str | None
    detail: str
    replay: int | None = None


def replay(uow: UnitOfWork, *, by: Institution, message_id: str, recipient: str) -> ReplayOutcome:
    """Re-decide whether ``recipient`` may receive message ``message_id`` today and, if so, put
    the message back in its mailbox (see the module's docstring). ``NotFound`` for an unknown
    message; ``InvalidInput`` for a recipient the message never went to. Commits once, whether
    allowed or refused: both decisions are logged either way."""
    message = uow.messages.get(message_id)
    if message is None:
        raise NotFound(f"no message {message_id!r}", message_id=message_id)
    latest = uow.mailbox.get(recipient, message.id)
    if latest is None:
        raise InvalidInput(
            f"message {message.id} never went to {recipient!r}: a replay goes to one of its "
            "recipients",
            field="recipient",
        )
    institution = uow.catalogue.institution(recipient)
    today = uow.clock.today()
    now = uow.clock.now()
    lines = uow.directory.lines_of(message.niss)
    decision = authorise(
        institution, Action.RECEIVE, message.flow, lines, today, rules=uow.catalogue.rules
    )
    reference = f"replay of message {message.id} by {by.id}"
    log_decision(
        uow,
        caller=institution,
        action=Action.RECEIVE,
        flow=message.flow,
        niss=message.niss,
        decision=decision,
        reference=reference,
        object_id=message.id,
    )
    first = (
        f"first sent under rule {latest.rule_id} on {latest.created_at.date().isoformat()}"
        if latest.rule_id
        else "first sent with no rule on record"
    )
    today_text = (
        f"allowed today under rule {decision.rule_id}"
        if decision.allowed
        else f"refused today ({decision.reason_code})"
    )
    uow.consultations.append(
        ConsultationEntry(
            at=now,
            caller=by.id,
            action=REPLAY_ACTION,
            flow=message.flow,
            niss=message.niss,
            rule_id=decision.rule_id,
            allowed=decision.allowed,
            reason_code=decision.reason_code.value if decision.reason_code else None,
            status_code=decision.status_code,
            detail=f"operator console: message {message.id} to {recipient}: {first}; {today_text}",
            object_id=message.id,
        )
    )
    number: int | None = None
    if decision.allowed and decision.rule_id is not None:
        row = replace(
            replay_of(latest, at=now),
            rule_id=decision.rule_id,
            fields=tuple(sorted(decision.fields)),
            position=None,
        )
        number = row.replay
        uow.mailbox.add_many([row])
        evidence.record(uow, [row], event=REPLAYED)
        uow.tracking.append(
            [
                tracking_entry(
                    message,
                    recipient,
                    decision.rule_id,
                    at=now,
                    status=DeliveryStatus.QUEUED.value,
                    holder=tracking_holder(uow.catalogue, message.sender),
                    digest=payload_digest(message.payload),
                )
            ]
        )
    uow.commit()
    return ReplayOutcome(
        message_id=message.id,
        recipient=recipient,
        allowed=decision.allowed,
        original_rule=latest.rule_id or None,
        rule_id=decision.rule_id,
        reason_code=decision.reason_code.value if decision.reason_code else None,
        detail=decision.detail,
        replay=number,
    )
