"""Insurability use cases (form L410): a CAS feeds its affiliates' quarters; a mutuality that
integrated the person for health-care insurability consults them through the hub."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carrefour.domain import insurability as rules
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import STATUS_CODES
from carrefour.domain.insurability import AnswerStatus, CasQuarter
from carrefour.domain.messages import visible_payload
from carrefour.domain.periods import Quarter, parse_quarter
from carrefour.services.consultations import require
from carrefour.services.directory import current_niss
from carrefour.services.unit_of_work import InsurabilityRecord, UnitOfWork

FLOW = "insurability"
NO_DATA = "MSG00100"


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
    status_code: str
    deliberation: str | None
    items: list[dict[str, Any]]


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
