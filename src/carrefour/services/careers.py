"""RGTI use cases: the CAS and INASTI write careers; each write distributes the start and stop
messages it implies, in the same transaction; institutions consult careers (form L302)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from carrefour.domain import careers as rules
from carrefour.domain.careers import (
    Affiliation,
    AssimilationDecision,
    Career,
    CareerEvent,
    EndReason,
    WorkerCapacity,
)
from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import STATUS_CODES
from carrefour.domain.errors import InvalidInput, NotFound
from carrefour.domain.identifiers import parse_enterprise_number
from carrefour.domain.messages import Message, visible_payload
from carrefour.domain.periods import Period
from carrefour.services import road
from carrefour.services.consultations import require
from carrefour.services.directory import current_niss
from carrefour.services.ids import new_id
from carrefour.services.unit_of_work import UnitOfWork

INASTI = "inasti"
WRITE_FLOW = "rgti-affiliation"
ASSIMILATION_FLOW = "rgti-assimilation"
CONSULT_FLOW = "rgti-career"
INASTI_SECTOR, INASTI_TYPE = 15, 0
NO_DATA = "MSG00100"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write changed: the career after it and the messages it sent."""

    career: Career
    affiliation_id: str | None
    messages: list[Message] = field(default_factory=list)


def _is_inasti(caller: Institution) -> bool:
    return (caller.sector, caller.institution_type) == (INASTI_SECTOR, INASTI_TYPE)


def _acting_cas(caller: Institution, cas: str | None) -> str:
    """The CAS a write is made for: a CAS writes for itself; INASTI names the CAS."""
    if _is_inasti(caller):
        if cas is None:
            raise InvalidInput("INASTI must name the CAS ('cas') it records this for")
        return cas
    return caller.id


def _writer(caller: Institution, affiliation: Affiliation) -> str:
    """Whose data a change to ``affiliation`` is: INASTI writes for the affiliation's CAS; a CAS
    for itself (the domain refuses it when the affiliation is another CAS's)."""
    return affiliation.cas if _is_inasti(caller) else caller.id


def _load_by_affiliation(uow: UnitOfWork, affiliation_id: str) -> Career:
    niss = uow.careers.niss_of_affiliation(affiliation_id)
    if niss is None:
        raise NotFound(
            f"no affiliation {affiliation_id!r} in the RGTI", affiliation_id=affiliation_id
        )
    return uow.careers.load(niss)


def _category_on(career: Career, affiliation: Affiliation, day: date) -> str | None:
    found = None
    for change in career.categories_of(affiliation.id):
        if change.begin <= day:
            found = change.category
    return found


def event_payload(uow: UnitOfWork, career: Career, event: CareerEvent) -> dict[str, Any]:
    affiliation = career.affiliation(event.affiliation_id)
    cas = uow.catalogue.institution(affiliation.cas)
    return {
        "niss": career.niss,
        "cas": cas.id,
        "cas_network_number": cas.network_number,
        "cas_enterprise_number": cas.enterprise_number,
        "enterprise_number": affiliation.enterprise_number,
        "capacity": affiliation.capacity.value,
        "begin": affiliation.period.begin.isoformat(),
        "end": affiliation.period.end.isoformat() if affiliation.period.end else None,
        "end_reason": affiliation.end_reason.value if affiliation.end_reason else None,
        "contributor_category": _category_on(career, affiliation, event.day),
        "resumption": event.resumption,
        "affiliation_id": affiliation.id,
    }


def _distribute(uow: UnitOfWork, before: Career, after: Career) -> list[Message]:
    """Send every start and stop message the write implies to the institutions the deliberations
    allow, among those that integrated the person on the event date. Nothing is committed here."""
    events = rules.detect(before, after)
    if not events:
        return []
    inasti = uow.catalogue.institution(INASTI)
    lines = uow.directory.lines_of(after.niss)
    sent = []
    for event in events:
        flow = event.kind.value
        decision = require(
            uow, caller=inasti, action=Action.SEND, flow=flow, niss=after.niss, at=event.day
        )
        if not road.directory_recipients(uow, flow, lines, [event.day], exclude={INASTI}):
            continue
        sent.append(
            road.send(
                uow,
                flow=flow,
                sender=inasti,
                niss=after.niss,
                payload=event_payload(uow, after, event),
                lines=lines,
                days=[event.day],
                decision=decision,
                event_date=event.day,
            )
        )
    return sent


def _commit_write(
    uow: UnitOfWork,
    *,
    caller: Institution,
    before: Career,
    after: Career,
    action: str,
    detail: dict[str, Any],
    affiliation_id: str | None,
) -> WriteResult:
    uow.careers.save(after)
    uow.careers.log_change(
        after.niss, at=uow.clock.now(), by=caller.id, action=action, detail=detail
    )
    messages = _distribute(uow, before, after)
    uow.commit()
    return WriteResult(after, affiliation_id, messages)


@dataclass(frozen=True, slots=True)
class DeclareAffiliation:
    niss: str
    begin: date
    contributor_category: str
    capacity: WorkerCapacity = WorkerCapacity.SELF_EMPLOYED
    enterprise_number: str | None = None
    end: date | None = None
    cas: str | None = None


def declare_affiliation(
    uow: UnitOfWork, *, caller: Institution, command: DeclareAffiliation
) -> WriteResult:
    """A CAS declares an affiliation (a start, a resumption or a transfer in)."""
    require(uow, caller=caller, action=Action.SEND, flow=WRITE_FLOW, niss=None)
    niss = current_niss(uow, command.niss)
    cas = _acting_cas(caller, command.cas)
    uow.catalogue.institution(cas)
    enterprise = (
        parse_enterprise_number(command.enterprise_number) if command.enterprise_number else None
    )
    affiliation = Affiliation(
        id=new_id(),
        niss=niss,
        cas=cas,
        period=Period(command.begin, command.end),
        capacity=command.capacity,
        enterprise_number=enterprise,
    )
    before = uow.careers.load(niss)
    after = rules.declare_affiliation(
        before,
        affiliation,
        command.contributor_category,
        by_cas=cas,
        categories=uow.catalogue.contributor_categories,
    )
    return _commit_write(
        uow,
        caller=caller,
        before=before,
        after=after,
        action="declare-affiliation",
        detail={
            "affiliation_id": affiliation.id,
            "cas": cas,
            "period": str(affiliation.period),
            "category": command.contributor_category,
        },
        affiliation_id=affiliation.id,
    )


def _change_affiliation(
    uow: UnitOfWork,
    *,
    caller: Institution,
    affiliation_id: str,
    change: Callable[[Career, str], Career],
    action: str,
    detail: dict[str, Any],
) -> WriteResult:
    """The common path of a write to an existing affiliation: authorise, load the career, apply
    ``change(career, by_cas)``, store, distribute, commit."""
    require(uow, caller=caller, action=Action.SEND, flow=WRITE_FLOW, niss=None)
    before = _load_by_affiliation(uow, affiliation_id)
    after = change(before, _writer(caller, before.affiliation(affiliation_id)))
    return _commit_write(
        uow,
        caller=caller,
        before=before,
        after=after,
        action=action,
        detail={"affiliation_id": affiliation_id, **detail},
        affiliation_id=affiliation_id,
    )


def declare_end(
    uow: UnitOfWork,
    *,
    caller: Institution,
    affiliation_id: str,
    end: date,
    reason: EndReason,
) -> WriteResult:
    """The CAS declares the end (radiation) of an affiliation, with a reason."""
    return _change_affiliation(
        uow,
        caller=caller,
        affiliation_id=affiliation_id,
        change=lambda career, by_cas: rules.end_affiliation(
            career, affiliation_id, end, reason, by_cas=by_cas
        ),
        action="declare-end",
        detail={"end": end.isoformat(), "reason": reason.value},
    )


def change_category(
    uow: UnitOfWork,
    *,
    caller: Institution,
    affiliation_id: str,
    category: str,
    begin: date,
) -> WriteResult:
    """The CAS changes the contributor category of an affiliation from ``begin``."""
    return _change_affiliation(
        uow,
        caller=caller,
        affiliation_id=affiliation_id,
        change=lambda career, by_cas: rules.change_category(
            career,
            affiliation_id,
            category,
            begin,
            by_cas=by_cas,
            categories=uow.catalogue.contributor_categories,
        ),
        action="change-category",
        detail={"category": category, "from": begin.isoformat()},
    )


def correct_affiliation(
    uow: UnitOfWork,
    *,
    caller: Institution,
    affiliation_id: str,
    begin: date,
    end: date | None,
) -> WriteResult:
    """The CAS corrects a wrongly declared period (back-dated corrections included)."""
    return _change_affiliation(
        uow,
        caller=caller,
        affiliation_id=affiliation_id,
        change=lambda career, by_cas: rules.correct_affiliation(
            career, affiliation_id, begin=begin, end=end, by_cas=by_cas
        ),
        action="correct-affiliation",
        detail={"period": str(Period(begin, end))},
    )


@dataclass(frozen=True, slots=True)
class RecordAssimilation:
    niss: str
    code: int
    begin: date
    end: date | None
    granted: bool
    decided_on: date


def record_assimilation(
    uow: UnitOfWork, *, caller: Institution, command: RecordAssimilation
) -> WriteResult:
    """INASTI records its decision on an assimilated period (granted or refused)."""
    require(uow, caller=caller, action=Action.SEND, flow=ASSIMILATION_FLOW, niss=None)
    niss = current_niss(uow, command.niss)
    before = uow.careers.load(niss)
    decision = AssimilationDecision(
        id=new_id(),
        niss=niss,
        code=command.code,
        period=Period(command.begin, command.end),
        granted=command.granted,
        decided_on=command.decided_on,
    )
    after = rules.record_assimilation(before, decision, codes=uow.catalogue.assimilation_codes)
    return _commit_write(
        uow,
        caller=caller,
        before=before,
        after=after,
        action="record-assimilation",
        detail={"id": decision.id, "code": command.code, "granted": command.granted},
        affiliation_id=None,
    )


# --- consultation (L302) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CareerAnswer:
    """An L302 answer: the status code, an attestation id, and the granted fields per segment."""

    niss: str
    status_code: str
    attestation_id: str
    deliberation: str | None
    segments: list[dict[str, Any]]
    assimilated_periods: list[dict[str, Any]] | None


def _assimilation(decision: AssimilationDecision) -> dict[str, Any]:
    return {
        "code": decision.code,
        "begin": decision.period.begin.isoformat(),
        "end": decision.period.end.isoformat() if decision.period.end else None,
        "granted": decision.granted,
        "decided_on": decision.decided_on.isoformat(),
    }


def consult_career(
    uow: UnitOfWork,
    *,
    caller: Institution,
    niss: str,
    at: date | None = None,
    since: date | None = None,
    until: date | None = None,
) -> CareerAnswer:
    """The career of ``niss`` per segment, restricted to what the caller's deliberation grants:
    optionally the situation on ``at``, or the segments meeting ``since``..``until``."""
    niss = current_niss(uow, niss)
    attestation_id = f"L302-{new_id()}"
    decision = require(
        uow,
        caller=caller,
        action=Action.CONSULT,
        flow=CONSULT_FLOW,
        niss=niss,
        lines=uow.directory.lines_of(niss),
        reference=attestation_id,
    )
    career = uow.careers.load(niss)
    window: Period | None = None
    if at is not None:
        window = Period(at, at)
    elif since is not None or until is not None:
        window = Period(since or date.min, until)
    items = []
    for segment in rules.segments(career):
        if window is not None and not segment.period.overlaps(window):
            continue
        cas = uow.catalogue.institution(segment.cas)
        full = {
            "niss": niss,
            "enterprise_number": segment.enterprise_number,
            "cas_network_number": cas.network_number,
            "cas_enterprise_number": cas.enterprise_number,
            "segment": segment.number,
            "begin": segment.period.begin.isoformat(),
            "end": segment.period.end.isoformat() if segment.period.end else None,
            "contributor_category": segment.category,
            "assimilated_periods": [
                _assimilation(a) for a in career.assimilations if a.period.overlaps(segment.period)
            ],
        }
        items.append(visible_payload(full, decision.fields))
    uow.commit()
    granted = visible_payload(
        {"assimilated_periods": [_assimilation(a) for a in career.assimilations]}, decision.fields
    )
    status = STATUS_CODES[None] if items or career.assimilations else NO_DATA
    return CareerAnswer(
        niss,
        status,
        attestation_id,
        decision.rule_id,
        items,
        granted.get("assimilated_periods"),
    )
