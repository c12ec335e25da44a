"""INAMI's administrative cell (seed 002): cases, provisional proofs of insurability, A911 records.

A mutuality that finds a person it insures not in order (a voucher missing, incomplete or of poor
quality) asks the cell to intervene (``open_case``). The cell consults the tracking files of the
emitters (``case_detail``) and may issue a **provisional proof of insurability**
(``issue_provisional_proof``): a PDF for the mutuality and a ``provisional-proof`` message to it.
The proof ends by itself when a definitive voucher for the period arrives
(``services.vouchers`` marks it ``superseded``) and has no effect after ``valid_until``
(``expired``, computed when read). The cell and INAMI read the data of every paper voucher
(form A911) with ``a911_records``.

The cell examines the documents the person brought (``add_document``: a PDF or image, stored
with its SHA-256 digest, for the cell and the case's mutuality), intervenes with an emitter
(``request_intervention``: an ``intervention-request`` to send, correct or explain a voucher),
which answers (``answer_intervention``: an ``intervention-answer``), and closes the case with an
outcome (``close_case``); ``case_detail`` shows the whole thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import authorise
from carrefour.domain.errors import Conflict, InvalidInput, NotAddressee, NotFound
from carrefour.domain.identifiers import format_niss
from carrefour.domain.inami import (
    CLOSED,
    OPEN,
    Answer,
    InterventionAction,
    Outcome,
    check_answer,
    check_document,
    check_open,
    parse_enum,
    state_after,
)
from carrefour.domain.messages import DeliveryStatus, Message, TrackingEntry, visible_payload
from carrefour.domain.periods import Period, Quarter
from carrefour.domain.routing import recipients
from carrefour.services import road
from carrefour.services.consultations import log_decision, require
from carrefour.services.directory import current_niss
from carrefour.services.ids import new_id
from carrefour.services.mailboxes import parse_cursor
from carrefour.services.tracking import FLOW as TRACKING_FLOW
from carrefour.services.tracking import visible_flows
from carrefour.services.unit_of_work import (
    CaseClosure,
    CaseDocument,
    Document,
    DocumentRenderer,
    InamiCase,
    Intervention,
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
INTERVENTION_FLOW: Final = "intervention-request"
INTERVENTION_ANSWER_FLOW: Final = "intervention-answer"
#: The flows of a case's thread (each message's payload names the case).
THREAD_FLOWS: Final = (CASE_FLOW, INTERVENTION_FLOW, INTERVENTION_ANSWER_FLOW, PROOF_FLOW)
#: The document kind of a case document in the document store.
CASE_DOCUMENT: Final = "case-document"
#: The tracked flows the cell examines for a case: what each emitter sent about the person.
VOUCHER_FLOWS: Final = (VOUCHER_FLOW, PENSION_FLOW, A911_FLOW)
#: The longest free-text reason a mutuality may give.
REASON_MAX_LENGTH: Final = 500
#: The longest file name a case document keeps.
FILENAME_MAX_LENGTH: Final = 200
#: The file name extension of each accepted document type.
EXTENSIONS: Final = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
# Intervention statuses.
WAITING: Final = "waiting"
ANSWERED: Final = "answered"
#: The most cases a list scans per request before giving up on filling a page.
_MAX_SCAN: Final = 100_000

# Proof statuses (a case's states live in ``carrefour.domain.inami``).
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
    decision = require(
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
    road.send(
        uow,
        flow=CASE_FLOW,
        sender=caller,
        niss=niss,
        payload={
            "case_id": case.id,
            "niss": niss,
            "mutuality": caller.id,
            "begin": begin.isoformat(),
            "end": end.isoformat(),
            "reason": text,
        },
        to=[CELL],
        decision=decision,
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
    documents: list[CaseDocument]
    interventions: list[Intervention]
    closure: CaseClosure | None
    thread: list[Message]  # the case's messages, oldest first


def _visible_case(uow: UnitOfWork, caller: Institution, case_id: str) -> InamiCase:
    case = uow.inami.case(case_id)
    everything = _scope(uow, caller, case.niss if case else None, case_id)
    if case is None or (not everything and case.mutuality != caller.id):
        raise NotFound(f"no INAMI case {case_id} for {caller.id}", case_id=case_id)
    return case


def _thread(uow: UnitOfWork, case: InamiCase) -> list[Message]:
    """The case's messages, oldest first: the mutuality's request, the cell's interventions and
    the emitters' answers, the provisional proofs."""
    found = {
        m.id: m
        for m in uow.messages.of_niss(case.niss)
        if m.flow in THREAD_FLOWS and m.payload.get("case_id") == case.id
    }
    # The tracking file's order is the order the hub published them in.
    order = {
        e.message_id: i
        for i, e in reversed(
            list(enumerate(uow.tracking.select(niss=case.niss, flows=list(THREAD_FLOWS))))
        )
    }
    return sorted(found.values(), key=lambda m: (m.created_at, order.get(m.id, len(order))))


def _case_message(uow: UnitOfWork, case: InamiCase) -> Message | None:
    return next((m for m in _thread(uow, case) if m.flow == CASE_FLOW), None)


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
    thread = _thread(uow, case)
    message = next((m for m in thread if m.flow == CASE_FLOW), None)
    documents = uow.case_work.documents(case.niss, case.id)
    interventions = uow.case_work.interventions(case.niss, case.id)
    closure = uow.case_work.closure(case.niss, case.id)
    uow.commit()
    return CaseDetail(
        case,
        proofs,
        tracking,
        message.id if message else None,
        documents,
        interventions,
        closure,
        thread,
    )


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
    case = _open_case_of_cell(uow, caller, case_id, flow=PROOF_FLOW)
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
    road.send(
        uow,
        flow=PROOF_FLOW,
        sender=caller,
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
        lines=lines,
        days=[today],
        only={mutuality.id},
        decision=road.decide(uow, sender=caller, flow=PROOF_FLOW),
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
    waiting = [i.id for i in uow.case_work.interventions(case.niss, case.id) if i.answer is None]
    status = state_after(proofs_issued=True, waiting=waiting)
    uow.inami.update_case(replace(case, status=status, updated_at=now))
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


# --- case work: documents, interventions, closing ----------------------------------------------


def _case_for_work(uow: UnitOfWork, caller: Institution, case_id: str) -> InamiCase:
    """A case the caller may attach documents to and read them from: the cell and the mutuality
    that opened it (anyone else: 404, as if the case did not exist)."""
    case = _visible_case(uow, caller, case_id)
    if caller.id not in (CELL, case.mutuality):
        raise NotFound(f"no INAMI case {case_id} for {caller.id}", case_id=case_id)
    return case


def _open_case_of_cell(
    uow: UnitOfWork, caller: Institution, case_id: str, *, flow: str = INTERVENTION_FLOW
) -> InamiCase:
    """A case the caller works as the cell (intervenes, closes, issues a proof): refused, and
    logged, for anyone the deliberation of ``flow`` for sending does not name; 409 when the case
    is closed."""
    case = uow.inami.case(case_id)
    require(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=flow,
        niss=case.niss if case else None,
        reference=case_id,
    )
    if case is None:
        raise NotFound(f"no INAMI case {case_id}", case_id=case_id)
    check_open(case.status, case.id)
    return case


def _text(value: str, field: str) -> str:
    text = value.strip()
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidInput(
            f"the {field} is longer than {REASON_MAX_LENGTH} characters", field=field
        )
    return text


def _restate(uow: UnitOfWork, case: InamiCase, at: datetime) -> InamiCase:
    """The case with the state its interventions and proofs give it (a closed case stays so)."""
    if case.status == CLOSED:
        return case
    waiting = [i.id for i in uow.case_work.interventions(case.niss, case.id) if i.answer is None]
    proofs = bool(uow.inami.proofs(case.niss, case_id=case.id))
    updated = replace(
        case, status=state_after(proofs_issued=proofs, waiting=waiting), updated_at=at
    )
    uow.inami.update_case(updated)
    return updated


def add_document(
    uow: UnitOfWork,
    *,
    caller: Institution,
    case_id: str,
    content: bytes,
    filename: str | None,
    declared_type: str | None,
    max_bytes: int,
) -> CaseDocument:
    """The cell or the case's mutuality attaches a document the person brought (a PDF, PNG or
    JPEG; its type read from its bytes), stored with its SHA-256 digest. Refused, with nothing
    written: over ``max_bytes`` (``document-too-large``), another type
    (``unsupported-document-type``), a closed case (409)."""
    case = _case_for_work(uow, caller, case_id)
    check_open(case.status, case.id)
    media_type = check_document(content, max_bytes=max_bytes, declared=declared_type)
    name = (filename or "").strip()
    if len(name) > FILENAME_MAX_LENGTH:
        raise InvalidInput(
            f"the file name is longer than {FILENAME_MAX_LENGTH} characters", field="filename"
        )
    now = uow.clock.now()
    document_id = new_id()
    record = CaseDocument(
        id=document_id,
        niss=case.niss,
        case_id=case.id,
        filename=name or f"{document_id}{EXTENSIONS[media_type]}",
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=caller.id,
        uploaded_at=now,
    )
    uow.documents.add(
        Document(
            id=document_id,
            niss=case.niss,
            kind=CASE_DOCUMENT,
            readers=tuple(dict.fromkeys((CELL, case.mutuality))),
            message_id=None,
            media_type=media_type,
            content=content,
            created_at=now,
        )
    )
    uow.case_work.add_document(record)
    uow.inami.update_case(replace(case, updated_at=now))
    uow.commit()
    return record


def case_documents(uow: UnitOfWork, *, caller: Institution, case_id: str) -> list[CaseDocument]:
    """The case's documents, oldest first, for the cell and the case's mutuality."""
    case = _case_for_work(uow, caller, case_id)
    found = uow.case_work.documents(case.niss, case.id)
    uow.commit()
    return found


def case_document(
    uow: UnitOfWork, *, caller: Institution, case_id: str, document_id: str
) -> tuple[CaseDocument, bytes]:
    """One document of a case and its bytes, for the cell and the case's mutuality."""
    case = _case_for_work(uow, caller, case_id)
    record = next(
        (d for d in uow.case_work.documents(case.niss, case.id) if d.id == document_id), None
    )
    stored = uow.documents.get(document_id) if record is not None else None
    uow.commit()
    if record is None or stored is None:
        raise NotFound(
            f"no document {document_id} in case {case_id}", case_id=case_id, document_id=document_id
        )
    return record, stored.content


def request_intervention(
    uow: UnitOfWork,
    *,
    caller: Institution,
    case_id: str,
    emitter: str,
    action: str,
    begin: date | None = None,
    end: date | None = None,
    voucher_message_id: str | None = None,
    note: str = "",
) -> Intervention:
    """The cell asks ``emitter`` to send, correct or explain the person's voucher for a period
    (default: the case's): an ``intervention-request`` in the emitter's mailbox. The case waits
    for the emitter until it answers."""
    case = _open_case_of_cell(uow, caller, case_id)
    kind = parse_enum(InterventionAction, action, "action")
    period = Period(begin or case.begin, end or case.end)
    text = _text(note, "note")
    if voucher_message_id is not None:
        voucher = uow.messages.get(voucher_message_id)
        if voucher is None or voucher.niss != case.niss:
            raise InvalidInput(
                f"no message {voucher_message_id} about this person",
                field="voucher_message_id",
                message_id=voucher_message_id,
            )
    now = uow.clock.now()
    intervention_id = new_id()
    end_day = period.end or case.end
    message = road.send(
        uow,
        flow=INTERVENTION_FLOW,
        sender=caller,
        niss=case.niss,
        payload={
            "intervention_id": intervention_id,
            "case_id": case.id,
            "niss": case.niss,
            "action": kind.value,
            "begin": period.begin.isoformat(),
            "end": end_day.isoformat(),
            "voucher_message_id": voucher_message_id,
            "note": text,
        },
        to=[emitter],
        decision=road.decide(uow, sender=caller, flow=INTERVENTION_FLOW),
        event_date=period.begin,
        period=str(period),
        in_reply_to=(request.id if (request := _case_message(uow, case)) else None),
    )
    intervention = Intervention(
        id=intervention_id,
        niss=case.niss,
        case_id=case.id,
        emitter=emitter,
        action=kind.value,
        begin=period.begin,
        end=end_day,
        voucher_message_id=voucher_message_id,
        note=text,
        status=WAITING,
        request_message_id=message.id,
        created_at=now,
    )
    uow.case_work.add_intervention(intervention)
    _restate(uow, case, now)
    uow.commit()
    return intervention


def answer_intervention(
    uow: UnitOfWork,
    *,
    caller: Institution,
    intervention_id: str,
    answer: str,
    message_id: str | None = None,
    reason: str | None = None,
) -> Intervention:
    """The emitter answers the cell: ``sent`` or ``corrected`` (naming the voucher message it
    sent), or ``no-obligation`` (with its reason): an ``intervention-answer`` in the cell's
    mailbox, and the case leaves ``waiting-emitter``. Only the emitter the request was sent to
    may answer (``not-addressee``, nothing written); a request answers once (409)."""
    intervention = uow.case_work.intervention(intervention_id)
    if intervention is None:
        raise NotFound(f"no intervention {intervention_id}", intervention_id=intervention_id)
    if caller.id != intervention.emitter:
        raise NotAddressee(
            f"intervention {intervention_id} was sent to {intervention.emitter}, not to "
            f"{caller.id}; only its addressee answers it",
            intervention_id=intervention_id,
            addressee=intervention.emitter,
        )
    require(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=INTERVENTION_ANSWER_FLOW,
        niss=intervention.niss,
        reference=intervention_id,
    )
    if intervention.answer is not None:
        raise Conflict(
            f"intervention {intervention_id} was already answered {intervention.answer!r}",
            reason="already-answered",
            intervention_id=intervention_id,
            answer=intervention.answer,
        )
    kind = parse_enum(Answer, answer, "answer")
    text = _text(reason or "", "reason")
    check_answer(kind, message_id=message_id, reason=text)
    if kind is not Answer.NO_OBLIGATION and message_id is not None:
        sent = uow.messages.get(message_id)
        if sent is None or sent.niss != intervention.niss or sent.sender != caller.id:
            raise InvalidInput(
                f"no message {message_id} sent by {caller.id} about this person",
                field="message_id",
                message_id=message_id,
            )
    now = uow.clock.now()
    period = Period(intervention.begin, intervention.end)
    message = road.send(
        uow,
        flow=INTERVENTION_ANSWER_FLOW,
        sender=caller,
        niss=intervention.niss,
        payload={
            "intervention_id": intervention.id,
            "case_id": intervention.case_id,
            "niss": intervention.niss,
            "answer": kind.value,
            "message_id": message_id if kind is not Answer.NO_OBLIGATION else None,
            "reason": text or None,
        },
        to=[CELL],
        decision=road.decide(uow, sender=caller, flow=INTERVENTION_ANSWER_FLOW),
        event_date=intervention.begin,
        period=str(period),
        in_reply_to=intervention.request_message_id,
    )
    answered = replace(
        intervention,
        status=ANSWERED,
        answer=kind.value,
        sent_message_id=message_id if kind is not Answer.NO_OBLIGATION else None,
        answer_reason=text or None,
        answer_message_id=message.id,
        answered_at=now,
    )
    uow.case_work.update_intervention(answered)
    case = uow.inami.case(intervention.case_id)
    if case is not None:
        _restate(uow, case, now)
    uow.commit()
    return answered


def close_case(
    uow: UnitOfWork, *, caller: Institution, case_id: str, outcome: str, note: str = ""
) -> CaseClosure:
    """The cell closes a case with its outcome; nothing more is added to it afterwards."""
    case = _open_case_of_cell(uow, caller, case_id)
    kind = parse_enum(Outcome, outcome, "outcome")
    text = _text(note, "note")
    now = uow.clock.now()
    closure = CaseClosure(
        niss=case.niss,
        case_id=case.id,
        outcome=kind.value,
        note=text,
        closed_by=caller.id,
        closed_at=now,
    )
    uow.case_work.close(closure)
    uow.inami.update_case(replace(case, status=CLOSED, updated_at=now))
    uow.commit()
    return closure
