"""Authorisation of a request, with its line in the consultation log, allowed or refused."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import Decision, authorise
from carrefour.domain.directory import IntegrationLine
from carrefour.services.unit_of_work import ConsultationEntry, UnitOfWork


def log_decision(
    uow: UnitOfWork,
    *,
    caller: Institution,
    action: Action,
    flow: str,
    niss: str | None,
    decision: Decision,
    reference: str | None = None,
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
        )
    )


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
) -> Decision:
    """Decide by the deliberations and log the decision.

    A refusal commits the log line alone (nothing else was written yet) and raises
    ``NotAuthorised``; an allowed decision's log line commits with the use case's own work.
    """
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
    )
    if not decision.allowed:
        uow.commit()
        raise decision.as_error()
    return decision
