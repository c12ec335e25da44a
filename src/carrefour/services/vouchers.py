"""Contribution vouchers (form A908): routing to the mutuality, the pension cadastre's two hops,
and the paper fallback with its A911 record for INAMI.

A voucher goes to the mutuality that has integrated the person (capacity 001) for the reference
period. When none has (or the NISS was replaced), nothing is delivered electronically: the hub
produces a bilingual paper voucher for the sender, tracks the voucher as "paper", and sends INAMI
(its administrative cell) an A911 record with every field. A definitive voucher for a period ends
the provisional proofs of insurability issued for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from carrefour.domain import flows
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError, InvalidInput, NotFound, UnknownInstitution
from carrefour.domain.identifiers import format_niss
from carrefour.domain.messages import DeliveryStatus
from carrefour.domain.periods import Period
from carrefour.domain.routing import Recipient, recipients
from carrefour.domain.vouchers import (
    KIND_LABELS,
    Voucher,
    VoucherKind,
    check_pension_submission,
    check_sender,
    paper_fields,
    parse_voucher,
)
from carrefour.services import road
from carrefour.services.consultations import require
from carrefour.services.ids import new_id
from carrefour.services.messages import Encoded, Outgoing, encode, publish_many
from carrefour.services.unit_of_work import (
    Document,
    DocumentRenderer,
    ProvisionalProof,
    UnitOfWork,
)

VOUCHER_FLOW = flows.CONTRIBUTION_VOUCHER
PENSION_FLOW = flows.PENSION_VOUCHER
A911_FLOW = flows.PAPER_VOUCHER
HUB = "bcss"
CADASTRE = "pension-cadastre"
INAMI_RECIPIENTS = ("inami-sca", "inami")
PAPER = flows.PAPER  # the tracking file's recipient of a voucher that went on paper
# Voucher fields that name an institution of the catalogue.
INSTITUTION_FIELDS = ("cas", "payment_body", "pension_payer")

NOT_INTEGRATED = (
    "Aucune mutualité n'a intégré cette personne pour la période",
    "Geen ziekenfonds heeft deze persoon voor de periode geïntegreerd",
)
REPLACED = (
    "Le NISS connu de l'expéditeur a été remplacé par {new}",
    "Het INSZ dat de afzender kent werd vervangen door {new}",
)


@dataclass(frozen=True, slots=True)
class VoucherOutcome:
    """What became of one voucher: routed to ``recipients``, or on paper with a document."""

    message_id: str
    niss: str
    kind: str
    period: str
    status: str
    recipients: list[str] = field(default_factory=list)
    document_id: str | None = None
    a911_id: str | None = None
    submitted_id: str | None = None  # a pension voucher's first hop, to the cadastre
    hander: str | None = None  # who hands a paper voucher to the person


def _check_references(uow: UnitOfWork, voucher: Voucher) -> None:
    for name in INSTITUTION_FIELDS:
        value = voucher.details.get(name)
        if value is None:
            continue
        try:
            uow.catalogue.institution(str(value))
        except UnknownInstitution as error:
            raise InvalidInput(error.detail, field=name) from None


def routing_days(period: Period, today: date) -> list[date]:
    """The days on which the person's mutuality is looked up for a voucher of ``period``: the
    end of the reference period (or today, if sooner), then its beginning."""
    return [min(period.end or today, today), period.begin]


def paper_hander(voucher: Voucher, sender: Institution) -> str:
    """Who hands a paper voucher to the person (seed 002: "une attestation papier sera remise à
    l'intéressé (par l'employeur, la caisse d'assurances sociales ou l'institution débitrice de
    pension)"): the CAS of a self-employed voucher, the payment body of an unemployment one,
    the pension payer behind the cadastre; for an employee's voucher the employer, whom the
    emitter (ONSS) tells on its behalf, so the emitter. Fedris hands its own."""
    for name in INSTITUTION_FIELDS:
        value = voucher.details.get(name)
        if value is not None:
            return str(value)
    return sender.id


def _store_paper(
    uow: UnitOfWork,
    *,
    renderer: DocumentRenderer,
    sender: Institution,
    voucher: Voucher,
    reason: tuple[str, str],
) -> VoucherOutcome:
    """The voucher goes on paper: tracked to ``paper``, its PDF stored for the emitter, the
    institution that hands it over and INAMI, its data sent to INAMI (A911) and a
    ``paper-voucher`` notice with the document id to the institution that hands it over."""
    now = uow.clock.now()
    catalogue = uow.catalogue
    message = road.send(
        uow,
        flow=VOUCHER_FLOW,
        sender=sender,
        niss=voucher.niss,
        payload=voucher.payload(),
        decision=road.decide(uow, sender=sender, flow=VOUCHER_FLOW),
        event_date=voucher.period.begin,
        period=voucher.period_label,
        status=DeliveryStatus.PAPER,
        tracked_only=(PAPER,),
    )
    document_id = new_id()
    hander = paper_hander(voucher, sender)
    kind_fr, kind_nl = KIND_LABELS[voucher.kind]
    pdf = renderer.paper_voucher(
        document_id=document_id,
        sender=sender,
        niss_formatted=format_niss(voucher.niss),
        kind_fr=kind_fr,
        kind_nl=kind_nl,
        period_label=voucher.period_label,
        fields=paper_fields(voucher),
        reason_fr=reason[0],
        reason_nl=reason[1],
        message_id=message.id,
        issued_at=now,
    )
    readers = tuple(dict.fromkeys((sender.id, hander, *INAMI_RECIPIENTS)))
    uow.documents.add(
        Document(
            id=document_id,
            niss=voucher.niss,
            kind="paper-voucher",
            readers=readers,
            message_id=message.id,
            media_type="application/pdf",
            content=pdf,
            created_at=now,
        )
    )
    hub = catalogue.institution(HUB)
    hub_decision = road.decide(uow, sender=hub, flow=A911_FLOW)
    a911 = road.send(
        uow,
        flow=A911_FLOW,
        sender=hub,
        niss=voucher.niss,
        payload={
            **voucher.payload(),
            "sender": sender.id,
            "message_id": message.id,
            "document_id": document_id,
            "reason": reason[0],
            "hander": hander,
        },
        to=INAMI_RECIPIENTS,
        decision=hub_decision,
        event_date=voucher.period.begin,
        period=voucher.period_label,
        in_reply_to=message.id,
    )
    road.send(
        uow,
        flow=A911_FLOW,
        sender=hub,
        niss=voucher.niss,
        payload={
            "notice": "hand-over",
            "message_id": message.id,
            "document_id": document_id,
            "sender": sender.id,
            "hander": hander,
            "employer": voucher.details.get("employer"),
            "kind": voucher.kind.value,
            "period": voucher.period_label,
            "reason": reason[0],
        },
        to=[hander],
        skip_refused=True,
        decision=hub_decision,
        event_date=voucher.period.begin,
        period=voucher.period_label,
        in_reply_to=message.id,
    )
    return VoucherOutcome(
        message_id=message.id,
        niss=voucher.niss,
        kind=voucher.kind.value,
        period=voucher.period_label,
        status=DeliveryStatus.PAPER.value,
        document_id=document_id,
        a911_id=a911.id,
        hander=hander,
    )


def end_provisional_proofs(
    uow: UnitOfWork,
    *,
    niss: str,
    period: Period,
    by: str,
    active: Sequence[ProvisionalProof] | None = None,
) -> None:
    """A definitive voucher (message ``by``) for ``period`` ends the provisional proofs of
    insurability issued for it. ``active``: the active proofs, when already read (a chunk)."""
    now = uow.clock.now()
    for proof in uow.inami.proofs(niss) if active is None else active:
        if (
            proof.niss == niss
            and proof.status == "active"
            and Period(proof.begin, proof.end).overlaps(period)
        ):
            uow.inami.end_proof(niss, proof.id, status="superseded", at=now, by=by)


Routed = VoucherOutcome | CarrefourError


def _route_direct(
    uow: UnitOfWork,
    *,
    sender: Institution,
    vouchers: Sequence[Voucher],
    renderer: DocumentRenderer,
    submitted_ids: Sequence[str | None] | None = None,
    encoded: Sequence[Encoded] | None = None,
) -> list[Routed]:
    """Route vouchers ``sender`` emits itself, set-based: one authorisation, one read of the
    directory, the replacements and the provisional proofs for all of them, one multi-row
    publish. Each voucher's outcome, or the error that refused it, in order. ``encoded``: each
    voucher's payload already encoded (a batch's duplicate check did it)."""
    submitted = list(submitted_ids) if submitted_ids is not None else [None] * len(vouchers)
    results: list[Routed | None] = [None] * len(vouchers)
    candidates: list[int] = []
    for index, voucher in enumerate(vouchers):
        try:
            check_sender(voucher, sender)
            _check_references(uow, voucher)
        except CarrefourError as error:
            results[index] = error
            continue
        candidates.append(index)
    if candidates:
        niss = vouchers[candidates[0]].niss if len(vouchers) == 1 else None
        require(uow, caller=sender, action=Action.SEND, flow=VOUCHER_FLOW, niss=niss)
    nisses = sorted({vouchers[i].niss for i in candidates})
    replaced = uow.replacements.replacements_of(nisses)
    lines_of: dict[str, list[IntegrationLine]] = defaultdict(list)
    for line in uow.directory.lines_of_many(nisses):
        lines_of[line.niss].append(line)
    today = uow.clock.today()
    # The recipients depend only on which (institution, capacity, phase) lines are in force on
    # the day: persons of the same shape (most of a chunk) share one decision.
    decided: dict[tuple[date, frozenset[tuple[str, str, int]]], list[Recipient]] = {}

    def routed_to(lines: Sequence[IntegrationLine], day: date) -> list[Recipient]:
        shape = frozenset((x.institution, x.capacity, x.phase) for x in lines if x.covers(day))
        key = (day, shape)
        if key not in decided:
            decided[key] = recipients(
                VOUCHER_FLOW, lines, day, catalogue=uow.catalogue, exclude={sender.id}
            )
        return decided[key]

    outgoing: list[tuple[int, list[Recipient]]] = []
    for index in candidates:
        voucher = vouchers[index]
        reason: tuple[str, str] | None = None
        found: list[Recipient] = []
        if voucher.niss in replaced:
            new = replaced[voucher.niss]
            reason = (REPLACED[0].format(new=new), REPLACED[1].format(new=new))
        else:
            for day in routing_days(voucher.period, today):
                found = routed_to(lines_of[voucher.niss], day)
                if found:
                    break
            if not found:
                reason = NOT_INTEGRATED
        if reason is not None:
            paper = _store_paper(
                uow, renderer=renderer, sender=sender, voucher=voucher, reason=reason
            )
            results[index] = replace(paper, submitted_id=submitted[index])
        else:
            outgoing.append((index, found))
    messages: list[Outgoing] = []
    for index, found in outgoing:
        voucher = vouchers[index]
        payload = encode(voucher.payload()) if encoded is None else encoded[index]
        messages.append(
            Outgoing(
                flow=VOUCHER_FLOW,
                sender=sender.id,
                niss=voucher.niss,
                payload=payload.payload,
                recipients=found,
                event_date=voucher.period.begin,
                period=voucher.period_label,
                in_reply_to=submitted[index],
                encoded=payload,
            )
        )
    published = publish_many(uow, messages)
    proofs = uow.inami.active_proofs_of(sorted({vouchers[i].niss for i, _ in outgoing}))
    with_proofs = {proof.niss for proof in proofs}
    queued = DeliveryStatus.QUEUED.value
    for (index, found), message_id in zip(outgoing, published, strict=True):
        voucher = vouchers[index]
        if voucher.niss in with_proofs:
            end_provisional_proofs(
                uow, niss=voucher.niss, period=voucher.period, by=message_id, active=proofs
            )
        results[index] = VoucherOutcome(
            message_id=message_id,
            niss=voucher.niss,
            kind=voucher.kind.value,
            period=voucher.period_label,
            status=queued,
            recipients=[r.institution for r in found],
            submitted_id=submitted[index],
        )
    return [r for r in results if r is not None]


def _submit_pension(uow: UnitOfWork, *, caller: Institution, voucher: Voucher) -> str:
    """The first hop of a pension voucher: from SFP, INASTI or a pension payer to the pension
    cadastre, which forwards it through the hub. Returns the first hop's message id."""
    check_pension_submission(caller)
    decision = require(uow, caller=caller, action=Action.SEND, flow=PENSION_FLOW, niss=voucher.niss)
    _check_references(uow, voucher)
    hop = road.send(
        uow,
        flow=PENSION_FLOW,
        sender=caller,
        niss=voucher.niss,
        payload=voucher.payload(),
        to=[CADASTRE],
        decision=decision,
        event_date=voucher.period.begin,
        period=voucher.period_label,
    )
    return hop.id


def route_vouchers(
    uow: UnitOfWork,
    *,
    caller: Institution,
    vouchers: Sequence[Voucher],
    renderer: DocumentRenderer,
    encoded: Sequence[Encoded] | None = None,
) -> list[Routed]:
    """Route validated vouchers from ``caller``; the caller commits (a chunk of a batch). Pension
    vouchers from SFP, INASTI or a payer make their first hop to the cadastre, which emits them.
    ``encoded``: each voucher's payload already encoded (``messages.encode``), when at hand."""
    through_cadastre = [
        i for i, v in enumerate(vouchers) if v.kind is VoucherKind.PENSION and caller.id != CADASTRE
    ]
    results: dict[int, Routed] = {}
    hops: list[tuple[int, str]] = []
    for index in through_cadastre:
        try:
            hops.append((index, _submit_pension(uow, caller=caller, voucher=vouchers[index])))
        except CarrefourError as error:
            results[index] = error
    if hops:
        cadastre = uow.catalogue.institution(CADASTRE)
        forwarded = _route_direct(
            uow,
            sender=cadastre,
            vouchers=[vouchers[i] for i, _ in hops],
            renderer=renderer,
            submitted_ids=[hop for _, hop in hops],
            encoded=None if encoded is None else [encoded[i] for i, _ in hops],
        )
        results.update(zip([i for i, _ in hops], forwarded, strict=True))
    cadastre_bound = set(through_cadastre)
    own = [i for i in range(len(vouchers)) if i not in cadastre_bound]
    direct = _route_direct(
        uow,
        sender=caller,
        vouchers=[vouchers[i] for i in own] if cadastre_bound else vouchers,
        renderer=renderer,
        encoded=[encoded[i] for i in own] if encoded is not None and cadastre_bound else encoded,
    )
    results.update(zip(own, direct, strict=True))
    return [results[i] for i in range(len(vouchers))]


def route_voucher(
    uow: UnitOfWork, *, caller: Institution, voucher: Voucher, renderer: DocumentRenderer
) -> VoucherOutcome:
    """Route one validated voucher; the caller commits. Raises the error that refused it."""
    [result] = route_vouchers(uow, caller=caller, vouchers=[voucher], renderer=renderer)
    if isinstance(result, CarrefourError):
        raise result
    return result


def submit_voucher(
    uow: UnitOfWork,
    *,
    caller: Institution,
    data: Mapping[str, Any],
    renderer: DocumentRenderer,
) -> VoucherOutcome:
    """Validate and route one voucher, in one transaction."""
    voucher = parse_voucher(data, today=uow.clock.today())
    outcome = route_voucher(uow, caller=caller, voucher=voucher, renderer=renderer)
    uow.commit()
    return outcome


def document(uow: UnitOfWork, *, caller: Institution, document_id: str) -> Document:
    """A document the caller may read (its sender, INAMI, the mutuality of a proof)."""
    found = uow.documents.get(document_id)
    if found is None or caller.id not in found.readers:
        raise NotFound(f"no document {document_id} for {caller.id}", document_id=document_id)
    return found
