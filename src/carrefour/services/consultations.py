"""The consultation log: authorisation of a request with its line, allowed or refused; the
line of every API request about a person or an object by id; the log's hash chain; and the
consultation of the log itself ("who consulted or received what about this person").

A line is never written in the use case's fate: the unit of work writes the lines appended to it
with the use case's commit, or, if the use case commits nothing more (it was refused, failed or
rolled back), in a transaction of its own before it closes. Each line carries the hash of the
line before it, so a deleted or edited line is reported by ``carrefour verify``.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Final, Protocol

from carrefour.domain.catalogue import Action, DeliberationRule, Institution
from carrefour.domain.deliberations import Decision, authorise
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import GENESIS_HASH, ChainBreak
from carrefour.services.messages import canonical_bytes
from carrefour.services.unit_of_work import Clock, ConsultationEntry, UnitOfWork

#: The flow of the consultation of the log itself (a rule of the catalogue names who may).
FLOW = "consultations"
#: What ``verify`` names as the chain's "emitter" when the consultation log is broken.
CHAIN_NAME = "consultation-log"


class _Appends(Protocol):
    def append(self, entry: ConsultationEntry, /) -> None: ...


class DecisionLog(Protocol):
    """Where ``log_decision`` writes: a unit of work, or a request's deferred lines."""

    @property
    def clock(self) -> Clock: ...

    @property
    def consultations(self) -> _Appends: ...


def log_decision(
    uow: DecisionLog,
    *,
    caller: Institution,
    action: Action,
    flow: str,
    niss: str | None,
    decision: Decision,
    reference: str | None = None,
    object_id: str | None = None,
) -> None:
    uow.consultations.append(
        ConsultationEntry(
            at=uow.clock.now(),
            caller=caller.id,
            action=action.value,
            flow=flow,
            niss=niss,
            rule_id=decision.rule_id,
            allowed=decision.allowed,
            reason_code=decision.reason_code.value if decision.reason_code else None,
            status_code=decision.status_code,
            detail=decision.detail + (f" [{reference}]" if reference else ""),
            object_id=object_id,
        )
    )
    _noted(niss, decision)


@dataclass(frozen=True, slots=True)
class _RequestLines:
    """The current API request's deferred lines, as a ``DecisionLog``."""

    clock: Clock

    @property
    def consultations(self) -> _Appends:
        return self

    def append(self, entry: ConsultationEntry, /) -> None:
        defer_lines([entry])


def _noted(niss: str | None, decision: Decision) -> None:
    """Tell the current API request (if any) that a use case logged a decision."""
    trace = _TRACE.get()
    if trace is not None:
        trace.lines += 1
        trace.refused = trace.refused or not decision.allowed
        trace.niss = niss or trace.niss


def consult_in_request(
    *, caller: Institution, flow: str, niss: str, rules: Sequence[DeliberationRule], clock: Clock
) -> bool:
    """Authorise a consultation (no integration lines needed) for the current API request
    without a unit of work: when allowed, its line goes to the request, which commits it
    (grouped with other requests' lines) before it answers, and True is returned. False when
    refused, or outside an API request: nothing is logged, and the caller takes the way of a
    use case (``require``), which logs the refusal and raises it."""
    if _TRACE.get() is None:
        return False
    decision = _consultation_decision(caller, flow, clock.today(), rules)
    if not decision.allowed:
        return False
    log_decision(
        _RequestLines(clock),
        caller=caller,
        action=Action.CONSULT,
        flow=flow,
        niss=niss,
        decision=decision,
    )
    return True


#: ``authorise``'s answers to the consultations that need no integration line, by rule set,
#: caller, flow and day: they depend on nothing else (the rules and institutions are frozen).
_DECISIONS: dict[
    tuple[int, str, str, date], tuple[Sequence[DeliberationRule], Institution, Decision]
] = {}


def _consultation_decision(
    caller: Institution, flow: str, day: date, rules: Sequence[DeliberationRule]
) -> Decision:
    key = (id(rules), caller.id, flow, day)
    known = _DECISIONS.get(key)
    if known is not None and known[0] is rules and (known[1] is caller or known[1] == caller):
        return known[2]
    decision = authorise(caller, Action.CONSULT, flow, (), day, rules=rules)
    if len(_DECISIONS) > 10_000:
        _DECISIONS.clear()
    _DECISIONS[key] = (rules, caller, decision)
    return decision


def require(
    uow: UnitOfWork,
    *,
    caller: Institution,
    action: Action,
    flow: str,
    niss: str | None,
    lines: Iterable[IntegrationLine] = (),
    at: date | None = None,
    reference: str | None = None,
    object_id: str | None = None,
) -> Decision:
    """Decide by the deliberations and log the decision; a refusal raises ``NotAuthorised``.

    The line is written whatever the use case does next (see the module's docstring)."""
    decision = authorise(
        caller, action, flow, lines, at or uow.clock.today(), rules=uow.catalogue.rules
    )
    log_decision(
        uow,
        caller=caller,
        action=action,
        flow=flow,
        niss=niss,
        decision=decision,
        reference=reference,
        object_id=object_id,
    )
    if not decision.allowed:
        uow.commit()
        raise decision.as_error()
    return decision


# --- the line of an API request ------------------------------------------------------------------


@dataclass(slots=True)
class RequestTrace:
    """What the use cases logged during one API request, and the error that ended it."""

    lines: int = 0
    refused: bool = False
    #: The NISS the use cases' lines named (a request may carry it in its body).
    niss: str | None = None
    error: CarrefourError | None = None
    #: The lines of the request's read-only units of work, which the API edge commits (grouped
    #: with other requests' lines) before it answers.
    deferred: list[ConsultationEntry] = field(default_factory=list)


_TRACE: ContextVar[RequestTrace | None] = ContextVar("carrefour_request_trace", default=None)


def start_trace() -> RequestTrace:
    """Begin following one API request (its lines and its error) in the current context."""
    trace = RequestTrace()
    _TRACE.set(trace)
    return trace


def defer_lines(lines: Sequence[ConsultationEntry]) -> bool:
    """Hand ``lines`` to the current API request, which commits them before it answers; False
    outside a request (the caller then writes them itself)."""
    trace = _TRACE.get()
    if trace is None:
        return False
    trace.deferred.extend(lines)
    return True


def note_error(error: BaseException | None) -> None:
    """Remember the hub's error that ended the current request (the unit of work sees it)."""
    trace = _TRACE.get()
    if trace is not None and isinstance(error, CarrefourError) and trace.error is None:
        trace.error = error


#: The error extras that name an object by id (documents, batches, cases, lines, messages...).
OBJECT_KEYS = ("document_id", "batch_id", "case_id", "line_id", "message_id", "affiliation_id")
#: The MSG status of a request line, by HTTP status (others are logged as ``HTTP<status>``).
MSG_OF_HTTP = {404: "MSG00100", 403: "MSG00013", 422: "MSG00008", 409: "MSG00008"}


def request_object(path_params: dict[str, Any], trace: RequestTrace) -> str | None:
    """The object id a request named: a path parameter ``*_id``, or the one its error names."""
    for key in OBJECT_KEYS:
        if key in path_params:
            return str(path_params[key])
    extra = trace.error.extra if trace.error is not None else {}
    for key in OBJECT_KEYS:
        if extra.get(key):
            return str(extra[key])
    return None


def needs_request_line(
    trace: RequestTrace, *, niss: str | None, object_id: str | None, http_status: int
) -> bool:
    """Whether the API edge writes the request's own line: the request was about a person or an
    object by id, the caller is known (not 401), and the use cases did not already log the
    outcome (no line at all, or only allowed lines while the answer is an error)."""
    named = niss or object_id or trace.niss or (trace.error and trace.error.extra.get("niss"))
    if not named or http_status == 401 or trace.refused:
        return False
    return trace.lines == 0 or http_status >= 400


def request_line(
    uow: UnitOfWork,
    *,
    caller: str,
    method: str,
    route: str,
    niss: str | None,
    object_id: str | None,
    http_status: int,
    trace: RequestTrace,
) -> None:
    """Append the line of one API request: who, operation, NISS (the path's, else the one the
    object concerns), object id, outcome and status."""
    if niss is not None:
        try:
            niss = parse_niss(niss).value
        except CarrefourError:
            niss = None
    error_niss = trace.error.extra.get("niss") if trace.error is not None else None
    niss = niss or trace.niss or (str(error_niss) if error_niss else None)
    if niss is None and object_id is not None:
        niss = uow.consultations.niss_of(object_id)
    error = trace.error
    allowed = http_status < 400
    detail = f"{method} {route}" + (f": {error.detail}" if error is not None else "")
    uow.consultations.append(
        ConsultationEntry(
            at=uow.clock.now(),
            caller=caller,
            action=(Action.CONSULT if method in ("GET", "HEAD") else Action.SEND).value,
            flow=route.removeprefix("/v1/").split("/")[0][:40],
            niss=niss,
            rule_id=None,
            allowed=allowed,
            reason_code=None if allowed or error is None else error.code[:40],
            status_code="MSG00000" if allowed else MSG_OF_HTTP.get(http_status, "MSG00008"),
            detail=detail,
            object_id=object_id,
            http_status=http_status,
        )
    )
    uow.commit()


# --- the chain -----------------------------------------------------------------------------------


def line_content(line: ConsultationEntry) -> dict[str, Any]:
    return {
        "at": line.at.isoformat(timespec="microseconds"),
        "caller": line.caller,
        "action": line.action,
        "flow": line.flow,
        "niss": line.niss,
        "rule_id": line.rule_id,
        "allowed": bool(line.allowed),
        "reason_code": line.reason_code,
        "status_code": line.status_code,
        "detail": line.detail,
        "object_id": line.object_id,
        "http_status": line.http_status,
        "prev_hash": line.prev_hash,
    }


def line_hash(line: ConsultationEntry) -> str:
    """SHA-256 over the line's content (its ``prev_hash`` included), as canonical JSON."""
    return _digest(line_content(line))


def _digest(content: dict[str, Any]) -> str:
    # ``canonical_bytes`` writes what ``json.dumps`` does without ``ensure_ascii``: the same
    # bytes when they are printable ASCII (no character that ``ensure_ascii`` escapes)
    canonical = canonical_bytes(content)
    if not canonical.isascii() or b"\x7f" in canonical:
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


#: A line's fields before its two hashes (``prev_hash``, ``hash``: the last two), read at once.
_UNCHAINED: Final[Callable[[ConsultationEntry], Any]] = operator.attrgetter(
    *(f.name for f in fields(ConsultationEntry) if f.name not in ("prev_hash", "hash"))
)
if [f.name for f in fields(ConsultationEntry)][-2:] != ["prev_hash", "hash"]:  # pragma: no cover
    raise TypeError("ConsultationEntry must end with prev_hash and hash")


def chained(lines: Sequence[ConsultationEntry], previous: str) -> list[ConsultationEntry]:
    """``lines`` linked after the line whose hash is ``previous``."""
    result = []
    for line in lines:
        content = line_content(line)
        content["prev_hash"] = previous
        digest = _digest(content)
        # the other fields by position: ``dataclasses.replace`` costs several times this per line
        result.append(ConsultationEntry(*(*_UNCHAINED(line), previous, digest)))
        previous = digest
    return result


@dataclass(frozen=True, slots=True)
class LogReport:
    lines: int
    broken: ChainBreak | None


def _break(line: ConsultationEntry | None, reason: str) -> ChainBreak:
    position = line.position if line is not None else None
    return ChainBreak(CHAIN_NAME, position, f"line {position}", reason)


def check_chain(
    lines: Iterator[ConsultationEntry],
    head: tuple[int, str],
    signed: Mapping[int, tuple[int, str]] | None = None,
) -> LogReport:
    """The first deleted or edited line of the consultation log, if any: every line must carry
    the previous line's hash and match its own, and the last must be the recorded head. With
    ``signed`` (checkpoint number -> the log head it signed: lines, last hash), the log must
    still hold every signed head: lines deleted with the head row set back are caught too."""
    wanted: dict[int, list[tuple[int, str]]] = {}
    for number, (signed_lines, digest) in sorted((signed or {}).items()):
        wanted.setdefault(signed_lines, []).append((number, digest))
    previous, count, last = GENESIS_HASH, 0, None
    for number, digest in wanted.get(0, []):
        if digest != GENESIS_HASH:
            return LogReport(0, _signed_break(None, number, 0, "differs"))
    for line in lines:
        count += 1
        if line.prev_hash != previous:
            return LogReport(
                count,
                _break(
                    line,
                    "its previous-line hash does not match the line before it "
                    "(a consultation line was deleted or edited)",
                ),
            )
        if line_hash(line) != line.hash:
            return LogReport(
                count, _break(line, "its content does not match its hash (the line was edited)")
            )
        previous, last = line.hash, line
        for number, digest in wanted.get(count, []):
            if digest != line.hash:
                return LogReport(count, _signed_break(line, number, count, "differs"))
    beyond = [(n, lines_) for lines_, found in wanted.items() if lines_ > count for n, _ in found]
    if beyond:
        number, signed_lines = min(beyond)
        return LogReport(count, _signed_break(last, number, signed_lines, f"holds {count}"))
    recorded, head_hash = head
    if head_hash != previous or recorded != count:
        return LogReport(
            count,
            _break(
                last,
                f"the consultation log holds {count} chained line(s) ending here, its head "
                f"records {recorded}: lines at the end were deleted",
            ),
        )
    return LogReport(count, None)


def _signed_break(
    line: ConsultationEntry | None, number: int, lines: int, found: str
) -> ChainBreak:
    return _break(
        line,
        f"checkpoint {number} signed the consultation log at {lines} line(s), and the log "
        f"{found}: consultation lines were deleted or rewritten after the checkpoint",
    )


def verify_log(
    uow: UnitOfWork, signed: Mapping[int, tuple[int, str]] | None = None
) -> ChainBreak | None:
    """``carrefour verify``'s check of the consultation log (see ``check_chain``)."""
    return check_chain(uow.consultations.chain(), uow.consultations.head(), signed).broken


# --- consulting the log ----------------------------------------------------------------------


def consultations_of(
    uow: UnitOfWork,
    *,
    caller: Institution,
    niss: str,
    before: int | None = None,
    limit: int = 100,
) -> tuple[list[ConsultationEntry], int | None]:
    """Who consulted or received what about ``niss``, when, under which rule: newest first, a
    page at a time (``before`` the cursor of the previous page). For bcss and the institutions a
    rule of the catalogue allows; the consultation is itself logged."""
    niss = parse_niss(niss).value
    lines = uow.directory.lines_of(niss)
    require(uow, caller=caller, action=Action.CONSULT, flow=FLOW, niss=niss, lines=lines)
    page = uow.consultations.select(niss=niss, before=before, limit=limit + 1)
    uow.commit()
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].position if more and page else None)
