"""Routing: the recipient list of a distributed message = person directory x deliberations.

A message about a person goes to every institution that has integrated that person on the
reference date and that a deliberation allows to receive the flow with that integration
(capacity, phase); never to anyone else, and never back to its emitter. An empty list is an
*integration failure*: for a contribution voucher it means a paper voucher.

Standard library only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from carrefour.domain.catalogue import Action, Catalogue
from carrefour.domain.deliberations import authorise
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.periods import Period

__all__ = ["Recipient", "addressed", "granted", "recipients"]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One institution a message goes to, the rule that allows it and what it may see.

    ``capacity`` and ``phase`` are those of the integration that justified the delivery (for a
    rule that requires none, the recipient's own line in force with the highest phase).
    """

    institution: str
    rule_id: str
    capacity: str
    phase: int
    fields: frozenset[str]


def recipients(
    flow: str,
    lines: Iterable[IntegrationLine],
    at: date,
    *,
    catalogue: Catalogue,
    exclude: Collection[str] = (),
) -> list[Recipient]:
    """The recipients of a ``flow`` message about the person whose directory ``lines`` are given.

    One per institution, sorted by institution id. Institutions in ``exclude`` (the emitter) and
    ids unknown to the catalogue are skipped.
    """
    rules = catalogue.rules_for(flow, Action.RECEIVE)
    in_force: dict[str, list[IntegrationLine]] = defaultdict(list)
    for line in lines:
        if line.covers(at):
            in_force[line.institution].append(line)

    found: list[Recipient] = []
    for institution_id in sorted(in_force):
        if institution_id in exclude or institution_id not in catalogue.institutions:
            continue
        institution = catalogue.institutions[institution_id]
        own = in_force[institution_id]
        decision = authorise(institution, Action.RECEIVE, flow, own, at, rules=rules)
        if not decision.allowed or decision.rule_id is None:
            continue
        if decision.capacity is not None and decision.phase is not None:
            capacity, phase = decision.capacity, decision.phase
        else:
            best = min(own, key=lambda line: (-line.phase, line.capacity, line.id))
            capacity, phase = best.capacity, best.phase
        found.append(Recipient(institution_id, decision.rule_id, capacity, phase, decision.fields))
    return found


def addressed(flow: str, institution_id: str, at: date, *, catalogue: Catalogue) -> Recipient:
    """A recipient named by the flow itself rather than found in the directory: an answer goes
    back to the emitter of the message it answers, an A911 record to INAMI. The deliberations must
    still allow the institution to receive the flow without an integration; otherwise
    ``NotAuthorised``."""
    institution = catalogue.institution(institution_id)
    rules = catalogue.rules_for(flow, Action.RECEIVE)
    decision = authorise(institution, Action.RECEIVE, flow, (), at, rules=rules)
    if not decision.allowed or decision.rule_id is None:
        raise decision.as_error()
    return Recipient(institution.id, decision.rule_id, "", 0, decision.fields)


def granted(
    flow: str,
    institution: str,
    capacity: str,
    phase: int,
    at: date,
    *,
    catalogue: Catalogue,
    exclude: Collection[str] = (),
) -> Recipient | None:
    """The recipient that one line of this kind in force on ``at`` makes of ``institution``
    when it is the institution's only line in force (``recipients`` of that line alone), or
    ``None``: what the set-based routing of a chunk joins the directory with."""
    line = IntegrationLine("", "", institution, capacity, phase, Period(at, None))
    found = recipients(flow, [line], at, catalogue=catalogue, exclude=exclude)
    return found[0] if found else None
