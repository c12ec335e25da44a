"""One road for an outgoing message: authorise, route, publish.

Every use case that sends one message sends it here (docs/architecture.md, "one road"):

1. **authorise**: the sender may send the flow (``consultations.require``, logged), unless the
   use case already decided it for this request and passes its ``decision``;
2. **route**: the recipients are found in the person directory (``lines``, on the first of
   ``days`` that finds anyone) or are named by the flow itself (``to``: the emitter an answer
   goes back to, INAMI for an A911 record), each allowed by a deliberation to receive it;
   recipients that only the tracking file records (``paper``) must be ones the flow registry
   allows;
3. **publish**: ``services.messages.publish`` writes the message, its mailbox rows and its
   tracking entries in the caller's transaction; the use case commits once.

``publish_many`` is the same third step for many messages; ``route_staged`` is the set-based
second and third steps for many messages of one flow by the directory (a chunk of a batch, or a
single voucher on a one-row stage): the database joins the staged messages with the directory and
the kinds of line the deliberations grant, and writes their rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from carrefour.domain.catalogue import Action, Institution
from carrefour.domain.deliberations import Decision, authorise
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import NotAuthorised, UnknownInstitution
from carrefour.domain.flows import spec
from carrefour.domain.messages import DeliveryStatus, Message
from carrefour.domain.routing import Recipient, addressed, granted, recipients
from carrefour.services.consultations import require
from carrefour.services.ids import new_ids
from carrefour.services.messages import Staged, publish, publish_staged, stage_rows
from carrefour.services.unit_of_work import Grant, UnitOfWork

__all__ = ["StagedRoute", "addressed_to", "decide", "directory_recipients", "route_staged", "send"]


def decide(uow: UnitOfWork, *, sender: Institution, flow: str) -> Decision:
    """The sender's send rule for a message the hub makes as the consequence of another one
    (an A911 record, a paper-voucher notice, a re-routed voucher): decided, not logged, since
    no institution asked for it; a refusal raises ``NotAuthorised``."""
    found = authorise(sender, Action.SEND, flow, (), uow.clock.today(), rules=uow.catalogue.rules)
    if not found.allowed:
        raise found.as_error()
    return found


def directory_recipients(
    uow: UnitOfWork,
    flow: str,
    lines: Iterable[IntegrationLine],
    days: Sequence[date],
    *,
    exclude: Collection[str] = (),
) -> list[Recipient]:
    """The recipients the directory gives ``flow`` on the first of ``days`` that finds any."""
    known = list(lines)
    for day in days:
        found = recipients(flow, known, day, catalogue=uow.catalogue, exclude=exclude)
        if found:
            return found
    return []


def addressed_to(
    uow: UnitOfWork,
    flow: str,
    institutions: Iterable[str],
    day: date,
    *,
    skip_refused: bool = False,
) -> list[Recipient]:
    """The named ``institutions`` as recipients of ``flow``, each allowed by a deliberation to
    receive it without an integration, in the order given (duplicates dropped). A refused or
    unknown one raises, or, with ``skip_refused``, is left out."""
    found: list[Recipient] = []
    seen: set[str] = set()
    for institution in institutions:
        if institution in seen:
            continue
        seen.add(institution)
        try:
            found.append(addressed(flow, institution, day, catalogue=uow.catalogue))
        except (NotAuthorised, UnknownInstitution):
            if not skip_refused:
                raise
    return found


def send(
    uow: UnitOfWork,
    *,
    flow: str,
    sender: Institution,
    niss: str,
    payload: Mapping[str, Any],
    to: Iterable[str] = (),
    lines: Iterable[IntegrationLine] | None = None,
    days: Sequence[date] = (),
    exclude: Collection[str] = (),
    only: Collection[str] | None = None,
    skip_refused: bool = False,
    decision: Decision | None = None,
    event_date: date | None = None,
    period: str | None = None,
    in_reply_to: str | None = None,
    message_id: str | None = None,
    status: DeliveryStatus = DeliveryStatus.QUEUED,
    tracked_only: Sequence[str] = (),
) -> Message:
    """Authorise ``sender``, route ``flow`` (to the named institutions ``to`` and, when
    ``lines`` are given, to the directory's recipients on the first of ``days``, the sender
    and ``exclude`` left out, and, with ``only``, none but those) and publish it; the caller
    commits.

    ``decision``: the use case's own ``require`` for this send, when it already made it (with
    the person's lines or an object id); otherwise the sender's send rule is checked here and
    logged. A flow outside the registry, or a tracked-only recipient it does not allow, is a
    programming error (``ValueError``)."""
    registered = spec(flow)
    extra = set(tracked_only) - set(registered.tracked_only)
    if extra:
        raise ValueError(f"flow {flow} has no tracked-only recipient {sorted(extra)}")
    if decision is None and Action.SEND in registered.kinds:
        require(uow, caller=sender, action=Action.SEND, flow=flow, niss=niss)
    today = uow.clock.today()
    found = addressed_to(uow, flow, to, today, skip_refused=skip_refused)
    if lines is not None:
        named = {r.institution for r in found}
        found.extend(
            r
            for r in directory_recipients(
                uow, flow, lines, days or [today], exclude={sender.id, *exclude}
            )
            if r.institution not in named and (only is None or r.institution in only)
        )
    return publish(
        uow,
        flow=flow,
        sender=sender.id,
        niss=niss,
        payload=payload,
        recipients=found,
        event_date=event_date,
        period=period,
        in_reply_to=in_reply_to,
        message_id=message_id,
        status=status,
        tracked_only=tracked_only,
    )


@dataclass(frozen=True, slots=True)
class StagedRoute:
    """What ``route_staged`` did with each staged message (by its position): ``recipients`` of
    those published, with their message ``ids``; ``undecided``: those for which an institution
    has several lines in force (the caller routes them one by one, ``directory_recipients``);
    ``unrouted``: those the directory gives no recipient."""

    ids: list[str]
    recipients: dict[int, list[str]]
    undecided: list[int]
    unrouted: list[int]


def route_staged(
    uow: UnitOfWork,
    *,
    flow: str,
    sender: Institution,
    staged: Sequence[Staged],
    at: datetime,
) -> StagedRoute:
    """Route and publish many messages of ``flow`` from ``sender`` (already authorised) by the
    directory, in the database: staged, joined with the directory lines in force and the kinds
    of line a deliberation grants (each kind decided once by ``domain.routing.granted``), the
    sender left out, then written by a few set-based statements. The caller commits."""
    ids = new_ids(len(staged))
    kinds = uow.routing.stage(stage_rows(staged, ids))
    today = uow.clock.today()
    grants: list[Grant] = []
    for institution, capacity, phase in kinds:
        found = granted(
            flow, institution, capacity, phase, today, catalogue=uow.catalogue,
            exclude={sender.id},
        )  # fmt: skip
        if found is not None:
            fields = tuple(sorted(found.fields))
            grants.append((institution, capacity, phase, found.rule_id, fields))
    picks, undecided = uow.routing.pick(grants)
    publish_staged(uow, flow=flow, sender=sender.id, staged=staged, ids=ids, picks=picks, at=at)
    routed: dict[int, list[str]] = defaultdict(list)
    for seq, institution, _ in picks:
        routed[seq].append(institution)
    unrouted = [seq for seq in range(len(staged)) if seq not in routed and seq not in undecided]
    return StagedRoute(ids, dict(routed), sorted(undecided), unrouted)
