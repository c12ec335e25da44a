"""INAMI's administrative cell (seed 002): cases, provisional proofs of insurability, A911 records.

A mutuality that finds a person it insures not in order (a voucher missing, incomplete or of poor
quality) asks the cell to intervene (``open_case``). The cell consults the tracking files of the
emitters (``case_detail``) and may issue a **provisional proof of insurability**
(``issue_provisional_proof``): a PDF for the mutuality and a ``provisional-proof`` message to it.
The proof ends by itself when a definitive voucher for the period arrives
(``services.vouchers`` marks it ``superseded``) and has no effect after ``valid_until``
(``expired``, computed when read). The cell and INAMI read the data of every paper voucher
(form A911) with ``a911_records``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import authorise
from carrefour.domain.errors import Conflict, InvalidInput, NotFound
from carrefour.domain.identifiers import format_niss
from carrefour.domain.messages import DeliveryStatus, Message, TrackingEntry, visible_payload
from carrefour.domain.periods import Period, Quarter
from carrefour.domain.routing import addressed, recipients
from carrefour.services.consultations import log_decision, require
from carrefour.services.directory import current_niss
from carrefour.services.ids import new_id
from carrefour.services.mailboxes import parse_cursor
from carrefour.services.messages import publish
from carrefour.services.tracking import FLOW as TRACKING_FLOW
from carrefour.services.tracking import visible_flows
from carrefour.services.unit_of_work import (
    Document,
    DocumentRenderer,
    InamiCase,
    ProvisionalProof,
    UnitOfWork,
)
from carrefour.services.vouchers import (
    A911_FLOW,
    INAMI_RECIPIENTS,
    PAPER,
    PENSION_FLOW,
    VOUCHER_FLOW,
)

CASE_FLOW: Final = "inami-case"
PROOF_FLOW: Final = "provisional-proof"
CELL: Final = "inami-sca"
#: The tracked flows the cell examines for a case: what each emitter sent about the person.
VOUCHER_FLOWS: Final = (VOUCHER_FLOW, PENSION_FLOW, A911_FLOW)
#: The longest free-text reason a mutuality may give.
REASON_MAX_LENGTH: Final = 500
#: The most cases a list scans per request before giving up on filling a page.
_MAX_SCAN: Final = 100_000

# Case and proof statuses.
OPEN: Final = "open"
PROOF_ISSUED: Final = "proof-issued"
ACTIVE: Final = "active"
SUPERSEDED: Final = "superseded"
EXPIRED: Final = "expired"


def proof_valid_until(issued_on: date) -> date:
    """The last day a provisional proof issued on ``issued_on`` has effect.

    [assumption] domain.md section 5: "limited validity, until the end of the next quarter". A
    proof issued on 2025-06-02 (2025Q2) is valid until 2025-09-30 (the end of 2025Q3).
    """
    return Quarter.of(issued_on).next().last_day


def proof_status(proof: ProvisionalProof, today: date) -> str:
    """The proof's status as of ``today``: an active proof past its ``valid_until`` is
    ``expired`` (computed when read, never written)."""
    if proof.status == ACTIVE and proof.valid_until < today:
        return EXPIRED
    return proof.status


# --- opening a case ----------------------------------------------------------------------------


def open_case(
    uow: UnitOfWork, *, caller: Institution, niss: str, begin: date, end: date, reason: str
) -> InamiCase:
    """A mutuality asks the administrative cell to intervene for ``niss`` over ``begin``..``end``.

    The mutuality must have integrated the person (capacity 001); the request is sent to the cell
    as an ``inami-case`` message, so it is tracked like every message."""
    niss = current_niss(uow, niss)
    period = Period(begin, end)
    text = reason.strip()
    if not text:
        raise InvalidInput("a case needs a reason: what is missing or wrong", field="reason")
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidInput(
            f"the reason is longer than {REASON_MAX_LENGTH} characters", field="reason"
        )
    require(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=CASE_FLOW,
        niss=niss,
        lines=uow.directory.lines_of(niss),
    )
    now = uow.clock.now()
    case = InamiCase(
        id=new_id(),
        niss=niss,
        mutuality=caller.id,
        begin=begin,
        end=end,
        reason=text,
        status=OPEN,
        created_at=now,
        updated_at=now,
    )
    publish(
        uow,
        flow=CASE_FLOW,
        sender=caller.id,
        niss=niss,
        payload={
            "case_id": case.id,
            "niss": niss,
            "mutuality": caller.id,
            "begin": begin.isoformat(),
            "end": end.isoformat(),
            "reason": text,
        },
        recipients=[addressed(CASE_FLOW, CELL, now.date(), catalogue=uow.catalogue)],
        event_date=begin,
        period=str(period),
    )
    uow.inami.add_case(case)
    uow.commit()
    return case


# --- reading cases -----------------------------------------------------------------------------


def _named(uow: UnitOfWork, caller: Institution, action: Action) -> bool:
    """Whether a deliberation for ``inami-case`` and ``action`` names the caller's sector."""
    return any(rule.allows_party(caller) for rule in uow.catalogue.rules_for(CASE_FLOW, action))


def _scope(uow: UnitOfWork, caller: Institution, niss: str | None, reference: str | None) -> bool:
    """``True`` when the caller sees every case, ``False`` when only its own; refuses (and logs)
    anyone else."""
    # The mutualities (named to send cases) read their own; INAMI and its cell (named to consult
    # them) read every case; the consultation rule decides, and logs, for everyone else.
    if _named(uow, caller, Action.SEND) and not _named(uow, caller, Action.CONSULT):
        return False
    require(
        uow, caller=caller, action=Action.CONSULT, flow=CASE_FLOW, niss=niss, reference=reference
    )
    return True


@dataclass(frozen=True, slots=True)
class CasePage:
    items: list[InamiCase]
    next_cursor: str | None


def _cursor(case: InamiCase) -> str:
    return f"{case.created_at.isoformat()}~{case.id}"


def _parse_cursor(text: str) -> tuple[datetime, str]:
    stamp, sep, case_id = text.partition("~")
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        at = None
    if not sep or not case_id or at is None or at.tzinfo is None:
        raise InvalidInput(f"cursor {text!r} is not one this hub gave out", cursor=text)
    return at, case_id


def _after(case: InamiCase, cursor: tuple[datetime, str]) -> bool:
    """Whether ``case`` comes after ``cursor`` in the list order (newest first, then by id)."""
    at, case_id = cursor
    return case.created_at < at or (case.created_at == at and case.id > case_id)


def list_cases(
    uow: UnitOfWork, *, caller: Institution, after: str | None = None, limit: int = 100
) -> CasePage:
    """The cases the caller may see, newest first: every case for INAMI and its cell, its own
    for a mutuality. ``next_cursor`` is set when more cases follow."""
    everything = _scope(uow, caller, None, None)
    position = _parse_cursor(after) if after else None
    mutuality = None if everything else caller.id
    # [assumption] The repository has no keyset cursor: the page is cut from the newest cases,
    # fetching more until it is full (fine for the cell's volumes).
    wanted = limit + 1
    fetch = wanted
    while True:
        fetched = uow.inami.cases(mutuality=mutuality, limit=fetch)
        page = [c for c in fetched if position is None or _after(c, position)]
        if len(page) >= wanted or len(fetched) < fetch or fetch >= _MAX_SCAN:
            break
        fetch = min(fetch * 4, _MAX_SCAN)
    uow.commit()
    more = len(page) > limit
    page = page[:limit]
    return CasePage(page, _cursor(page[-1]) if more and page else None)


@dataclass(frozen=True, slots=True)
class TrackedVoucher:
    """One tracking-file entry of a voucher flow about the person, with its current delivery
    state at the recipient (``None`` for a voucher that went on paper)."""

    entry: TrackingEntry
    delivery_status: str | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: InamiCase
    proofs: list[ProvisionalProof]  # with their status as of today (``expired`` computed)
    tracking: list[TrackedVoucher]
    message_id: str | None  # the mutuality's ``inami-case`` message


def _visible_case(uow: UnitOfWork, caller: Institution, case_id: str) -> InamiCase:
    case = uow.inami.case(case_id)
    everything = _scope(uow, caller, case.niss if case else None, case_id)
    if case is None or (not everything and case.mutuality != caller.id):
        raise NotFound(f"no INAMI case {case_id} for {caller.id}", case_id=case_id)
    return case


def _case_message(uow: UnitOfWork, case: InamiCase) -> Message | None:
    for message in uow.messages.of_niss(case.niss):
        if message.flow == CASE_FLOW and message.payload.get("case_id") == case.id:
            return message
    return None


def _voucher_tracking(uow: UnitOfWork, caller: Institution, niss: str) -> list[TrackedVoucher]:
    """The person's voucher entries in every emitter's tracking file, as far as the caller's
    tracking deliberation allows (the cell and INAMI without integration; a mutuality for a
    person it integrated). The consultation is logged, allowed or not."""
    decision = authorise(
        caller,
        Action.CONSULT,
        TRACKING_FLOW,
        uow.directory.lines_of(niss),
        uow.clock.today(),
        rules=uow.catalogue.rules,
    )
    log_decision(
        uow, caller=caller, action=Action.CONSULT, flow=TRACKING_FLOW, niss=niss, decision=decision
    )
    if not decision.allowed:
        return []
    visible = visible_flows(uow.catalogue, caller, decision.fields)
    flows = [flow for flow in VOUCHER_FLOWS if flow in visible]
    if not flows:
        return []
    result = []
    for entry in uow.tracking.select(niss=niss, flows=flows):
        row = uow.mailbox.get(entry.recipient, entry.message_id)
        result.append(TrackedVoucher(entry, row.status if row else None))
    return result


def case_detail(uow: UnitOfWork, *, caller: Institution, case_id: str) -> CaseDetail:
    """A case with its proofs and the person's voucher tracking across the emitters."""
    case = _visible_case(uow, caller, case_id)
    today = uow.clock.today()
    proofs = [
        replace(p, status=proof_status(p, today))
        for p in uow.inami.proofs(case.niss, case_id=case.id)
    ]
    tracking = _voucher_tracking(uow, caller, case.niss)
    message = _case_message(uow, case)
    uow.commit()
    return CaseDetail(case, proofs, tracking, message.id if message else None)


# --- the provisional proof ---------------------------------------------------------------------


def _in_order_voucher(uow: UnitOfWork, case: InamiCase) -> TrackingEntry | None:
    """A definitive voucher for the case period: a routed ``contribution-voucher`` whose event
    date lies in the period, not gone on paper and not rejected by its recipient."""
    period = Period(case.begin, case.end)
    for entry in uow.tracking.select(niss=case.niss, flow=VOUCHER_FLOW):
        if entry.event_date is None or not period.contains(entry.event_date):
            continue
        if entry.status == DeliveryStatus.PAPER or entry.recipient == PAPER:
            continue
        row = uow.mailbox.get(entry.recipient, entry.message_id)
        if row is not None and row.status == DeliveryStatus.REJECTED:
            continue
        return entry
    return None


def issue_provisional_proof(
    uow: UnitOfWork, *, caller: Institution, case_id: str, renderer: DocumentRenderer
) -> ProvisionalProof:
    """The cell issues a provisional proof of insurability for a case: a PDF the mutuality (and
    INAMI) may fetch, and a ``provisional-proof`` message to the mutuality.

    Refused (``Conflict``) when a definitive voucher for the period was routed (the person is in
    order), when an earlier proof for the case still has effect, or when the mutuality no longer
    integrates the person with a capacity that lets it receive the proof."""
    case = uow.inami.case(case_id)
    require(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=PROOF_FLOW,
        niss=case.niss if case else None,
        reference=case_id,
    )
    if case is None:
        raise NotFound(f"no INAMI case {case_id}", case_id=case_id)
    period = Period(case.begin, case.end)
    found = _in_order_voucher(uow, case)
    if found is not None:
        raise Conflict(
            f"the person is in order for {period}: voucher message {found.message_id} "
            f"({found.flow}, {found.event_date}) was sent by {found.emitter} to "
            f"{found.recipient}; no provisional proof is needed",
            reason="in-order",
            case_id=case.id,
            message_id=found.message_id,
            emitter=found.emitter,
            recipient=found.recipient,
        )
    today = uow.clock.today()
    for proof in uow.inami.proofs(case.niss, case_id=case.id):
        if proof_status(proof, today) == ACTIVE:
            raise Conflict(
                f"provisional proof {proof.id} of case {case.id} is valid until "
                f"{proof.valid_until}; a new one may be issued once it has expired",
                reason="proof-active",
                case_id=case.id,
                proof_id=proof.id,
            )

    lines = uow.directory.lines_of(case.niss)
    mutuality = uow.catalogue.institution(case.mutuality)
    to = [
        r
        for r in recipients(PROOF_FLOW, lines, today, catalogue=uow.catalogue)
        if r.institution == mutuality.id
    ]
    if not to:
        refusal = authorise(
            mutuality, Action.RECEIVE, PROOF_FLOW, lines, today, rules=uow.catalogue.rules
        )
        raise Conflict(
            f"{mutuality.id} may no longer receive a provisional proof for this person: "
            f"{refusal.detail}",
            reason="not-integrated",
            case_id=case.id,
            mutuality=mutuality.id,
        )

    now = uow.clock.now()
    valid_until = proof_valid_until(today)
    proof_id, document_id, message_id = new_id(), new_id(), new_id()
    pdf = renderer.provisional_proof(
        document_id=document_id,
        niss_formatted=format_niss(case.niss),
        mutuality=mutuality,
        case_id=case.id,
        valid_from=today,
        valid_until=valid_until,
        reason=case.reason,
        issued_at=now,
    )
    uow.documents.add(
        Document(
            id=document_id,
            niss=case.niss,
            kind=PROOF_FLOW,
            readers=tuple(dict.fromkeys((mutuality.id, *INAMI_RECIPIENTS))),
            message_id=message_id,
            media_type="application/pdf",
            content=pdf,
            created_at=now,
        )
    )
    request = _case_message(uow, case)
    publish(
        uow,
        flow=PROOF_FLOW,
        sender=caller.id,
        niss=case.niss,
        payload={
            "proof_id": proof_id,
            "case_id": case.id,
            "niss": case.niss,
            "begin": case.begin.isoformat(),
            "end": case.end.isoformat(),
            "valid_from": today.isoformat(),
            "valid_until": valid_until.isoformat(),
            "document_id": document_id,
            "reason": case.reason,
        },
        recipients=to,
        event_date=case.begin,
        period=str(period),
        in_reply_to=request.id if request else None,
        message_id=message_id,
    )
    proof = ProvisionalProof(
        id=proof_id,
        niss=case.niss,
        case_id=case.id,
        mutuality=mutuality.id,
        begin=case.begin,
        end=case.end,
        valid_until=valid_until,
        status=ACTIVE,
        document_id=document_id,
        message_id=message_id,
        issued_at=now,
    )
    uow.inami.add_proof(proof)
    uow.inami.update_case(replace(case, status=PROOF_ISSUED, updated_at=now))
    uow.commit()
    return proof


# --- A911 --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class A911Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def a911_records(
    uow: UnitOfWork, *, caller: Institution, after: str | None = None, limit: int = 100
) -> A911Page:
    """The A911 records in the caller's mailbox (the data of every paper voucher: the voucher's
    fields, its sender, the paper document and why it went on paper), oldest first. Only the
    institutions a deliberation lets receive ``paper-voucher`` (INAMI and its cell) may read them.
    Reading them here does not change their delivery state (``GET /v1/mailbox`` does)."""
    require(uow, caller=caller, action=Action.RECEIVE, flow=A911_FLOW, niss=None)
    position = parse_cursor(after)
    items: list[dict[str, Any]] = []
    while len(items) < limit:
        page = uow.mailbox.page(caller.id, after=position, limit=max(limit, 100))
        for row, message in page:
            position = row.position
            if message.flow != A911_FLOW:
                continue
            items.append(
                {
                    **visible_payload(message.payload, row.fields),
                    "a911_id": message.id,
                    "received_at": message.created_at.isoformat(),
                    "status": row.status,
                }
            )
            if len(items) == limit:
                break
        if len(page) < max(limit, 100):
            break
    uow.commit()
    return A911Page(items, None if position is None else str(position))
