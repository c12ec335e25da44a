"""The tracking file: consultation by the institutions that know the person, and verification."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from carrefour.domain.catalogue import ALL_FIELDS, Action, Catalogue, Institution
from carrefour.domain.messages import (
    ChainBreak,
    TrackingEntry,
    check_heads,
    checkpoint_document,
    payload_digest,
    verify_chain,
)
from carrefour.services.consultations import require
from carrefour.services.directory import current_niss
from carrefour.services.unit_of_work import Checkpoint, Signer, UnitOfWork

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
class VerifyReport:
    emitters: int
    entries: int
    broken: ChainBreak | None


def checkpoint(uow: UnitOfWork, *, signer: Signer) -> Checkpoint:
    """Sign every chain's current head with the hub's key, and keep the signed checkpoint."""
    heads = uow.tracking.heads()
    at = uow.clock.now()
    signature, public_key = signer.sign(checkpoint_document(heads, at))
    signed = Checkpoint(at=at, heads=heads, signature=signature, public_key=public_key)
    position = uow.tracking.add_checkpoint(signed)
    uow.commit()
    return replace(signed, position=position)


def _check_checkpoints(
    uow: UnitOfWork, signer: Signer | None, chains: dict[str, dict[int, TrackingEntry]]
) -> ChainBreak | None:
    for signed in uow.tracking.checkpoints():
        number = signed.position or 0
        if signer is not None and signer.available:
            document = checkpoint_document(signed.heads, signed.at)
            if signed.public_key != signer.public_key() or not signer.verify(
                document, signed.signature
            ):
                return ChainBreak(
                    "",
                    None,
                    "",
                    f"checkpoint {number} of {signed.at:%Y-%m-%d %H:%M} is not signed by the "
                    "hub's key: it was forged or altered",
                )
        broken = check_heads(signed.heads, chains, number)
        if broken is not None:
            return broken
    return None


def _check_payloads(uow: UnitOfWork, entries: list[TrackingEntry]) -> ChainBreak | None:
    """The first entry whose message's stored payload no longer has the digest it carries."""
    carrying = [e for e in entries if e.payload_digest is not None]
    payloads = uow.messages.payloads([e.message_id for e in carrying])
    digests: dict[str, str | None] = {}
    for entry in carrying:
        if entry.message_id not in digests:
            payload = payloads.get(entry.message_id)
            digests[entry.message_id] = None if payload is None else payload_digest(payload)
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


def verify(uow: UnitOfWork, *, signer: Signer | None = None) -> VerifyReport:
    """Recompute every holder's hash chain and check that each message's stored payload still
    has the digest its entries carry, then check every signed checkpoint (its signature with
    ``signer``'s key, when given, and that the chains still hold its heads); name the first
    broken entry, if any."""
    count = 0
    emitters = uow.tracking.emitters()
    chains: dict[str, dict[int, TrackingEntry]] = {}
    for emitter in emitters:
        entries = uow.tracking.select(holder=emitter)
        chains[emitter] = {e.position: e for e in entries if e.position is not None}
        count += len(entries)
        broken = verify_chain(entries) or _check_payloads(uow, entries)
        if broken is not None:
            return VerifyReport(len(emitters), count, broken)
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
            )
    return VerifyReport(len(emitters), count, _check_checkpoints(uow, signer, chains))
