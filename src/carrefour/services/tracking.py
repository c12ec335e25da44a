"""The tracking file: consultation by the institutions that know the person, and verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carrefour.domain.catalogue import ALL_FIELDS, Action, Catalogue, Institution
from carrefour.domain.messages import (
    ChainBreak,
    TrackingEntry,
    is_purged,
    payload_digest,
    verify_chain,
)
from carrefour.services import evidence
from carrefour.services.consultations import require
from carrefour.services.directory import current_niss
from carrefour.services.unit_of_work import Checkpoint, CheckpointJournal, Signer, UnitOfWork

FLOW = "tracking"


def visible_flows(catalogue: Catalogue, caller: Institution, granted: frozenset[str]) -> set[str]:
    """The flows whose tracking entries ``caller`` sees: those its tracking rule names, or, for
    ``*``, every flow a deliberation lets it receive."""
    if ALL_FIELDS not in granted:
        return set(granted)
    return {
        rule.flow
        for rule in catalogue.rules
        if rule.action is Action.RECEIVE and rule.allows_party(caller)
    }


@dataclass(frozen=True, slots=True)
class TrackedMessage:
    """A tracking entry with the message's current state for its recipient."""

    entry: TrackingEntry
    delivery_status: str | None


def consult(
    uow: UnitOfWork,
    *,
    caller: Institution,
    niss: str,
    flow: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[TrackedMessage]:
    """The messages sent about ``niss`` that the caller may see; the caller must have integrated
    the person, as its deliberation for the tracking consultation requires."""
    niss = current_niss(uow, niss)
    decision = require(
        uow,
        caller=caller,
        action=Action.CONSULT,
        flow=FLOW,
        niss=niss,
        lines=uow.directory.lines_of(niss),
    )
    visible = visible_flows(uow.catalogue, caller, decision.fields)
    entries = [
        entry
        for entry in uow.tracking.select(niss=niss, flow=flow, since=since, until=until)
        if entry.flow in visible or caller.id in (entry.emitter, entry.recipient)
    ]
    result = []
    for entry in entries:
        row = uow.mailbox.get(entry.recipient, entry.message_id)
        result.append(TrackedMessage(entry, row.status if row else None))
    uow.commit()
    return result


@dataclass(frozen=True, slots=True)
class UnregisteredParty:
    """``rows`` rows of ``table`` whose ``column`` names ``value``, which is no registered
    institution: no foreign key refuses such a row (migration 0020), so verify looks for them."""

    table: str
    column: str
    value: str
    rows: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """``emitters``: how many tracking files (one per holder) were checked; ``unregistered``:
    the senders of messages and the mailbox recipients that are no registered institution."""

    emitters: int
    entries: int
    broken: ChainBreak | None
    unregistered: tuple[UnregisteredParty, ...] = ()

    @property
    def intact(self) -> bool:
        """Nothing broken and nothing unregistered: ``carrefour verify`` exits 0."""
        return self.broken is None and not self.unregistered


def _unregistered_parties(uow: UnitOfWork) -> tuple[UnregisteredParty, ...]:
    """Every message sender and every mailbox recipient that is no registered institution:
    one set-based query per table."""
    return tuple(
        UnregisteredParty(table, column, value, rows)
        for table, column, found in (
            ("messages", "sender", uow.messages.unregistered_senders()),
            ("mailbox", "recipient", uow.mailbox.unregistered_recipients()),
        )
        for value, rows in found.items()
    )


def checkpoint(
    uow: UnitOfWork, *, signer: Signer, journal: CheckpointJournal | None = None
) -> Checkpoint:
    """Sign every chain's current head with the hub's key, and keep the signed checkpoint (in
    the database and in ``journal``, the file outside it): see ``services.evidence``."""
    signed = evidence.checkpoint(uow, signer=signer, journal=journal)
    return Checkpoint(signed.at, signed.heads, signed.signature, signed.public_key, signed.number)


def _check_payloads(uow: UnitOfWork, entries: list[TrackingEntry]) -> ChainBreak | None:
    """The first entry whose message's stored payload no longer has the digest it carries."""
    carrying = [e for e in entries if e.payload_digest is not None]
    payloads = uow.messages.payloads([e.message_id for e in carrying])
    digests: dict[str, str | None] = {}
    for entry in carrying:
        if entry.message_id not in digests:
            payload = payloads.get(entry.message_id)
            if payload is not None and is_purged(payload):
                continue  # emptied by retention: its digest stays in the tracking file
            digests[entry.message_id] = None if payload is None else payload_digest(payload)
        if entry.message_id not in digests:
            continue
        found = digests[entry.message_id]
        if found != entry.payload_digest:
            what = "is gone" if found is None else "was edited"
            return ChainBreak(
                entry.holder or entry.emitter,
                entry.position,
                entry.message_id,
                f"the message's stored payload {what}: it no longer matches the payload digest "
                "its tracking entry carries",
            )
    return None


def verify(
    uow: UnitOfWork, *, signer: Signer | None = None, journal: CheckpointJournal | None = None
) -> VerifyReport:
    """Recompute the hash chain of every holder's tracking file (``tracking_holder``: ONSS,
    INASTI, ONEm, the pension cadastre, or a sender keeping its own; ``emitters`` in the report
    counts these files), then check every signed checkpoint (its signature
    with ``signer``'s key, when given, and that the chains still hold its heads); name the
    first broken entry, if any; and name every message sender and mailbox recipient that is no
    registered institution (checked whatever the chains hold)."""
    unregistered = _unregistered_parties(uow)
    count = 0
    emitters = uow.tracking.emitters()
    chains: dict[str, dict[int, TrackingEntry]] = {}
    for emitter in emitters:
        entries = uow.tracking.select(holder=emitter)
        chains[emitter] = {e.position: e for e in entries if e.position is not None}
        count += len(entries)
        broken = verify_chain(entries) or _check_payloads(uow, entries)
        if broken is not None:
            return VerifyReport(len(emitters), count, broken, unregistered)
        head = uow.tracking.head(emitter)
        last_hash = entries[-1].hash if entries else None
        if head is not None and head[0] and head[1] != last_hash:
            last = entries[-1] if entries else None
            return VerifyReport(
                len(emitters),
                count,
                ChainBreak(
                    emitter,
                    last.position if last else None,
                    last.message_id if last else "",
                    f"the chain ends before its recorded head (position {head[0]}): "
                    "entries at the end were deleted",
                ),
                unregistered,
            )
    # evidence.check includes the consultation log, held to the heads the checkpoints signed
    broken = evidence.check(uow, signer=signer, journal=journal, chains=chains)
    return VerifyReport(len(emitters), count, broken, unregistered)
