"""Authorisation: may this institution send, receive or consult this flow for this person?

Two checks, in the order the hub makes them (domain.md section 3):

1. the knowledge directory: a deliberation rule for the flow and action must name the caller's
   sector (and institution type); otherwise ``not-authorised`` (status ``MSG00013``);
2. the person directory: when the rule requires capacities, the caller itself must hold, for the
   person, a line with one of them covering the date, at the rule's minimum phase or higher;
   otherwise ``not-integrated`` or ``phase-too-low`` (status ``MSG00012``).

When several rules name the caller, the caller may see the union of the fields of every rule that
allows it; the decision cites the first one. ``authorise`` is pure: the caller passes the rules
(usually ``catalogue.rules``) and the person's directory lines.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from carrefour.domain.catalogue import Action, DeliberationRule, Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import NotAuthorised

__all__ = ["STATUS_CODES", "Decision", "ReasonCode", "authorise"]


class ReasonCode(StrEnum):
    NOT_AUTHORISED = "not-authorised"
    NOT_INTEGRATED = "not-integrated"
    PHASE_TOO_LOW = "phase-too-low"
    INVALID_REQUEST = "invalid-request"
    """Not a deliberation's refusal: the request itself was unacceptable (logged all the same)."""


#: The modern network status code of each outcome (``None`` = allowed).
STATUS_CODES: Final[Mapping[ReasonCode | None, str]] = MappingProxyType(
    {
        None: "MSG00000",
        ReasonCode.NOT_AUTHORISED: "MSG00013",
        ReasonCode.NOT_INTEGRATED: "MSG00012",
        ReasonCode.PHASE_TOO_LOW: "MSG00012",
        ReasonCode.INVALID_REQUEST: "MSG00008",
    }
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of ``authorise``.

    ``rule_id`` is the first rule that allows the caller (``None`` when refused); ``fields`` the
    union of the fields of every allowing rule (empty when refused). ``capacity`` and ``phase``
    name the integration line that justified it, when a rule required one.
    """

    allowed: bool
    rule_id: str | None
    reason_code: ReasonCode | None
    fields: frozenset[str]
    detail: str
    capacity: str | None = None
    phase: int | None = None

    @property
    def status_code(self) -> str:
        return STATUS_CODES[self.reason_code]

    def as_error(self) -> NotAuthorised:
        """The error to raise for a refusal."""
        if self.allowed or self.reason_code is None:
            raise ValueError("an allowed decision is not an error")
        return NotAuthorised(
            self.detail, reason_code=self.reason_code.value, status_code=self.status_code
        )


def _codes(codes: Iterable[str]) -> str:
    return " or ".join(sorted(codes))


def _best(lines: Iterable[IntegrationLine]) -> IntegrationLine:
    """The line with the highest phase; the lowest capacity code among equals."""
    return min(lines, key=lambda line: (-line.phase, line.capacity, line.id))


def _refuse(reason: ReasonCode, detail: str) -> Decision:
    return Decision(
        allowed=False, rule_id=None, reason_code=reason, fields=frozenset(), detail=detail
    )


def authorise(
    caller: Institution,
    action: Action,
    flow: str,
    person_lines: Iterable[IntegrationLine],
    at: date,
    *,
    rules: Sequence[DeliberationRule],
) -> Decision:
    """Decide whether ``caller`` may ``action`` ``flow`` for the person on ``at``.

    ``person_lines`` are the person's lines of the person directory (any institution's: only the
    caller's own count).
    """
    action = Action(action)
    for_flow = [rule for rule in rules if rule.flow == flow and rule.action == action]
    candidates = [rule for rule in for_flow if rule.allows_party(caller)]
    if not candidates:
        allowed_parties = sorted({str(p) for rule in for_flow for p in rule.parties})
        who = (
            f"only {', '.join(allowed_parties)} may"
            if allowed_parties
            else "no deliberation allows anyone to"
        )
        return _refuse(
            ReasonCode.NOT_AUTHORISED,
            f"{caller.id} (sector {caller.sector}, type {caller.institution_type}) is not "
            f"authorised to {action} flow {flow!r}: no deliberation names sector "
            f"{caller.sector}/{caller.institution_type} for it ({who} {action} it)",
        )

    lines = list(person_lines)
    own = [line for line in lines if line.institution == caller.id]
    in_force = [line for line in own if line.covers(at)]

    allowing: list[tuple[DeliberationRule, IntegrationLine | None]] = []
    too_low: list[tuple[DeliberationRule, IntegrationLine]] = []
    for rule in candidates:
        if not rule.capacities:
            allowing.append((rule, None))
            continue
        matching = [line for line in in_force if line.capacity in rule.capacities]
        high_enough = [line for line in matching if line.phase >= rule.min_phase]
        if high_enough:
            allowing.append((rule, _best(high_enough)))
        elif matching:
            too_low.append((rule, _best(matching)))

    day = at.isoformat()
    if allowing:
        rule, line = allowing[0]
        fields = frozenset().union(*(r.fields for r, _ in allowing))
        if line is None:
            detail = (
                f"{caller.id} may {action} flow {flow!r} under rule {rule.id} "
                f"({rule.decision}); no integration is required"
            )
            return Decision(True, rule.id, None, fields, detail)
        detail = (
            f"{caller.id} may {action} flow {flow!r} under rule {rule.id} ({rule.decision}): "
            f"it integrated the person with capacity {line.capacity} at phase {line.phase} "
            f"on {day} (phase {rule.min_phase} or higher required)"
        )
        return Decision(True, rule.id, None, fields, detail, line.capacity, line.phase)

    if too_low:
        rule, line = too_low[0]
        return _refuse(
            ReasonCode.PHASE_TOO_LOW,
            f"{caller.id} integrated the person with capacity {line.capacity} on {day} at "
            f"phase {line.phase}, but rule {rule.id} requires phase {rule.min_phase} or higher "
            f"to {action} flow {flow!r}",
        )

    required = frozenset().union(*(rule.capacities for rule in candidates))
    cited = ("rule " if len(candidates) == 1 else "rules ") + ", ".join(r.id for r in candidates)
    detail = (
        f"{caller.id} has no integration of the person with capacity {_codes(required)} "
        f"covering {day}, which {cited} {'requires' if len(candidates) == 1 else 'require'} "
        f"to {action} flow {flow!r}"
    )
    held = sorted({line.capacity for line in in_force})
    outside = sorted(
        (line for line in own if line.capacity in required and not line.covers(at)),
        key=lambda line: (line.capacity, line.period.begin),
    )
    if outside:
        periods = "; ".join(f"capacity {line.capacity} for {line.period}" for line in outside)
        detail += f"; its lines with a required capacity do not cover that day ({periods})"
    if held:
        detail += f"; on that day it holds capacity {', '.join(held)} only"
    return _refuse(ReasonCode.NOT_INTEGRATED, detail)
