"""Use cases of the hub's operators: what the console (and any other operator tool) shows and does.

The operator works for the hub itself (``bcss``). What they read comes from the same tables the
institutions' messages go through: the mailboxes (one row per message and recipient, with its
delivery state), the tracking file and the consultation log.

- Reads commit nothing, except that a read about one person (the transactions of a NISS, a
  message's detail) appends its line to the consultation log, as an institution's consultation
  does: who looked at a person's messages stays on record.
- ``rerun`` puts a message's dead letters back in the push queue, tries reset (what
  ``carrefour requeue`` does for one institution), and appends a ``rerun`` line to the
  consultation log in the same transaction: the log is the hub's append-only record of who
  did what about whom.

The tracking port reads oldest first and has no "before this position" bound, so the newest
entries are found by reading the matching entries and keeping the last ones: cheap with a NISS
filter (indexed, a few entries), a read of the whole tracking file without one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import InvalidInput, NotAuthorised, NotFound
from carrefour.domain.evidence import (
    BUNDLE_FORMAT,
    SignedCheckpoint,
    status_json,
    tracking_json,
)
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.messages import DeliveryStatus, Message, TrackingEntry, is_linked
from carrefour.services import evidence
from carrefour.services.directory import HUB_SECTOR
from carrefour.services.institutions import authenticate
from carrefour.services.unit_of_work import ConsultationEntry, MailboxRow, UnitOfWork

#: The consultation log's ``flow`` for what an operator reads (the tracking file and mailboxes).
CONSOLE_FLOW = "tracking"
#: The consultation log's ``action`` of a rerun.
RERUN_ACTION = "rerun"
#: The status code of an allowed line in the consultation log.
ALLOWED = "MSG00000"
#: Mailbox rows read per query while looking for dead letters.


def _log(
    uow: UnitOfWork, *, by: str, action: str, flow: str, niss: str | None, detail: str
) -> None:
    uow.consultations.append(
        ConsultationEntry(
            at=uow.clock.now(),
            caller=by,
            action=action,
            flow=flow,
            niss=niss,
            rule_id=None,
            allowed=True,
            reason_code=None,
            status_code=ALLOWED,
            detail=f"operator console: {detail}",
        )
    )


def _niss(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return parse_niss(text.strip()).value


def operator(uow: UnitOfWork, *, token: str | None) -> Institution:
    """The institution of an operator's credential: the hub itself (sector 25), nobody else.
    ``Unauthenticated`` for a missing or unknown credential, ``NotAuthorised`` for another
    institution's. Commits nothing."""
    caller = authenticate(uow, token)
    if caller.sector != HUB_SECTOR:
        raise NotAuthorised(
            f"{caller.id} is not the hub: only a credential of the hub (sector {HUB_SECTOR}) "
            "opens the operator console",
            reason_code="not-authorised",
            status_code="MSG00013",
        )
    return caller


# --- dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The end of one emitter's tracking chain: its last entry's position and hash."""

    emitter: str
    position: int
    hash: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    counts: Mapping[str, int]
    """Mailbox rows per delivery status, every status present (dead letters are ``failed``)."""
    chains: tuple[ChainHead, ...]
    dead_letters: tuple[MailboxRow, ...]
    """The newest dead letters, newest first."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def delivery_counts(uow: UnitOfWork) -> dict[str, int]:
    """Deliveries per status, every status present. A voucher that went on paper has no mailbox
    row (its tracking entry's recipient is ``paper``): those are counted from the tracking file."""
    stored = uow.mailbox.counts()
    counts = {status.value: stored.get(status.value, 0) for status in DeliveryStatus}
    counts.update({status: n for status, n in stored.items() if status not in counts})
    paper = DeliveryStatus.PAPER.value
    counts[paper] = counts.get(paper, 0) + len(uow.tracking.select(recipient=paper))
    return counts


def dashboard(uow: UnitOfWork, *, dead_letters: int = 20) -> Dashboard:
    """Deliveries per status, the head of every tracking chain, the newest dead letters."""
    counts = delivery_counts(uow)
    chains = []
    for emitter in uow.tracking.emitters():
        head = uow.tracking.head(emitter)
        if head is not None and head[0]:
            chains.append(ChainHead(emitter, head[0], head[1]))
    dead = uow.mailbox.newest_with_status(DeliveryStatus.FAILED.value, limit=dead_letters)
    return Dashboard(counts, tuple(chains), tuple(dead))


# --- transactions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transaction:
    """A tracking entry (one message to one recipient) and where it stands now for that
    recipient (``None``: no mailbox row, e.g. a voucher that went on paper)."""

    entry: TrackingEntry
    status: str | None
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionPage:
    items: tuple[Transaction, ...]
    next_before: int | None
    """Pass as ``before`` for the next (older) page; ``None`` on the last page."""


def transactions(
    uow: UnitOfWork,
    *,
    by: str,
    niss: str | None = None,
    flow: str | None = None,
    emitter: str | None = None,
    recipient: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
    holder: str | None = None,
) -> TransactionPage:
    """Tracking entries, newest first, each with its current delivery status; ``before`` is a
    tracking position (the page starts below it). Filtered by NISS (plain or formatted), flow,
    emitter, recipient, current status and holder (the tracking file the entry is chained in).
    With a NISS, the read is logged as ``by``'s."""
    if limit < 1:
        raise InvalidInput("limit must be at least 1", field="limit")
    person = _niss(niss)
    items: list[Transaction] = []
    more = False
    cursor = before
    while not more:
        # Newest first, a bounded read at a time: the page never reads the whole file.
        entries = uow.tracking.select(
            niss=person,
            emitter=emitter or None,
            flow=flow or None,
            recipient=recipient or None,
            holder=holder or None,
            before=cursor,
            newest_first=True,
            limit=4 * limit,
        )
        for entry in entries:
            row = uow.mailbox.get(entry.recipient, entry.message_id)
            current = row.status if row is not None else None
            if status and current != status:
                continue
            if len(items) == limit:
                more = True
                break
            items.append(
                Transaction(
                    entry,
                    current,
                    row.attempts if row is not None else 0,
                    row.last_error if row is not None else None,
                )
            )
        if len(entries) < 4 * limit:
            break
        cursor = entries[-1].position
    if person is not None:
        _log(
            uow,
            by=by,
            action="consult",
            flow=CONSOLE_FLOW,
            niss=person,
            detail=f"transactions of the person ({len(items)} shown)",
        )
        uow.commit()
    next_before = items[-1].entry.position if more and items else None
    return TransactionPage(tuple(items), next_before)


# --- one message ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageDetail:
    message: Message
    recipients: tuple[MailboxRow, ...]
    """One row per recipient (and per replay), in mailbox order."""
    tracking: tuple[TrackingEntry, ...]
    replies: tuple[Message, ...]
    """Answers, identification corrections, resend requests and re-routed vouchers that name
    this message in ``in_reply_to``."""
    replaced_by: str | None
    """The NISS that replaced the message's NISS, if one did."""

    @property
    def failed(self) -> tuple[str, ...]:
        """The recipients whose delivery failed (dead letters)."""
        return tuple(
            sorted({r.recipient for r in self.recipients if r.status == DeliveryStatus.FAILED})
        )

    @property
    def payload(self) -> Mapping[str, Any]:
        return self.message.payload


def message_detail(uow: UnitOfWork, *, by: str, message_id: str) -> MessageDetail:
    """Everything about one message: envelope, payload, per-recipient state, tracking entries
    with their hashes, and the messages that answer it. ``NotFound`` for an unknown id. The read
    is logged as ``by``'s consultation of the person."""
    message = uow.messages.get(message_id)
    if message is None:
        raise NotFound(f"no message {message_id!r}", message_id=message_id)
    rows = uow.mailbox.of_message(message.id)
    entries = [e for e in uow.tracking.select(niss=message.niss) if e.message_id == message.id]
    replaced_by = uow.replacements.replacement_of(message.niss)
    candidates = uow.messages.of_niss(message.niss)
    if replaced_by is not None:  # vouchers re-routed for the new NISS reply to the old message
        candidates += uow.messages.of_niss(replaced_by)
    replies = [m for m in candidates if m.in_reply_to == message.id]
    _log(
        uow,
        by=by,
        action="consult",
        flow=CONSOLE_FLOW,
        niss=message.niss,
        detail=f"message {message.id} ({message.flow})",
    )
    uow.commit()
    return MessageDetail(message, tuple(rows), tuple(entries), tuple(replies), replaced_by)


# --- rerun ----------------------------------------------------------------------------------


def rerun(uow: UnitOfWork, *, message_id: str, by: str, recipient: str | None = None) -> int:
    """Put the message's dead letters (every failed recipient, or only ``recipient``) back in the
    push queue, tries reset; returns how many. ``NotFound`` for an unknown message. A rerun that
    moved something is logged as ``by``'s ``rerun`` line, in the same transaction."""
    message = uow.messages.get(message_id)
    if message is None:
        raise NotFound(f"no message {message_id!r}", message_id=message_id)
    failed = sorted(
        {
            row.recipient
            for row in uow.mailbox.of_message(message.id)
            if row.status == DeliveryStatus.FAILED
            and (recipient is None or row.recipient == recipient)
        }
    )
    count = sum(evidence.requeue(uow, recipient=name, message_id=message.id) for name in failed)
    if count:
        _log(
            uow,
            by=by,
            action=RERUN_ACTION,
            flow=message.flow,
            niss=message.niss,
            detail=f"message {message.id} back in the push queue for {', '.join(failed)}",
        )
        uow.commit()
    return count


# --- consultation log -----------------------------------------------------------------------


def consultations(
    uow: UnitOfWork, *, niss: str | None = None, caller: str | None = None, limit: int = 100
) -> list[ConsultationEntry]:
    """The consultation log, newest first, filtered by NISS (plain or formatted) and caller."""
    if limit < 1:
        raise InvalidInput("limit must be at least 1", field="limit")
    return uow.consultations.select(niss=_niss(niss), caller=caller or None, limit=limit)


# --- running the hub: readiness, retention --------------------------------------------------


def beat(uow: UnitOfWork, *, worker: str) -> None:
    """A background worker finished a round: ``/readyz`` counts it alive."""
    uow.heartbeats.beat(worker, uow.clock.now())
    uow.commit()


@dataclass(frozen=True, slots=True)
class Readiness:
    database: bool
    migrations: bool
    worker: bool
    problems: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.problems


def readiness(
    uow: UnitOfWork, *, schema: tuple[str | None, str | None], worker_stale_seconds: float
) -> Readiness:
    """Whether the hub can serve: the database answered (the unit of work opened), its schema is
    at ``schema``'s newest revision, and a worker finished a round in the last
    ``worker_stale_seconds``."""
    problems = []
    current, head = schema
    migrations = current == head
    if not migrations:
        problems.append(
            f"the database is at revision {current}, this version needs {head}: "
            "run `carrefour db upgrade`"
        )
    newest = uow.heartbeats.newest()
    age = None if newest is None else (uow.clock.now() - newest).total_seconds()
    worker = age is not None and age <= worker_stale_seconds
    if not worker:
        problems.append(
            "no background worker ever reported"
            if age is None
            else f"no background worker reported for {age:.0f} s "
            f"(limit {worker_stale_seconds:.0f} s)"
        )
    return Readiness(True, migrations, worker, tuple(problems))


#: Messages emptied per transaction by ``purge_payloads``.
PURGE_CHUNK = 1000


def purge_payloads(uow: UnitOfWork, *, older_than_days: int, chunk: int = PURGE_CHUNK) -> int:
    """Empty the payload of every message older than ``older_than_days`` days, ``chunk``
    messages per transaction (a rerun after a crash goes on where it stopped); how many. The
    envelope, the tracking entries and the status chain stay: what was sent to whom, when and
    under which rule can still be proved."""
    if older_than_days < 1:
        raise InvalidInput(
            f"--payloads-older-than is at least 1 day, not {older_than_days}",
            field="payloads_older_than",
        )
    before = uow.clock.now() - timedelta(days=older_than_days)
    total = 0
    while True:
        count = uow.evidence.clear_payloads(before, limit=chunk)
        uow.commit()
        total += count
        if count < chunk:
            return total


# --- a person's evidence, provable offline --------------------------------------------------


def _covering(
    checkpoints: Sequence[SignedCheckpoint], name: str, first: int, last: int, *, status: bool
) -> SignedCheckpoint | None:
    """The oldest checkpoint whose head of chain ``name`` is at or after ``last``; failing that,
    the newest whose head is at or after ``first`` (the entries after it stay unproved)."""
    reaching = [
        c
        for c in checkpoints
        if name in (c.status_heads if status else c.heads)
        and (c.status_heads if status else c.heads)[name][0] >= first
    ]
    for candidate in reaching:
        if (candidate.status_heads if status else candidate.heads)[name][0] >= last:
            return candidate
    return reaching[-1] if reaching else None


def export_bundle(uow: UnitOfWork, *, by: str, niss: str, public_key: str) -> dict[str, Any]:
    """Every tracking entry and status change about ``niss``, each chain's segment from the
    person's first entry to the head a checkpoint signed, those checkpoints and the hub's
    ``public_key``: checkable offline (``domain.evidence.check_bundle``). Entries newer than
    the newest checkpoint are listed as ``unproved``. The export is logged as ``by``'s."""
    person = parse_niss(niss).value
    checkpoints = uow.evidence.checkpoints()
    used: dict[int, SignedCheckpoint] = {}
    tracking: dict[str, Any] = {}
    statuses: dict[str, Any] = {}
    unproved: list[dict[str, Any]] = []
    mine: dict[str, list[int]] = {}
    for entry in uow.tracking.select(niss=person):
        mine.setdefault(entry.emitter, []).append(entry.position or 0)
    for emitter, positions in sorted(mine.items()):
        first, last = min(positions), max(positions)
        covering = _covering(checkpoints, emitter, first, last, status=False)
        chain = uow.tracking.select(emitter=emitter)
        head = covering.heads[emitter][0] if covering else 0
        segment = [e for e in chain if first <= (e.position or 0) <= head]
        if any(e.niss != person and not is_linked(e) for e in segment):
            # someone else's entry written before format 2 cannot be proved by its digest
            # alone: the person's entries stay unproved rather than disclose it
            covering, head = None, 0
        later = [e for e in chain if e.niss == person and (e.position or 0) > head]
        unproved += [tracking_json(e) for e in later]
        if covering is None:
            continue
        used[covering.number] = covering
        tracking[emitter] = {
            "checkpoint": covering.number,
            "entries": [tracking_json(e, full=e.niss == person) for e in segment],
        }
    held: dict[str, list[int]] = {}
    for change in uow.evidence.select(niss=person):
        held.setdefault(change.holder, []).append(change.position or 0)
    for holder, positions in sorted(held.items()):
        first, last = min(positions), max(positions)
        covering = _covering(checkpoints, holder, first, last, status=True)
        changes = uow.evidence.select(holder=holder)
        head = covering.status_heads[holder][0] if covering else 0
        unproved += [
            status_json(e, full=True)
            for e in changes
            if e.niss == person and (e.position or 0) > head
        ]
        if covering is None:
            continue
        used[covering.number] = covering
        statuses[holder] = {
            "checkpoint": covering.number,
            "entries": [
                status_json(e, full=e.niss == person)
                for e in changes
                if first <= (e.position or 0) <= head
            ],
        }
    _log(
        uow,
        by=by,
        action="consult",
        flow=CONSOLE_FLOW,
        niss=person,
        detail=f"tracking bundle exported ({sum(map(len, mine.values()))} tracking entries)",
    )
    uow.commit()
    return {
        "format": BUNDLE_FORMAT,
        "niss": person,
        "made_at": uow.clock.now().isoformat(timespec="seconds"),
        "public_key": public_key,
        "checkpoints": [used[n].to_json() for n in sorted(used)],
        "tracking": tracking,
        "statuses": statuses,
        "unproved": unproved,
    }
