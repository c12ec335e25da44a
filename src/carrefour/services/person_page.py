"""What the console shows about one person, for the reader's role, through the same use cases
as the API: directory lines (with their history for the hub), the RGTI career, the vouchers by
period with their delivery state and paper document, every message with its per-recipient state,
and who consulted the person.

- The hub's operators (sector 25) see everything: their reads go through ``operations`` and are
  logged as the hub's consultation of the person.
- An institution's agent sees what the deliberations let the institution see: the tracking
  consultation (which refuses, and logs the refusal, when the institution has not integrated the
  person), its own directory lines, and the career if its deliberation grants it. Each of those
  reads writes its line in the consultation log, as the API's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from carrefour.domain import careers as career_rules
from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import CarrefourError, NotAuthorised, NotFound
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import TrackingEntry, is_purged
from carrefour.domain.vouchers import parse_voucher
from carrefour.services import careers, directory, operations, tracking, vouchers
from carrefour.services.directory import HUB_SECTOR
from carrefour.services.unit_of_work import ConsultationEntry, Document, UnitOfWork

VOUCHER_FLOWS = ("contribution-voucher",)
START_STOP_FLOWS = ("self-employed-start", "self-employed-stop")
PAPER_FLOW = "paper-voucher"
PAPER_DOCUMENT = "paper-voucher"  # the kind of a paper voucher's document


@dataclass(frozen=True, slots=True)
class Line:
    """A directory line as the page shows it (``change`` and ``cancelled`` for the hub only)."""

    id: str
    institution: str
    capacity: str
    phase: int
    begin: date
    end: date | None
    change: str = ""
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Bar:
    """One stretch of the career timeline."""

    kind: str  # "segment" or "assimilation"
    begin: date
    end: date | None
    label: str
    category: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    recipient: str
    status: str


@dataclass
class MessageLine:
    message_id: str
    flow: str
    emitter: str
    sent: str
    event_date: date | None
    deliveries: list[Delivery] = field(default_factory=list)
    document_id: str | None = None
    period: str | None = None

    @property
    def paper(self) -> bool:
        return any(d.status == "paper" for d in self.deliveries)


@dataclass(frozen=True, slots=True)
class PersonPage:
    niss: str
    lines: tuple[Line, ...]
    bars: tuple[Bar, ...]
    """``None`` career: the reader's deliberations do not grant the career."""
    career_granted: bool
    messages: tuple[MessageLine, ...]
    consultations: tuple[ConsultationEntry, ...]

    @property
    def vouchers(self) -> tuple[MessageLine, ...]:
        return tuple(m for m in self.messages if m.flow in VOUCHER_FLOWS)

    @property
    def starts_and_stops(self) -> tuple[MessageLine, ...]:
        return tuple(m for m in self.messages if m.flow in START_STOP_FLOWS)


def _messages(
    uow: UnitOfWork, entries: list[tuple[TrackingEntry, str | None]]
) -> list[MessageLine]:
    by_id: dict[str, MessageLine] = {}
    for entry, status in entries:
        line = by_id.get(entry.message_id)
        if line is None:
            line = by_id[entry.message_id] = MessageLine(
                entry.message_id, entry.flow, entry.emitter, entry.sent_at.isoformat(),
                entry.event_date,
            )  # fmt: skip
        line.deliveries.append(Delivery(entry.recipient, status or entry.status))
    for line in by_id.values():
        message = uow.messages.get(line.message_id)
        line.period = message.period if message else None
    papers = [m for m in by_id.values() if m.paper]
    if papers:
        niss = uow.messages.get(papers[0].message_id)
        replies = uow.messages.of_niss(niss.niss) if niss else []
        for line in papers:
            for reply in replies:
                if reply.flow == PAPER_FLOW and reply.in_reply_to == line.message_id:
                    line.document_id = str(reply.payload.get("document_id") or "") or None
    return sorted(by_id.values(), key=lambda m: m.sent, reverse=True)


def _bars_of_segments(
    segments: list[dict[str, object]], assimilations: list[dict[str, object]]
) -> list[Bar]:
    bars = []
    for s in segments:
        begin = date.fromisoformat(str(s["begin"])) if s.get("begin") else None
        if begin is None:
            continue
        end = date.fromisoformat(str(s["end"])) if s.get("end") else None
        bars.append(Bar("segment", begin, end, str(s.get("cas_enterprise_number") or ""),
                        str(s.get("contributor_category") or "")))  # fmt: skip
    for a in assimilations:
        end = date.fromisoformat(str(a["end"])) if a.get("end") else None
        bars.append(Bar("assimilation", date.fromisoformat(str(a["begin"])), end, str(a["code"])))
    return bars


def for_hub(uow: UnitOfWork, *, caller: Institution, niss: str) -> PersonPage:
    """Everything about a person, for the hub's operators; logged as the hub's reads."""
    person = parse_niss(niss).value
    found = operations.transactions(uow, by=caller.id, niss=person, limit=1000)
    history = directory.history(uow, niss=person)
    lines = [
        Line(
            h.line.id,
            h.line.institution,
            h.line.capacity,
            h.line.phase,
            h.line.period.begin,
            h.line.period.end,
            h.change,
            h.cancelled_at is not None,
        )
        for h in history
    ]
    career = uow.careers.load(person)
    bars = [
        Bar("segment", s.period.begin, s.period.end, s.cas, s.category)
        for s in career_rules.segments(career)
    ] + [
        Bar("assimilation", a.period.begin, a.period.end, str(a.code)) for a in career.assimilations
    ]
    messages = _messages(uow, [(t.entry, t.status) for t in found.items])
    seen = operations.consultations(uow, niss=person, limit=200)
    return PersonPage(person, tuple(lines), tuple(bars), True, tuple(messages), tuple(seen))


def for_institution(uow: UnitOfWork, *, caller: Institution, niss: str) -> PersonPage:
    """What ``caller``'s deliberations let it see about a person, read by the API's use cases.
    ``NotAuthorised`` (logged) when the institution has not integrated the person."""
    tracked = tracking.consult(uow, caller=caller, niss=niss)
    person = parse_niss(niss).value
    own = directory.lines_of_caller(uow, caller=caller, niss=person)
    lines = [
        Line(x.id, x.institution, x.capacity, x.phase, x.period.begin, x.period.end) for x in own
    ]
    try:
        answer = careers.consult_career(uow, caller=caller, niss=person)
        bars = _bars_of_segments(answer.segments, answer.assimilated_periods or [])
        granted = True
    except NotAuthorised:
        bars, granted = [], False
    messages = _messages(uow, [(t.entry, t.delivery_status) for t in tracked])
    seen = list(operations.consultations(uow, niss=person, caller=caller.id, limit=200))
    return PersonPage(person, tuple(lines), tuple(bars), granted, tuple(messages), tuple(seen))


def person_page(uow: UnitOfWork, *, caller: Institution, niss: str) -> PersonPage:
    if caller.sector == HUB_SECTOR:
        return for_hub(uow, caller=caller, niss=niss)
    return for_institution(uow, caller=caller, niss=niss)


def paper_voucher_hander(uow: UnitOfWork, document: Document) -> str | None:
    """Who hands the paper voucher ``document`` to the person (``vouchers.paper_hander``), from
    the voucher message it was made for; ``None`` for another kind of document, or when that
    message is gone, emptied by retention or no longer reads as a voucher."""
    if document.kind != PAPER_DOCUMENT or document.message_id is None:
        return None
    message = uow.messages.get(document.message_id)
    if message is None or is_purged(message.payload):
        return None
    sender = uow.catalogue.institutions.get(message.sender)
    if sender is None:
        return None
    try:
        voucher = parse_voucher(message.payload, today=document.created_at.date())
    except CarrefourError:
        return None
    return vouchers.paper_hander(voucher, sender)


def readers_of(uow: UnitOfWork, document: Document) -> tuple[str, ...]:
    """The institutions that may read ``document``: those stored with it and, for a paper
    voucher, the institution that hands it over, which documents made before it was recorded
    among the readers lack."""
    hander = paper_voucher_hander(uow, document)
    if hander is None or hander in document.readers:
        return document.readers
    return (*document.readers, hander)


def document(uow: UnitOfWork, *, caller: Institution, document_id: str) -> Document:
    """A document: the hub reads any; another institution those it is a reader of
    (``readers_of``); anyone else gets ``NotFound``, as if it did not exist."""
    found = uow.documents.get(document_id)
    if caller.sector == HUB_SECTOR:
        if found is None:
            raise NotFound(f"no document {document_id}", document_id=document_id)
        return found
    if found is not None and (caller.id in found.readers or caller.id in readers_of(uow, found)):
        return found
    # refused, in the words the voucher service has always used
    return vouchers.document(uow, caller=caller, document_id=document_id)
