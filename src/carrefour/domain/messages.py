"""The envelope every flow shares, per-recipient delivery states, the tracking chain, back-off.

Every message has an id, a flow, a sender, recipients, a NISS, a reference date or period, the
deliberation that allowed each recipient, and a status per recipient (domain.md section 6).
Acknowledgements, corrections and resend requests are messages too, linked by ``in_reply_to``.

The tracking file
-----------------
Each tracking entry belongs to a *holder*, the tracking file it is kept in
(``tracking_holder``); each holder has one hash chain, in position order. An entry's hash is
the SHA-256 (lowercase hex) of this UTF-8 byte string, its fields in this order, separated by
the unit separator U+001F, ``None`` written as the empty string::

    carrefour-tracking-1 US holder US message_id US flow US emitter US recipient US niss
    US event_date US rule_id US sent_at US status US payload_digest US prev_hash

``event_date`` is ISO 8601 (``2026-01-31``); ``sent_at`` is ISO 8601 in UTC with microseconds
(``2026-01-31T10:00:00.000000+00:00``); ``prev_hash`` is the previous entry's hash in the same
holder's chain (``GENESIS_HASH`` for the first). No field can hold U+001F (identifiers, flow
names, NISS, dates and hex digests never do). ``payload_digest`` is the SHA-256 hex of the
message's canonical payload (``payload_digest``): ``json.dumps(payload, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` in UTF-8, so an edited payload no longer matches
the entries that carry its digest.

Entries are written in format 2 (``carrefour-tracking-2``), where the hash is the link of the
previous hash and the entry's *content digest*, as in the status chain::

    digest = SHA-256 hex of: carrefour-tracking-2 US holder US message_id US flow US emitter
             US recipient US niss US event_date US rule_id US sent_at US status US payload_digest
    hash   = SHA-256 hex of the ASCII string prev_hash + digest

so a proof that a later entry follows an earlier one needs only the later entry's digest, never
its content (a bundle about one person names no other). Entries written in format 1 (the fields
above with ``carrefour-tracking-1`` first and ``prev_hash`` last, hashed in one go) keep their
hash, and so do entries written before the holder and the digest existed (``payload_digest`` is
``None``): SHA-256 of the canonical JSON of ``TrackingEntry.legacy_content``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from carrefour.domain.catalogue import ALL_FIELDS, Catalogue


class DeliveryStatus(StrEnum):
    """Where a message stands for one recipient."""

    QUEUED = "queued"  # accepted by the hub, waiting in the recipient's mailbox
    DELIVERED = "delivered"  # pulled from the mailbox or pushed to the endpoint
    ACCEPTED = "accepted"  # acknowledged by the recipient: accepted
    REJECTED = "rejected"  # acknowledged by the recipient: rejected, with a reason
    CORRECTED = "corrected"  # acknowledged by the recipient: identification correction (new NISS)
    FAILED = "failed"  # push failed after every try: a dead letter (still in the mailbox)
    PAPER = "paper"  # no electronic delivery: replaced by a paper document


class AckResult(StrEnum):
    """What a recipient answers on a message (``POST /v1/mailbox/acks``)."""

    ACCEPT = "accept"
    REJECT = "reject"  # with a reason
    CORRECTION = "correction"  # identification correction: the NISS the mutualities know
    WRONGLY_HANDLED = "wrongly-handled"  # the earlier accept/reject was wrong: reopen it
    RESEND = "resend"  # send the person's vouchers again


# The status of the recipient's mailbox row once it answered; the other results (wrongly-handled,
# resend) do not close the row.
ACK_STATUS: Mapping[AckResult, DeliveryStatus] = {
    AckResult.ACCEPT: DeliveryStatus.ACCEPTED,
    AckResult.REJECT: DeliveryStatus.REJECTED,
    AckResult.CORRECTION: DeliveryStatus.CORRECTED,
}


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    flow: str
    sender: str
    niss: str
    event_date: date | None
    period: str | None
    payload: Mapping[str, Any]
    created_at: datetime
    in_reply_to: str | None = None


def visible_payload(payload: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The part of ``payload`` a recipient may see: the fields its deliberation grants."""
    granted = set(fields)
    if ALL_FIELDS in granted:
        return dict(payload)
    return {key: value for key, value in payload.items() if key in granted}


#: The payload a message keeps once retention emptied it (``carrefour purge``): its digest stays
#: in the tracking file, so the entries still verify.
PURGED = "purged_at"


def is_purged(payload: Mapping[str, Any]) -> bool:
    """Whether ``payload`` is what retention left of a message's payload."""
    return set(payload) == {PURGED}


# --- the tracking file --------------------------------------------------------------------

GENESIS_HASH = "0" * 64
HASH_FORMAT = "carrefour-tracking-1"
#: The format entries are written in: hash = link(prev_hash, content digest).
LINK_FORMAT = "carrefour-tracking-2"
_SEPARATOR = "\x1f"


def link(prev_hash: str, digest: str) -> str:
    """The hash of a chain entry: its predecessor's hash and its own content digest."""
    return hashlib.sha256(f"{prev_hash}{digest}".encode()).hexdigest()


def tracking_holder(catalogue: Catalogue, sender: str) -> str:
    """The tracking file an entry for a message from ``sender`` belongs to, as the catalogue's
    ``tracking_holders`` say (seed 002: the files are kept "auprès de l'ONSS, de l'INASTI, de
    l'ONEm ou du cadastre des pensions"): INASTI for the CAS (and its own RGTI start/stop
    messages), ONEm for the payment bodies, the pension cadastre for the pension payers and the
    SFP; ONSS keeps the employers' vouchers it emits; any other sender (Fedris, the mutualities,
    INAMI, the hub) keeps its own. This is the one place that decides it."""
    institution = catalogue.institutions.get(sender)
    if institution is not None:
        for party, holder in catalogue.tracking_holders:
            if party.matches(institution):
                return holder
    return sender


#: ``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` made once:
#: the same bytes without building an encoder per payload (a batch digests one per voucher).
_CANONICAL_ENCODER: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
)


def canonical_payload(payload: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a message's payload, as its digest covers them."""
    return _CANONICAL_ENCODER.encode(payload).encode()


def payload_digest(payload: Mapping[str, Any]) -> str:
    """SHA-256 hex of the message's canonical payload."""
    return hashlib.sha256(canonical_payload(payload)).hexdigest()


@dataclass(frozen=True, slots=True)
class TrackingEntry:
    """One line of the tracking file: a message sent by ``emitter`` to ``recipient``.

    ``holder`` is the tracking file it belongs to (``tracking_holder``); ``prev_hash`` is the
    hash of the previous entry of the same holder (``GENESIS_HASH`` for the first), so an edited
    or deleted entry breaks the chain from there on. ``payload_digest`` ties the entry to its
    message's payload (``None`` only on entries written before it existed).
    """

    message_id: str
    flow: str
    emitter: str
    recipient: str
    niss: str
    event_date: date | None
    rule_id: str | None
    sent_at: datetime
    status: str
    prev_hash: str
    hash: str = ""
    position: int | None = None
    holder: str = ""
    payload_digest: str | None = None

    def hashed_bytes(self, version: str = HASH_FORMAT) -> bytes:
        """The bytes a format-1 hash covers (module docstring); with ``LINK_FORMAT``, the bytes
        the content digest of format 2 covers (everything but ``prev_hash``)."""
        fields = (version, *self.content_fields())
        if version == HASH_FORMAT:
            fields += (self.prev_hash,)
        return _SEPARATOR.join(fields).encode()

    def content_fields(self) -> tuple[str, ...]:
        """The entry's content as the hashes cover it, in text form (``content_digest_of``)."""
        return (
            self.holder,
            self.message_id,
            self.flow,
            self.emitter,
            self.recipient,
            self.niss,
            self.event_date.isoformat() if self.event_date else "",
            self.rule_id or "",
            self.sent_at.isoformat(timespec="microseconds"),
            self.status,
            self.payload_digest or "",
        )

    def legacy_content(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "flow": self.flow,
            "emitter": self.emitter,
            "recipient": self.recipient,
            "niss": self.niss,
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "rule_id": self.rule_id,
            "sent_at": self.sent_at.isoformat(timespec="microseconds"),
            "status": self.status,
            "prev_hash": self.prev_hash,
        }


def content_digest(entry: TrackingEntry) -> str:
    """The format-2 digest of the entry's content (everything but ``prev_hash``)."""
    return content_digest_of(entry.content_fields())


def content_digest_of(fields: Iterable[str]) -> str:
    """The format-2 content digest of an entry given as its ``content_fields`` (holder,
    message_id, flow, emitter, recipient, niss, event_date ISO or "", rule_id or "", sent_at ISO
    with microseconds, status, payload_digest): the bulk path chains rows, not entry objects."""
    return hashlib.sha256(_SEPARATOR.join((LINK_FORMAT, *fields)).encode()).hexdigest()


def entry_hash(entry: TrackingEntry) -> str:
    """The hash an entry is written with: format 2, ``link(prev_hash, content_digest)``; the
    legacy JSON hash for an entry without a payload digest."""
    if entry.payload_digest is None:
        canonical = json.dumps(entry.legacy_content(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
    return link(entry.prev_hash, content_digest(entry))


def is_linked(entry: TrackingEntry) -> bool:
    """Whether the entry is in format 2: its hash can be proved from its digest alone."""
    return entry.payload_digest is not None and entry.hash == entry_hash(entry)


def hash_holds(entry: TrackingEntry) -> bool:
    """Whether the entry's hash is its content's, in the format it was written in."""
    if entry.hash == entry_hash(entry):
        return True
    return (
        entry.payload_digest is not None
        and entry.hash == hashlib.sha256(entry.hashed_bytes()).hexdigest()
    )


@dataclass(frozen=True, slots=True)
class ChainBreak:
    emitter: str
    position: int | None
    message_id: str
    reason: str


def verify_chain(entries: Iterable[TrackingEntry]) -> ChainBreak | None:
    """The first broken entry of one holder's chain (entries in position order), or ``None``."""
    previous = GENESIS_HASH
    for entry in entries:
        if entry.prev_hash != previous:
            return ChainBreak(
                entry.holder or entry.emitter,
                entry.position,
                entry.message_id,
                "its previous-entry hash does not match the entry before it "
                "(an entry was deleted or edited)",
            )
        if not hash_holds(entry):
            return ChainBreak(
                entry.holder or entry.emitter,
                entry.position,
                entry.message_id,
                "its content does not match its hash (the entry was edited)",
            )
        previous = entry.hash
    return None


# --- push delivery ------------------------------------------------------------------------


def retry_delay(attempt: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential back-off after the ``attempt``-th failed try (1-based): base, 2 base, 4 base...
    capped at ``max_seconds``."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return timedelta(seconds=min(base_seconds * 2 ** (attempt - 1), max_seconds))


# --- signed checkpoints -------------------------------------------------------------------
# A hash chain shows an edit, unless the editor recomputes every hash after it. A checkpoint
# signs the head (position, hash) of every emitter's chain with a key kept outside the database;
# a chain rewritten after a checkpoint no longer holds the signed head.


def checkpoint_document(heads: Mapping[str, tuple[int, str]], at: datetime) -> bytes:
    """The bytes a checkpoint signs: its time and every chain's head, as canonical JSON."""
    body = {
        "at": at.isoformat(timespec="microseconds"),
        "heads": {emitter: [position, digest] for emitter, (position, digest) in heads.items()},
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def check_heads(
    heads: Mapping[str, tuple[int, str]],
    entries: Mapping[str, Mapping[int, TrackingEntry]],
    checkpoint: int,
) -> ChainBreak | None:
    """The first signed head (from checkpoint number ``checkpoint``) that the tracking file no
    longer holds: the entry at that position is gone, or its hash differs."""
    for emitter, (position, digest) in sorted(heads.items()):
        entry = entries.get(emitter, {}).get(position)
        if entry is None or entry.hash != digest:
            return ChainBreak(
                emitter,
                position,
                entry.message_id if entry else "",
                f"checkpoint {checkpoint} signed this entry's hash, and the tracking file no "
                "longer holds it: the chain was rewritten after the checkpoint",
            )
    return None
