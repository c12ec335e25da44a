"""Insurability use cases (form L410): a mutuality that integrated the person for health-care
insurability consults, through the network, the CAS the RGTI names for the quarter.

``consult`` decides where the answer comes from: no CAS for the quarter, a definitive negative
answer at once; a CAS that chose it in the catalogue (``insurability_feeds``), the data it fed the
hub (``feed``); any other CAS, an ``insurability-request`` message to that CAS (``forward`` then
offers it to the CAS's push endpoint synchronously, within a timeout; otherwise it waits in the
CAS's mailbox), which the CAS answers with ``answer``: an ``insurability-answer`` message to the
mutuality. Both messages are tracked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Final, Protocol

from carrefour.domain import insurability as rules
from carrefour.domain.catalogue import ALL_FIELDS, Action, Institution
from carrefour.domain.deliberations import STATUS_CODES
from carrefour.domain.errors import CarrefourError, Conflict, NotAddressee, NotAuthorised, NotFound
from carrefour.domain.insurability import AnswerStatus, CasQuarter
from carrefour.domain.messages import visible_payload
from carrefour.domain.periods import Quarter, parse_quarter
from carrefour.services import road
from carrefour.services.consultations import require
from carrefour.services.directory import current_niss
from carrefour.services.ids import new_id
from carrefour.services.mailboxes import envelope
from carrefour.services.unit_of_work import (
    InsurabilityRecord,
    InsurabilityRequest,
    UnitOfWork,
)

FLOW = "insurability"
REQUEST_FLOW: Final = "insurability-request"
ANSWER_FLOW: Final = "insurability-answer"
NO_DATA = "MSG00100"
# Request states.
FORWARDED: Final = "forwarded"
ANSWERED: Final = "answered"


def feed(
    uow: UnitOfWork,
    *,
    caller: Institution,
    niss: str,
    quarter: str,
    contributor_category: str,
    contributions: str,
    closed: bool = False,
) -> InsurabilityRecord:
    """The calling CAS records (or replaces) what it says of one affiliate's quarter.

    Refused when: the caller may not send the flow (``NotAuthorised``); the NISS is invalid or
    replaced; the quarter is malformed or has not begun (``InvalidPeriod``); the category or the
    contributions value is unknown (``InvalidCode``); the person is not the caller's affiliate
    during the quarter (``NotAuthorised``). A later feed of the same quarter replaces the earlier
    one, ``closed`` included (a CAS answers for what it sends, corrections too).
    """
    niss = current_niss(uow, niss)
    require(uow, caller=caller, action=Action.SEND, flow=FLOW, niss=niss)
    period = parse_quarter(quarter)
    rules.check_category(contributor_category, uow.catalogue.contributor_categories)
    value = rules.parse_contributions(contributions)
    career = uow.careers.load(niss)
    rules.check_feed(career, caller.id, period, today=uow.clock.today())
    if caller.id not in uow.catalogue.insurability_feeds:
        raise NotAuthorised(
            f"{caller.id} answers L410 consultations itself, through the network: the hub keeps "
            "no copy of its data (a CAS chooses the feed in the catalogue, insurability_feeds)",
            reason_code="not-authorised",
            status_code="MSG00013",
            cas=caller.id,
        )
    record = InsurabilityRecord(
        niss=niss,
        quarter=str(period),
        cas=caller.id,
        contributor_category=contributor_category,
        contributions=value.value,
        closed=closed,
        updated_at=uow.clock.now(),
    )
    uow.insurability.put(record)
    uow.commit()
    return record


@dataclass(frozen=True, slots=True)
class InsurabilityAnswer:
    """An L410 answer: the person's quarter as each CAS that fed it says it.

    ``status_code`` is ``MSG00000`` when some CAS fed the quarter, ``MSG00100`` (and no ``items``)
    otherwise; ``status`` is ``definitive`` or ``intermediate`` (``rules.overall_status``). Each
    item holds the fields of ``payload`` the caller's deliberation grants.
    """

    niss: str
    quarter: Quarter
    status: AnswerStatus
    status_code: str | None  # ``None`` while the CAS has not answered
    deliberation: str | None
    items: list[dict[str, Any]]
    request: InsurabilityRequest | None = None  # set when the consultation went to the CAS
    fields: frozenset[str] = frozenset()  # what the caller's deliberation lets it see


def payload(part: CasQuarter) -> dict[str, Any]:
    """One CAS's part of an answer, as the consultation returns it (before field filtering)."""
    return {
        "cas": part.cas,
        "cas_network_number": part.cas_network_number,
        "cas_enterprise_number": part.cas_enterprise_number,
        "quarter": str(part.quarter),
        "affiliated": part.affiliated,
        "contributor_category": part.contributor_category,
        "contributions": part.contributions.value,
        "closed": part.closed,
        "status": part.status.value,
    }


def consult(
    uow: UnitOfWork, *, caller: Institution, niss: str, quarter: str | None = None
) -> InsurabilityAnswer:
    """What the CAS say of ``quarter`` (default: the current quarter) of ``niss``.

    The deliberation requires the caller to have integrated the person (capacity 001); every
    decision, allowed or refused, is logged. Commits once (the log line).
    """
    period = parse_quarter(quarter) if quarter is not None else Quarter.of(uow.clock.today())
    niss = current_niss(uow, niss)
    decision = require(
        uow,
        caller=caller,
        action=Action.CONSULT,
        flow=FLOW,
        niss=niss,
        lines=uow.directory.lines_of(niss),
        reference=str(period),
    )
    career = uow.careers.load(niss)
    today = uow.clock.today()
    cas_id = rules.cas_of_quarter(career, period)
    if cas_id is None:
        # Affiliated with no CAS that quarter: definitive and negative, at once.
        uow.commit()
        return InsurabilityAnswer(
            niss=niss,
            quarter=period,
            status=AnswerStatus.DEFINITIVE,
            status_code=NO_DATA,
            deliberation=decision.rule_id,
            items=[],
        )
    if cas_id not in uow.catalogue.insurability_feeds:
        request = _send_request(uow, caller=caller, niss=niss, quarter=period, cas=cas_id)
        uow.commit()
        return _answer_of(request, deliberation=decision.rule_id, fields=decision.fields)
    parts: list[CasQuarter] = []
    for record in uow.insurability.of(niss, quarter=str(period)):
        cas = uow.catalogue.institution(record.cas)
        parts.append(
            CasQuarter(
                cas=cas.id,
                cas_network_number=cas.network_number,
                cas_enterprise_number=cas.enterprise_number,
                quarter=period,
                affiliated=rules.affiliated_in(career, cas.id, period),
                contributor_category=record.contributor_category,
                contributions=rules.parse_contributions(record.contributions),
                closed=record.closed,
                status=rules.answer_status(period, today, record.closed),
            )
        )
    uow.commit()
    return InsurabilityAnswer(
        niss=niss,
        quarter=period,
        status=rules.overall_status(parts),
        status_code=STATUS_CODES[None] if parts else NO_DATA,
        deliberation=decision.rule_id,
        items=[visible_payload(payload(part), decision.fields) for part in parts],
    )


# --- through the network ------------------------------------------------------------------------


class NetworkSender(Protocol):
    """Offers a request to an institution's push endpoint and returns the answer it gives in the
    same exchange (the port behind which HTTP lives)."""

    def exchange(self, url: str, body: Mapping[str, Any], *, message_id: str) -> Exchange: ...


@dataclass(frozen=True, slots=True)
class Exchange:
    """What the endpoint answered: a JSON object (``answer``), or why there is none."""

    answer: Mapping[str, Any] | None
    delivered: bool = False  # the endpoint took the request in (a 2xx)
    error: str | None = None


def _send_request(
    uow: UnitOfWork, *, caller: Institution, niss: str, quarter: Quarter, cas: str
) -> InsurabilityRequest:
    now = uow.clock.now()
    request_id = new_id()
    message = road.send(
        uow,
        flow=REQUEST_FLOW,
        sender=caller,
        niss=niss,
        payload={"request_id": request_id, "niss": niss, "quarter": str(quarter)},
        to=[cas],
        event_date=quarter.first_day,
        period=str(quarter),
    )
    request = InsurabilityRequest(
        id=request_id,
        niss=niss,
        quarter=str(quarter),
        mutuality=caller.id,
        cas=cas,
        state=FORWARDED,
        request_message_id=message.id,
        created_at=now,
    )
    uow.insurability_requests.add(request)
    return request


def answer_of(
    request: InsurabilityRequest, consulted: InsurabilityAnswer | None
) -> InsurabilityAnswer:
    """The answer of ``request`` as it stands now, under the deliberation of the consultation
    that sent it (``consulted``; ``None``: every field)."""
    if consulted is None:
        return _answer_of(request, deliberation=None, fields=frozenset({ALL_FIELDS}))
    return _answer_of(request, deliberation=consulted.deliberation, fields=consulted.fields)


def _answer_of(
    request: InsurabilityRequest, *, deliberation: str | None, fields: frozenset[str]
) -> InsurabilityAnswer:
    """The consultation's answer as the request stands: pending, or the CAS's answer."""
    quarter = parse_quarter(request.quarter)
    if request.answer is None:
        return InsurabilityAnswer(
            niss=request.niss,
            quarter=quarter,
            status=AnswerStatus.PENDING,
            status_code=None,
            deliberation=deliberation,
            items=[],
            request=request,
            fields=fields,
        )
    return InsurabilityAnswer(
        niss=request.niss,
        quarter=quarter,
        status=AnswerStatus(request.answer["status"]),
        status_code=STATUS_CODES[None],
        deliberation=deliberation,
        items=[visible_payload(request.answer, fields)],
        request=request,
        fields=fields,
    )


def forward(
    uow_factory: Callable[[], UnitOfWork],
    *,
    sender: NetworkSender,
    request: InsurabilityRequest,
    timeout: timedelta,
) -> InsurabilityRequest:
    """Offer a forwarded request to its CAS's push endpoint and take the answer it gives in the
    same exchange. With no endpoint, no answer within the timeout, or an answer the hub refuses,
    the request stays in the CAS's mailbox (the delivery worker pushes it once the lease ends)
    and ``last_error`` says why; the CAS then answers with ``answer``. No transaction is open
    while waiting on the network."""
    with uow_factory() as uow:
        url = uow.catalogue_store.push_endpoint(request.cas)
        row = uow.mailbox.get(request.cas, request.request_message_id)
        message = uow.messages.get(request.request_message_id)
        if url is None or row is None or row.position is None or message is None:
            return request
        # The worker leaves the row alone while the hub waits for the endpoint.
        uow.mailbox.lease(row.position, uow.clock.now() + timeout + timedelta(seconds=30))
        uow.commit()
        body = envelope(row, message)
    exchange = sender.exchange(url, body, message_id=message.id)
    error = exchange.error
    if exchange.answer is not None:
        try:
            with uow_factory() as uow:
                cas = uow.catalogue.institution(request.cas)
                answered = answer(
                    uow,
                    caller=cas,
                    request_id=request.id,
                    contributor_category=str(exchange.answer.get("contributor_category", "")),
                    contributions=str(exchange.answer.get("contributions", "")),
                    closed=exchange.answer.get("closed") is True,
                    delivered=row.position,
                )
            return answered
        except CarrefourError as refused:
            error = f"{refused.code}: {refused.detail}"
    with uow_factory() as uow:
        current = uow.insurability_requests.get(request.id) or request
        if current.state == FORWARDED:
            if exchange.delivered:
                uow.mailbox.mark_delivered([row.position], uow.clock.now())
            current = replace(current, last_error=error or "no answer in the exchange")
            uow.insurability_requests.update(current)
            uow.commit()
    return current


def answer(
    uow: UnitOfWork,
    *,
    caller: Institution,
    request_id: str,
    contributor_category: str,
    contributions: str,
    closed: bool = False,
    delivered: int | None = None,
) -> InsurabilityRequest:
    """The CAS answers a forwarded consultation: definitive once the quarter is over and it closed
    it (contributions in order or not), intermediate otherwise; an ``insurability-answer`` message
    reaches the mutuality. Refused, with nothing written: from a CAS for which the person is not
    an affiliate that quarter (``not-affiliate``), from a CAS the request was not sent to
    (``not-addressee``), a second answer (409), an unknown category or contributions value."""
    found = uow.insurability_requests.get(request_id)
    if found is None:
        raise NotFound(f"no insurability request {request_id}", request_id=request_id)
    decision = require(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=ANSWER_FLOW,
        niss=found.niss,
        reference=request_id,
    )
    quarter = parse_quarter(found.quarter)
    rules.check_answer(uow.careers.load(found.niss), caller.id, quarter)
    if caller.id != found.cas:
        raise NotAddressee(
            f"insurability request {request_id} was sent to {found.cas}, not to {caller.id}",
            request_id=request_id,
            addressee=found.cas,
        )
    if found.state == ANSWERED:
        raise Conflict(
            f"insurability request {request_id} was already answered",
            reason="already-answered",
            request_id=request_id,
        )
    rules.check_category(contributor_category, uow.catalogue.contributor_categories)
    value = rules.parse_contributions(contributions)
    now = uow.clock.now()
    part = CasQuarter(
        cas=caller.id,
        cas_network_number=caller.network_number,
        cas_enterprise_number=caller.enterprise_number,
        quarter=quarter,
        affiliated=True,
        contributor_category=contributor_category,
        contributions=value,
        closed=closed,
        status=rules.answer_status(quarter, now.date(), closed),
    )
    message = road.send(
        uow,
        flow=ANSWER_FLOW,
        sender=caller,
        niss=found.niss,
        payload={
            "request_id": found.id,
            "niss": found.niss,
            "quarter": str(quarter),
            "status": part.status.value,
            "status_code": STATUS_CODES[None],
            "items": [payload(part)],
        },
        to=[found.mutuality],
        decision=decision,
        event_date=quarter.first_day,
        period=str(quarter),
        in_reply_to=found.request_message_id,
    )
    if delivered is not None:
        uow.mailbox.mark_delivered([delivered], now)
    answered = replace(
        found,
        state=ANSWERED,
        answer=payload(part),
        answer_message_id=message.id,
        answered_at=now,
        last_error=None,
    )
    uow.insurability_requests.update(answered)
    uow.commit()
    return answered


def request_status(uow: UnitOfWork, *, caller: Institution, request_id: str) -> InsurabilityAnswer:
    """A forwarded consultation as it stands, for the mutuality that asked and the CAS asked."""
    found = uow.insurability_requests.get(request_id)
    uow.commit()
    if found is None or caller.id not in (found.mutuality, found.cas):
        raise NotFound(
            f"no insurability request {request_id} for {caller.id}", request_id=request_id
        )
    return _answer_of(found, deliberation=None, fields=frozenset({ALL_FIELDS}))
