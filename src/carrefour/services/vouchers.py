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
from datetime import date, datetime
from typing import Any

import msgspec

from carrefour.domain import flows
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError, InvalidInput, NotFound, UnknownInstitution
from carrefour.domain.identifiers import format_niss
from carrefour.domain.messages import DeliveryStatus
from carrefour.domain.periods import Period
from carrefour.domain.routing import Recipient
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
from carrefour.services.messages import Encoded, Outgoing, Staged, encode, publish_many
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


class VoucherOutcome(msgspec.Struct, frozen=True, gc=False):
    """What became of one voucher: routed to ``recipients``, or on paper with a document. A
    struct (see ``messages.Staged``): a batch makes one per voucher."""

    message_id: str
    niss: str
    kind: str
    period: str
    status: str
    recipients: list[str] = msgspec.field(default_factory=list)
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
    replacements and of the provisional proofs for all of them, the routing itself in the
    database (``road.route_staged``). Each voucher's outcome, or the error that refused it, in
    order. ``encoded``: each voucher's payload already encoded (a batch's duplicate check)."""
    submitted = list(submitted_ids) if submitted_ids is not None else [None] * len(vouchers)
    results: list[Routed | None] = [None] * len(vouchers)
    candidates: list[int] = []
    allowed: set[VoucherKind] = set()  # the kinds the sender may send (checked once a kind)
    for index, voucher in enumerate(vouchers):
        try:
            if voucher.kind not in allowed:
                check_sender(voucher, sender)
                allowed.add(voucher.kind)
            _check_references(uow, voucher)
        except CarrefourError as error:
            results[index] = error
            continue
        candidates.append(index)
    if candidates:
        niss = vouchers[candidates[0]].niss if len(vouchers) == 1 else None
        require(uow, caller=sender, action=Action.SEND, flow=VOUCHER_FLOW, niss=niss)
    replaced = uow.replacements.replacements_of(sorted({vouchers[i].niss for i in candidates}))
    today, now = uow.clock.today(), uow.clock.now()
    by_directory = [i for i in candidates if vouchers[i].niss not in replaced]
    staged: list[Staged] = []
    days_of: dict[Period, tuple[date, date]] = {}  # a chunk's vouchers share a few periods
    for index in by_directory:
        voucher = vouchers[index]
        days = days_of.get(voucher.period)
        if days is None:
            first, second = routing_days(voucher.period, today)
            days = days_of[voucher.period] = (first, second)
        staged.append(
            Staged(
                niss=voucher.niss,
                days=days,
                encoded=encode(voucher.payload()) if encoded is None else encoded[index],
                event_date=voucher.period.begin,
                period=voucher.period_label,
                in_reply_to=submitted[index],
            )
        )
    route = road.route_staged(uow, flow=VOUCHER_FLOW, sender=sender, staged=staged, at=now)
    sent: dict[int, tuple[str, list[str]]] = {
        by_directory[seq]: (route.ids[seq], found) for seq, found in route.recipients.items()
    }
    undecided = [by_directory[seq] for seq in route.undecided]
    sent.update(
        _route_one_by_one(
            uow, sender=sender, vouchers=vouchers, indexes=undecided, submitted=submitted,
            encoded=encoded, at=now,
        )
    )  # fmt: skip
    for index in candidates:
        if index in sent:
            continue
        voucher = vouchers[index]
        new = replaced.get(voucher.niss)
        reason = NOT_INTEGRATED
        if new is not None:
            reason = (REPLACED[0].format(new=new), REPLACED[1].format(new=new))
        paper = _store_paper(uow, renderer=renderer, sender=sender, voucher=voucher, reason=reason)
        results[index] = msgspec.structs.replace(paper, submitted_id=submitted[index])
    proofs = uow.inami.active_proofs_of(sorted({vouchers[i].niss for i in sent}))
    with_proofs = {proof.niss for proof in proofs}
    queued = DeliveryStatus.QUEUED.value
    for index in sorted(sent):
        message_id, found = sent[index]
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
            recipients=found,
            submitted_id=submitted[index],
        )
    return [r for r in results if r is not None]


def _route_one_by_one(
    uow: UnitOfWork,
    *,
    sender: Institution,
    vouchers: Sequence[Voucher],
    indexes: Sequence[int],
    submitted: Sequence[str | None],
    encoded: Sequence[Encoded] | None,
    at: datetime,
) -> dict[int, tuple[str, list[str]]]:
    """The vouchers (``indexes``) whose persons an institution integrated with several lines in
    force: their recipients decided by the domain (``domain.routing.recipients``) from the
    lines, and published; those with none are left out (they go on paper)."""
    if not indexes:
        return {}
    lines_of: dict[str, list[IntegrationLine]] = defaultdict(list)
    for line in uow.directory.lines_of_many(sorted({vouchers[i].niss for i in indexes})):
        lines_of[line.niss].append(line)
    today = uow.clock.today()
    routed: list[tuple[int, list[Recipient]]] = []
    for index in indexes:
        voucher = vouchers[index]
        found = road.directory_recipients(
            uow, VOUCHER_FLOW, lines_of[voucher.niss], routing_days(voucher.period, today),
            exclude={sender.id},
        )  # fmt: skip
        if found:
            routed.append((index, found))
    messages = [
        Outgoing(
            flow=VOUCHER_FLOW,
            sender=sender.id,
            niss=vouchers[index].niss,
            payload=vouchers[index].payload(),
            recipients=found,
            event_date=vouchers[index].period.begin,
            period=vouchers[index].period_label,
            in_reply_to=submitted[index],
            encoded=None if encoded is None else encoded[index],
        )
        for index, found in routed
    ]
    published = publish_many(uow, messages, at=at)
    return {
        index: (message_id, [r.institution for r in found])
        for (index, found), message_id in zip(routed, published, strict=True)
    }


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
