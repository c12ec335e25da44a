"""``/v1/mailbox``: pull the caller's messages and acknowledge them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from carrefour.api.deps import CallerDep, UowDep
from carrefour.api.schemas import AckCreate, AckRead, Page
from carrefour.services import mailboxes

router = APIRouter(prefix="/v1/mailbox", tags=["mailbox"])


@router.get("", response_model=Page[dict[str, Any]])
async def pull(
    uow: UowDep,
    caller: CallerDep,
    after: str | None = Query(default=None, description="the next_cursor of the last page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[dict[str, Any]]:
    """The caller's messages after the cursor, oldest first. Pulled messages count as delivered;
    keep the ``next_cursor`` and pass it as ``after`` next time."""
    page = mailboxes.pull(uow, caller=caller, after=after, limit=limit)
    return Page[dict[str, Any]](items=page.items, next_cursor=page.next_cursor)


_ACK_DESCRIPTION = """\
Answer a message of the caller's mailbox. ``result`` is one of:

- ``accept``; ``reject`` with a ``reason``: closes the message for the caller (status
  ``accepted`` / ``rejected``) and sends an ``answer`` message back to its emitter. The same
  acknowledgement twice changes nothing (``repeated: true``); a different one is a 409 conflict.
- ``correction`` with ``correct_niss`` (the person's NISS as the mutualities know it): the same
  as ``POST /v1/corrections`` with this ``message_id``: the voucher is routed again under the
  new NISS to the mutualities that integrated it (``rerouted``), the emitter and the voucher's
  other recipients get an ``identification-correction`` (``notified``, message ``answer_id``),
  and no number is replaced in the registers. A voucher the caller neither received nor holds
  the paper of is a 403 ``not-holder`` (logged); one already corrected to another NISS a 409
  ``already-corrected``; an invalid ``correct_niss`` a 422 ``invalid-niss``.
- ``wrongly-handled`` with a ``reason``: the caller's earlier accept or reject was wrong. The
  message is reopened (status ``delivered``, to be accepted or rejected again) and the emitter
  gets an ``answer`` {message_id, result: "wrongly-handled", previous, reason}. A message not
  accepted or rejected by the caller is a 409 (nothing to reopen).
- ``resend``, optionally with a ``period`` (as written on the vouchers, e.g. ``2025Q1``): every
  contribution voucher the caller received for the person of ``message_id`` (of that period) is
  put back in its mailbox under its original id, at a new cursor position (``replayed``); the
  emitters get a ``resend-request`` record {niss, period, served_by_hub, replayed}
  (``answer_id``, ``notified``). With nothing to replay, that request asks the emitter of the
  message to send again (``served_by_hub: false``).

A message that is not in the caller's mailbox is a 404, whatever the result but ``correction``.
``reason`` goes with any result; ``correct_niss`` only with ``correction``, ``period`` only with
``resend``.
"""


@router.post("/acks", response_model=AckRead, description=_ACK_DESCRIPTION)
async def acknowledge(body: AckCreate, uow: UowDep, caller: CallerDep) -> AckRead:
    """Answer a message: accept, reject, correction, wrongly-handled or resend."""
    outcome = mailboxes.acknowledge(
        uow,
        caller=caller,
        message_id=body.message_id,
        result=body.result,
        reason=body.reason,
        correct_niss=body.correct_niss,
        period=body.period,
    )
    return AckRead(
        message_id=outcome.message_id,
        status=outcome.status,
        answer_id=outcome.answer_id,
        repeated=outcome.repeated,
        notified=list(outcome.notified),
        rerouted=list(outcome.rerouted),
        replayed=list(outcome.replayed),
    )
