"""Evidence that cannot be peeled off: the status chain, and chained checkpoints kept twice.

- Every change of a mailbox row (pulled or pushed, accepted, rejected, corrected, reopened,
  failed, put back in the queue) appends an entry to the holder's status chain, in the
  transaction that changes the row: ``record`` (and ``requeue`` for dead letters).
- ``checkpoint`` signs the heads of every tracking chain and every status chain, naming the
  checkpoint before it, stores it and appends it to the checkpoint file outside the database.
- ``check`` (called by ``tracking.verify``) recomputes the status chains, holds every mailbox
  row to its last recorded change, checks every checkpoint's signature and link, that the
  chains still hold the heads it signed, and that the database holds exactly the checkpoints
  of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from carrefour.domain.errors import Conflict
from carrefour.domain.evidence import (
    MailboxState,
    SignedCheckpoint,
    StatusEntry,
    check_checkpoint_chain,
    check_states,
    check_status_heads,
    compare_with_file,
    verify_status_chain,
)
from carrefour.domain.messages import GENESIS_HASH, ChainBreak, TrackingEntry, check_heads
from carrefour.services import consultations
from carrefour.services.unit_of_work import CheckpointJournal, MailboxRow, Signer, UnitOfWork

#: ``event`` of a dead letter put back in the push queue.
REQUEUED = "requeued"


def state_of(row: MailboxRow) -> MailboxState:
    return MailboxState(
        holder=row.recipient,
        message_id=row.message_id,
        replay=row.replay,
        niss=row.niss,
        status=row.status,
        ack_result=row.ack_result,
    )


def record(uow: UnitOfWork, changed: Iterable[MailboxRow | MailboxState], *, event: str) -> None:
    """Append one status entry per changed row (its new state), in the caller's transaction."""
    at = uow.clock.now()
    entries = []
    for item in changed:
        state = state_of(item) if isinstance(item, MailboxRow) else item
        entries.append(
            StatusEntry(
                holder=state.holder,
                message_id=state.message_id,
                replay=state.replay,
                niss=state.niss,
                status=state.status,
                ack_result=state.ack_result,
                event=event,
                at=at,
            )
        )
    uow.evidence.append(entries)


def record_pushed(uow: UnitOfWork, outcomes: Mapping[int, str]) -> None:
    """After push outcomes were recorded (mailbox position -> the status it was to take): an
    entry for each row that did take it (a row pulled or answered meanwhile kept its state)."""
    changed = []
    for position, status in sorted(outcomes.items()):
        state = uow.evidence.mailbox_state(position)
        if state is not None and state.status == status:
            changed.append(state)
    for status in sorted({s.status for s in changed}):
        record(uow, [s for s in changed if s.status == status], event=status)


def requeue(uow: UnitOfWork, *, recipient: str, message_id: str | None = None) -> int:
    """Put ``recipient``'s dead letters (one message's) back in the push queue, tries reset,
    each with its status entry; how many. The caller commits."""
    failed = uow.evidence.failed(recipient, message_id=message_id)
    count = uow.mailbox.requeue_failed(recipient, message_id=message_id, at=uow.clock.now())
    record(uow, [replace(s, status="queued") for s in failed], event=REQUEUED)
    return count


# --- checkpoints ----------------------------------------------------------------------------


def _catch_up(stored: list[SignedCheckpoint], signer: Signer, journal: CheckpointJournal) -> None:
    """Append to the file the checkpoints the database holds after the file's last one, when
    they are signed by the key and follow on: what a crash between commit and append left."""
    written = journal.read()
    last = written[-1] if written else None
    for signed in stored:
        if last is not None and signed.number <= last.number:
            continue
        expected = GENESIS_HASH if last is None else last.digest
        if signed.previous != expected or not signer.verify(signed.document(), signed.signature):
            return
        journal.append(signed)
        last = signed


def _behind(stored: list[SignedCheckpoint], journal: CheckpointJournal) -> None:
    """``Conflict`` when the file's newest checkpoint is not the database's: the database was
    rolled back or its checkpoints deleted, and a new signature would cover that up."""
    try:
        written = journal.read()
    except ValueError as error:
        raise Conflict(f"the checkpoint file is unreadable: {error}") from None
    if not written:
        return
    newest = written[-1]
    held = {c.number: c.digest for c in stored}
    if held.get(newest.number) != newest.digest:
        last = max(held, default=0)
        raise Conflict(
            f"the checkpoint file ends at checkpoint {newest.number} and the database does not "
            f"hold it (its newest is {last}): the database was rolled back or changed; run "
            "`carrefour verify` and restore it before signing again",
            file=journal.location,
        )


def checkpoint(
    uow: UnitOfWork, *, signer: Signer, journal: CheckpointJournal | None
) -> SignedCheckpoint:
    """Sign every tracking and status chain head, naming the previous checkpoint; store it,
    commit, then append it to the checkpoint file."""
    stored = uow.evidence.checkpoints(lock=True)
    if journal is not None:
        _behind(stored, journal)
        if stored and signer.available:
            _catch_up(stored, signer, journal)
    draft = SignedCheckpoint(
        number=0,
        at=uow.clock.now(),
        heads=uow.tracking.heads(),
        status_heads=uow.evidence.heads(),
        previous=stored[-1].digest if stored else GENESIS_HASH,
        signature="",
        public_key="",
        log_head=uow.consultations.head(),
    )
    signature, public_key = signer.sign(draft.document())
    signed = replace(draft, signature=signature, public_key=public_key)
    signed = replace(signed, number=uow.evidence.add_checkpoint(signed))
    uow.commit()
    if journal is not None:
        journal.append(signed)
    return signed


# --- verification ---------------------------------------------------------------------------


def _forged(signed: SignedCheckpoint, signer: Signer | None, where: str) -> ChainBreak | None:
    if signer is None or not signer.available:
        return None
    if signed.public_key != signer.public_key() or not signer.verify(
        signed.document(), signed.signature
    ):
        return ChainBreak(
            "",
            signed.number,
            "",
            f"checkpoint {signed.number} {where}of {signed.at:%Y-%m-%d %H:%M} is not signed by "
            "the hub's key: it was forged or altered",
        )
    return None


def check_status_chains(
    uow: UnitOfWork,
) -> tuple[int, dict[str, dict[int, StatusEntry]], ChainBreak | None]:
    """Recompute every holder's status chain and hold every mailbox row to its last change."""
    entries = uow.evidence.select()
    by_holder: dict[str, list[StatusEntry]] = {}
    for entry in entries:
        by_holder.setdefault(entry.holder, []).append(entry)
    chains = {h: {e.position or 0: e for e in chain} for h, chain in by_holder.items()}
    for holder, (position, digest) in sorted(uow.evidence.heads().items()):
        chain = by_holder.get(holder, [])
        broken = verify_status_chain(chain)
        if broken is not None:
            return len(entries), chains, broken
        if not chain or chain[-1].hash != digest:
            last = chain[-1] if chain else None
            return (
                len(entries),
                chains,
                ChainBreak(
                    holder,
                    last.position if last else None,
                    last.message_id if last else "",
                    f"status chain: the chain ends before its recorded head (position {position}): "
                    "status changes at the end were deleted",
                ),
            )
    for holder in sorted(set(by_holder) - set(uow.evidence.heads())):
        broken = verify_status_chain(by_holder[holder])
        if broken is not None:
            return len(entries), chains, broken
    latest = {e.key: e for e in entries}
    return len(entries), chains, check_states(uow.evidence.mailbox_states(), latest)


def check(
    uow: UnitOfWork,
    *,
    signer: Signer | None,
    journal: CheckpointJournal | None,
    chains: Mapping[str, Mapping[int, TrackingEntry]],
) -> ChainBreak | None:
    """Everything beyond the tracking chains themselves (see the module's docstring)."""
    _, statuses, broken = check_status_chains(uow)
    if broken is not None:
        return broken
    stored = uow.evidence.checkpoints()
    for signed in stored:
        broken = (
            _forged(signed, signer, "")
            or check_heads(signed.heads, chains, signed.number)
            or check_status_heads(signed.status_heads, statuses, signed.number)
        )
        if broken is not None:
            return broken
    log_heads = {c.number: c.log_head for c in stored if c.log_head is not None}
    broken = consultations.verify_log(uow, log_heads) or check_checkpoint_chain(
        stored, "the database"
    )
    if broken is not None or journal is None:
        return broken
    try:
        written = journal.read()
    except ValueError as error:
        return ChainBreak("", None, "", f"the checkpoint file was altered: {error}")
    for signed in written:
        broken = _forged(signed, signer, f"of the file {journal.location} ")
        if broken is not None:
            return broken
    return check_checkpoint_chain(written, f"the file {journal.location}") or compare_with_file(
        stored, written
    )
