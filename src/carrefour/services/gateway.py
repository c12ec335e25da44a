"""The classic connector's use cases: register a client, recognise a caller, answer one SSDN
document, read the request journal.

An ``OCMWCPASManageAccess`` request turns into the person directory's own use cases
(``services.directory``: ``integrate``, ``cut_integration``, ``lines_of_caller``), so the same
rules hold as through the REST directory. Every call, refused or not, leaves a line in the
consultation log and a row in the request journal, keyed by its ticket; a Message Reference the
caller already used is answered with the first reply.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Protocol

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import Decision, ReasonCode
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import (
    CarrefourError,
    InvalidInput,
    NotAuthorised,
    NotFound,
    Unauthenticated,
)
from carrefour.domain.gateway import (
    MANAGE_ACCESS,
    MANAGE_ACCESS_VERSION,
    Detail,
    InvalidDocument,
    ManageAccess,
    ManageAccessAction,
    QueryRegister,
    Registration,
    Severity,
    SsdnReply,
    SsdnRequest,
    birth_date_contradiction,
    identity_mismatches,
)
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.periods import Period
from carrefour.services import directory
from carrefour.services.consultations import log_decision
from carrefour.services.directory import HUB_SECTOR
from carrefour.services.ids import new_id
from carrefour.services.unit_of_work import UnitOfWork

#: The flow of a call that never became a directory request (unreadable, wrong service...).
GATEWAY_FLOW: Final = "gateway"
#: [assumption] the phase of a line registered through the connector: 1 = active file.
REGISTER_PHASE: Final = 1
#: How long a request waits for a concurrent one with the same Reference to be answered.
IN_FLIGHT_WAIT: Final = 5.0
OFFERED: Final = frozenset({(MANAGE_ACCESS, MANAGE_ACCESS_VERSION)})


@dataclass(frozen=True, slots=True)
class GatewayClient:
    """How the connector recognises ``institution_id`` by address: ``kind`` ``address``,
    ``value`` a CIDR block. (A client certificate is in the API's mapping, ``uow.certificates``.)"""

    institution_id: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One row of the request journal."""

    ticket: str
    caller: str
    reference: str | None
    service_id: str | None
    version: str | None
    action: str | None
    niss: str | None
    return_code: int | None
    received_at: datetime
    answered_at: datetime | None
    request_xml: str
    reply_xml: str | None


class GatewayRepository(Protocol):
    def clients(self) -> list[GatewayClient]: ...

    def add_client(self, client: GatewayClient, at: datetime) -> bool:
        """Add ``client``; ``False`` when it was registered already."""
        ...

    def get(self, ticket: str) -> JournalEntry | None: ...

    def by_reference(self, caller: str, reference: str) -> JournalEntry | None: ...

    def add(self, entry: JournalEntry) -> bool:
        """Add ``entry``; ``False`` (nothing written) when its caller already used its
        reference, in a request committed meanwhile."""
        ...

    def answer(self, entry: JournalEntry) -> None:
        """Record the reply of the row ``entry.ticket`` (return code, reply XML, time)."""
        ...


class SsdnCodec(Protocol):
    """Reads an ``xmlString`` into an ``SsdnRequest`` (``InvalidDocument`` otherwise) and writes
    an ``SsdnReply`` as an ``SSDNReply`` document."""

    def parse_request(self, text: str) -> SsdnRequest: ...

    def render_reply(self, reply: SsdnReply) -> str: ...


# --- clients ----------------------------------------------------------------------------------


def certificate_fingerprint(pem: str) -> str:
    """SHA-256 (hex) of a PEM certificate's DER bytes; ``InvalidInput`` when it is no PEM."""
    try:
        der = ssl.PEM_cert_to_DER_cert(pem.strip())
    except ValueError as error:
        raise InvalidInput(f"not a PEM certificate: {error}") from None
    return hashlib.sha256(der).hexdigest()


def register_client(
    uow: UnitOfWork, *, institution: str, allow: Sequence[str]
) -> list[GatewayClient]:
    """Let ``institution`` call the connector from the ``allow`` CIDR blocks. Returns what was
    added. (A client certificate is the API's own mapping: ``services.certificates``.)"""
    known = uow.catalogue.institution(institution)
    wanted: list[GatewayClient] = []
    for block in allow:
        try:
            network = ipaddress.ip_network(block.strip(), strict=False)
        except ValueError:
            raise InvalidInput(f"{block!r} is not an IP address or CIDR block") from None
        wanted.append(GatewayClient(known.id, "address", str(network)))
    if not wanted:
        raise InvalidInput("give at least one --allow CIDR or a --certificate")
    now = uow.clock.now()
    added = [client for client in wanted if uow.gateway.add_client(client, now)]
    uow.commit()
    return added


def identify(uow: UnitOfWork, *, address: str | None, certificate_pem: str | None) -> Institution:
    """The institution calling: by its client certificate when it shows one registered (the
    API's mapping, ``carrefour institutions certificate``), else by the registered address block
    holding ``address`` (the most specific block wins)."""
    if certificate_pem:
        record = uow.certificates.get(certificate_fingerprint(certificate_pem))
        if record is not None and record.revoked_at is None:
            return uow.catalogue.institution(record.institution_id)
    if address:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            ip = None
        if ip is not None:
            matches = [
                (ipaddress.ip_network(c.value).prefixlen, c.institution_id)
                for c in uow.gateway.clients()
                if c.kind == "address" and ip in ipaddress.ip_network(c.value)
            ]
            if matches:
                return uow.catalogue.institution(max(matches)[1])
    raise Unauthenticated(
        f"no institution is registered for the connector with this client certificate or the "
        f"address {address}; register one with `carrefour institutions gateway ID --allow CIDR` "
        "or `--certificate FILE`"
    )


def record_fault(uow: UnitOfWork, *, caller: Institution, reason: str, detail: str) -> None:
    """The consultation-log line of a call refused before any SSDN document was read."""
    log_decision(
        uow,
        caller=caller,
        action=Action.SEND,
        flow=GATEWAY_FLOW,
        niss=None,
        decision=_refusal(f"{reason}: {detail}"),
    )
    uow.commit()


# --- one call ---------------------------------------------------------------------------------


def _stamp(at: datetime) -> str:
    """``yyyyMMddThhmmss`` in UTC. [assumption] the BCSS may stamp in Belgian local time."""
    return at.strftime("%Y%m%dT%H%M%S")


def _refusal(detail: str) -> Decision:
    return Decision(
        allowed=False,
        rule_id=None,
        reason_code=ReasonCode.INVALID_REQUEST,
        fields=frozenset(),
        detail=detail,
    )


def _error(reason: str, diagnostic: str, field: str | None = None) -> Detail:
    return Detail(Severity.ERROR, reason, diagnostic, field_name=field)


def _valid_niss(text: str) -> str | None:
    try:
        return parse_niss(text).value
    except InvalidInput:
        return None


def _checks(caller: Institution, request: SsdnRequest) -> tuple[list[Detail], list[Detail]]:
    """(envelope errors, service details) found before any use case runs."""
    errors = identity_mismatches(caller, request.user)
    if errors:
        return errors, []
    if (request.service_id, request.version) not in OFFERED:
        offered = ", ".join(f"{s} version {v}" for s, v in sorted(OFFERED))
        return [
            _error(
                "unknown-service",
                f"the hub offers no service {request.service_id!r} version {request.version!r}; "
                f"it offers {offered}",
                "ServiceId",
            )
        ], []
    ask = request.manage_access
    if ask is None:
        return [
            _error(
                "invalid-document",
                f"{MANAGE_ACCESS} expects a ManageAccessRequest, not {request.body_element!r}",
                request.body_element,
            )
        ], []
    found: list[Detail] = []
    try:
        parse_niss(ask.ssin)
    except InvalidInput as error:
        return [], [_error(error.code, error.detail, "SSIN")]
    if ask.action is not ManageAccessAction.LIST and ask.purpose is None:
        found.append(
            _error(
                "missing-purpose",
                f"{ask.action.value} needs a Purpose (a capacity code)",
                "Purpose",
            )
        )
    proof = ask.proof
    if not proof.given:
        found.append(
            _error(
                "missing-proof",
                "ProofOfAuthentication needs a SISCardNumber, an IdentityCardNumber or PersonData",
                "ProofOfAuthentication",
            )
        )
    if proof.birth_date is not None:
        contradiction = birth_date_contradiction(ask.ssin, proof.birth_date)
        if contradiction is not None:
            found.append(_error("birth-date-mismatch", contradiction, "BirthDate"))
    elif proof.given:
        # [assumption] card numbers cannot be checked against a card register here.
        found.append(
            Detail(
                Severity.WARNING,
                "proof-unverified",
                "the card number could not be checked against the card registers; "
                "the request was processed on the centre's word",
                field_name="ProofOfAuthentication",
            )
        )
    return [], found


def _registration(line: IntegrationLine, org_unit: str, register: QueryRegister) -> Registration:
    return Registration(
        purpose=int(line.capacity),
        begin=line.period.begin,
        end=line.period.end,
        org_unit=org_unit,
        register=register,
    )


def _matches(line: IntegrationLine, ask: ManageAccess, period: Period) -> bool:
    return line.period.overlaps(period) and (ask.capacity is None or line.capacity == ask.capacity)


def _manage_access(uow: UnitOfWork, caller: Institution, ask: ManageAccess) -> list[Registration]:
    """Run the request through the directory's use cases; the registrations to show."""
    niss = parse_niss(ask.ssin).value
    period = Period(ask.begin, ask.end)
    own = caller.enterprise_number
    primary = QueryRegister.PRIMARY
    if ask.action is ManageAccessAction.REGISTER:
        assert ask.capacity is not None  # noqa: S101 - checked by _checks
        command = directory.Integrate(
            niss=niss, capacity=ask.capacity, phase=REGISTER_PHASE, begin=ask.begin, end=ask.end
        )
        return [
            _registration(directory.integrate(uow, caller=caller, command=command), own, primary)
        ]
    if ask.action is ManageAccessAction.UNREGISTER:
        lines = [
            line
            for line in uow.directory.lines_of(niss)
            if line.institution == caller.id and _matches(line, ask, period)
        ]
        if not lines:
            raise NotFound(
                f"{caller.id} has no registration of {niss} with purpose {ask.purpose} "
                f"meeting {period}",
            )
        remains: list[IntegrationLine] = []
        for line in lines:
            remains += directory.cut_integration(
                uow, caller=caller, niss=niss, line_id=line.id, period=period
            )
        return [_registration(line, own, primary) for line in remains]
    wanted = ask.query_register or primary
    found: list[Registration] = []
    own_lines = directory.lines_of_caller(uow, caller=caller, niss=niss)
    if wanted in (primary, QueryRegister.ALL):
        found += [_registration(x, own, primary) for x in own_lines if _matches(x, ask, period)]
    if wanted in (QueryRegister.SECONDARY, QueryRegister.ALL):
        # The caller's sector: every centre's lines. [assumption] the sectoral register is the
        # hub's own directory restricted to the caller's sector.
        for line in uow.directory.lines_of(niss):
            holder = uow.catalogue.institutions.get(line.institution)
            if (
                holder is not None
                and holder.sector == caller.sector
                and _matches(line, ask, period)
            ):
                found.append(_registration(line, holder.enterprise_number, QueryRegister.SECONDARY))
    return found


def send_xml(uow: UnitOfWork, *, caller: Institution, xml: str, codec: SsdnCodec) -> str:
    """Answer one ``xmlString``: the ``SSDNReply`` document. Everything is journalled under a
    new ticket, except a request sent again, which gets its first reply back."""
    received = uow.clock.now()
    ticket = new_id()
    entry = JournalEntry(
        ticket=ticket,
        caller=caller.id,
        reference=None,
        service_id=None,
        version=None,
        action=None,
        niss=None,
        return_code=None,
        received_at=received,
        answered_at=None,
        request_xml=xml,
        reply_xml=None,
    )
    try:
        request = codec.parse_request(xml)
    except InvalidDocument as error:
        detail = _error(error.reason, error.detail, error.element)
        return _refuse(uow, caller, codec, entry, None, [detail], [])
    entry = replace(
        entry,
        reference=request.reference,
        service_id=request.service_id[:80],
        version=request.version,
    )
    if request.reference:
        first = uow.gateway.by_reference(caller.id, request.reference)
        uow.commit()
        if first is not None:
            return _first_reply(uow, codec, entry, request, _answer_awaited(uow, first))
    ask = request.manage_access
    if ask is not None:
        entry = replace(entry, action=ask.action.value, niss=_valid_niss(ask.ssin))
    errors, service_details = _checks(caller, request)
    if errors or any(d.severity is Severity.ERROR for d in service_details):
        return _refuse(uow, caller, codec, entry, request, errors, service_details)
    assert ask is not None  # noqa: S101 - _checks refuses a request without one
    if not uow.gateway.add(entry):  # commits with the use case's own work
        return _sent_meanwhile(uow, codec, entry, request)
    try:
        registrations = _manage_access(uow, caller, ask)
    except CarrefourError as error:
        uow.rollback()
        detail = _error(error.code, error.detail)
        logged = isinstance(error, NotAuthorised)  # ``require`` logged and committed it
        return _refuse(
            uow, caller, codec, entry, request, [], [*service_details, detail], logged=logged
        )
    reply = _reply(uow, entry, request, [], service_details, registrations)
    text = codec.render_reply(reply)
    uow.gateway.answer(_answered(entry, reply, text, uow.clock.now()))
    uow.commit()
    return text


def _first_reply(
    uow: UnitOfWork,
    codec: SsdnCodec,
    entry: JournalEntry,
    request: SsdnRequest,
    first: JournalEntry | None,
) -> str:
    """The answer to a Reference the caller already used: the first reply, or an error reply
    while the first request has none (still in flight, or never answered)."""
    if first is not None and first.reply_xml is not None:
        return first.reply_xml
    ticket = entry.ticket if first is None else first.ticket
    detail = _error(
        "request-incomplete",
        f"the request {request.reference!r} (ticket {ticket}) was received but is not "
        "answered; send it again later, or with a new Reference",
        "Reference",
    )
    return codec.render_reply(_reply(uow, replace(entry, ticket=ticket), request, [detail]))


def _sent_meanwhile(
    uow: UnitOfWork, codec: SsdnCodec, entry: JournalEntry, request: SsdnRequest
) -> str:
    """A request whose Reference a concurrent request of the same caller took first: nothing of
    this one is written; it gets the first one's reply."""
    uow.rollback()
    assert request.reference is not None  # noqa: S101 - only a reference can collide
    first = uow.gateway.by_reference(entry.caller, request.reference)
    uow.commit()
    return _first_reply(uow, codec, entry, request, _answer_awaited(uow, first))


def _answer_awaited(uow: UnitOfWork, first: JournalEntry | None) -> JournalEntry | None:
    """``first`` once answered, waiting up to ``IN_FLIGHT_WAIT`` seconds for a request still
    in flight (a concurrent call with the same Reference)."""
    deadline = time.monotonic() + IN_FLIGHT_WAIT
    while first is not None and first.reply_xml is None and time.monotonic() < deadline:
        time.sleep(0.05)
        first = uow.gateway.get(first.ticket)
        uow.commit()
    return first


def _reply(
    uow: UnitOfWork,
    entry: JournalEntry,
    request: SsdnRequest | None,
    details: Sequence[Detail],
    service_details: Sequence[Detail] = (),
    registrations: Sequence[Registration] = (),
) -> SsdnReply:
    return SsdnReply(
        ticket=entry.ticket,
        time_receive=_stamp(entry.received_at),
        time_response=_stamp(uow.clock.now()),
        details=tuple(details),
        request=request,
        registrations=tuple(registrations),
        service_details=tuple(service_details),
    )


def _answered(entry: JournalEntry, reply: SsdnReply, text: str, at: datetime) -> JournalEntry:
    return replace(entry, return_code=int(reply.return_code), reply_xml=text, answered_at=at)


def _refuse(
    uow: UnitOfWork,
    caller: Institution,
    codec: SsdnCodec,
    entry: JournalEntry,
    request: SsdnRequest | None,
    details: Sequence[Detail],
    service_details: Sequence[Detail],
    *,
    logged: bool = False,
) -> str:
    """Answer with errors: nothing but the journal row and the log line is written."""
    reply = _reply(uow, entry, request, details, service_details)
    text = codec.render_reply(reply)
    if not logged:
        first = next(d for d in [*details, *service_details] if d.severity is Severity.ERROR)
        ask = request.manage_access if request is not None else None
        log_decision(
            uow,
            caller=caller,
            action=Action.CONSULT
            if ask is not None and ask.action is ManageAccessAction.LIST
            else Action.SEND,
            flow=directory.FLOW if ask is not None else GATEWAY_FLOW,
            niss=entry.niss,
            decision=_refusal(f"{first.reason_code}: {first.diagnostic}"),
            reference=entry.ticket,
        )
    answered = _answered(entry, reply, text, uow.clock.now())
    if uow.gateway.get(entry.ticket) is None:
        if not uow.gateway.add(answered) and request is not None:
            uow.commit()  # the refusal's log line
            return _sent_meanwhile(uow, codec, entry, request)
    else:
        uow.gateway.answer(answered)
    uow.commit()
    return text


# --- the journal ------------------------------------------------------------------------------


def journal_entry(uow: UnitOfWork, *, caller: Institution, ticket: str) -> JournalEntry:
    """A row of the journal, for the institution that sent it (the hub sees every row)."""
    entry = uow.gateway.get(ticket)
    uow.commit()
    if entry is None or (entry.caller != caller.id and caller.sector != HUB_SECTOR):
        raise NotFound(f"{caller.id} sent no request with ticket {ticket}", ticket=ticket)
    return entry
