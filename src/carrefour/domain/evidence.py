"""Evidence that survives a database administrator: the status chain and chained checkpoints.

The tracking file proves what was sent. What became of it for each recipient (pulled, pushed,
accepted, rejected, corrected, failed, put back in the queue) is the **status chain**: one entry
per change of a mailbox row, chained per holder (the recipient whose mailbox it is). An entry's
hash covers the previous entry's hash and the *digest* of its own content, so a proof that a
later entry follows needs only the later entries' digests, never their content (no other
person's NISS in a proof).

Checkpoints sign the head of every tracking chain, of every status chain and of the consultation
log (its line count and last hash), and each names the digest of the checkpoint before it: the
checkpoints are a chain of their own. The same records
are appended to a file outside the database; a database whose checkpoints are missing, older
than the file's or different from them (a fork) was rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from carrefour.domain.messages import (
    GENESIS_HASH,
    ChainBreak,
    TrackingEntry,
    checkpoint_document,
    content_digest,
    hash_holds,
    link,
)

#: The statuses a mailbox row is created with: a row in one of them needs no status entry.
INITIAL_STATUSES = frozenset({"queued", "paper"})

Heads = Mapping[str, tuple[int, str]]


def canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the status chain -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MailboxState:
    """Where one mailbox row stands: the key of the row and the state the chain records."""

    holder: str
    message_id: str
    replay: int
    niss: str
    status: str
    ack_result: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.holder, self.message_id, self.replay)


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One change of one mailbox row: ``event`` (what happened) led to ``status``."""

    holder: str
    message_id: str
    replay: int
    niss: str
    status: str
    ack_result: str | None
    event: str
    at: datetime
    prev_hash: str = GENESIS_HASH
    digest: str = ""
    hash: str = ""
    position: int | None = None

    def content(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "message_id": self.message_id,
            "replay": self.replay,
            "niss": self.niss,
            "status": self.status,
            "ack_result": self.ack_result,
            "event": self.event,
            "at": self.at.isoformat(timespec="microseconds"),
        }

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.holder, self.message_id, self.replay)


def status_digest(entry: StatusEntry) -> str:
    return sha256(canonical(entry.content()))


def chain_status(entries: Sequence[StatusEntry], heads: Mapping[str, str]) -> list[StatusEntry]:
    """``entries`` with their digest, previous hash and hash, each chained after ``heads`` (the
    current head hash of each holder; absent: the genesis)."""
    current = dict(heads)
    chained = []
    for entry in entries:
        prev = current.get(entry.holder, GENESIS_HASH)
        digest = status_digest(entry)
        hashed = link(prev, digest)
        linked = StatusEntry(
            **{**_fields(entry), "prev_hash": prev, "digest": digest, "hash": hashed}
        )
        current[entry.holder] = hashed
        chained.append(linked)
    return chained


def _fields(entry: StatusEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in StatusEntry.__slots__}


def verify_status_chain(entries: Iterable[StatusEntry]) -> ChainBreak | None:
    """The first broken entry of one holder's status chain (in position order), or ``None``."""
    previous = GENESIS_HASH
    for entry in entries:
        if entry.prev_hash != previous:
            return ChainBreak(
                entry.holder,
                entry.position,
                entry.message_id,
                "status chain: its previous-entry hash does not match the entry before it "
                "(a status change was deleted or edited)",
            )
        if (
            status_digest(entry) != entry.digest
            or link(entry.prev_hash, entry.digest) != entry.hash
        ):
            return ChainBreak(
                entry.holder,
                entry.position,
                entry.message_id,
                "status chain: its content does not match its hash (the status change was edited)",
            )
        previous = entry.hash
    return None


def check_states(
    states: Iterable[MailboxState], latest: Mapping[tuple[str, str, int], StatusEntry]
) -> ChainBreak | None:
    """The first mailbox row whose status (or answer) is not the one its last recorded change
    led to: a row edited behind the hub's back."""
    for state in states:
        last = latest.get(state.key)
        if last is None:
            if state.status in INITIAL_STATUSES and state.ack_result is None:
                continue
            recorded = "no change was recorded since it was queued"
        elif last.status == state.status and last.ack_result == state.ack_result:
            continue
        else:
            recorded = f"its last recorded change (entry {last.position}) made it {last.status}"
            if last.ack_result:
                recorded += f" ({last.ack_result})"
        shown = state.status + (f" ({state.ack_result})" if state.ack_result else "")
        return ChainBreak(
            state.holder,
            last.position if last else None,
            state.message_id,
            f"the mailbox row says {shown} but {recorded}: the mailbox status was edited",
        )
    return None


# --- chained, signed checkpoints ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint as signed, in the database and in the checkpoint file alike.

    ``previous`` is the digest of the checkpoint before it (``GENESIS_HASH`` for the first);
    ``None`` marks a checkpoint made before checkpoints were chained (it signs the tracking heads
    alone, ``checkpoint_document``). ``log_head`` is the consultation log's head (lines, last
    hash) when it was signed; ``None`` on checkpoints made before it was (their document has no
    ``log_head`` key, so their signature still holds)."""

    number: int
    at: datetime
    heads: Heads
    status_heads: Heads
    previous: str | None
    signature: str
    public_key: str
    log_head: tuple[int, str] | None = None

    def document(self) -> bytes:
        """The bytes the signature covers."""
        if self.previous is None:
            return checkpoint_document(self.heads, self.at)
        body: dict[str, Any] = {
            "at": self.at.isoformat(timespec="microseconds"),
            "heads": _heads(self.heads),
            "status_heads": _heads(self.status_heads),
            "previous": self.previous,
        }
        if self.log_head is not None:
            body["log_head"] = list(self.log_head)
        return canonical(body)

    @property
    def digest(self) -> str:
        """What the next checkpoint names as its ``previous``."""
        return sha256(self.document() + self.signature.encode())

    def to_json(self) -> dict[str, Any]:
        extra = {} if self.log_head is None else {"log_head": list(self.log_head)}
        return {
            **extra,
            "number": self.number,
            "at": self.at.isoformat(timespec="microseconds"),
            "heads": _heads(self.heads),
            "status_heads": _heads(self.status_heads),
            "previous": self.previous,
            "signature": self.signature,
            "public_key": self.public_key,
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SignedCheckpoint:
        return cls(
            number=int(body["number"]),
            at=datetime.fromisoformat(str(body["at"])),
            heads=_parse_heads(body.get("heads") or {}),
            status_heads=_parse_heads(body.get("status_heads") or {}),
            previous=None if body.get("previous") is None else str(body["previous"]),
            signature=str(body["signature"]),
            public_key=str(body["public_key"]),
            log_head=_parse_log_head(body.get("log_head")),
        )


def _heads(heads: Heads) -> dict[str, list[Any]]:
    return {name: [position, digest] for name, (position, digest) in sorted(heads.items())}


def _parse_heads(body: Mapping[str, Any]) -> dict[str, tuple[int, str]]:
    return {str(name): (int(value[0]), str(value[1])) for name, value in body.items()}


def _parse_log_head(value: Any) -> tuple[int, str] | None:
    if value is None:
        return None
    lines, digest = value
    return (int(lines), str(digest))


def _broken(number: int, reason: str) -> ChainBreak:
    return ChainBreak("", number, "", reason)


def check_checkpoint_chain(
    checkpoints: Sequence[SignedCheckpoint], where: str
) -> ChainBreak | None:
    """Numbers follow each other and each chained checkpoint names the one before it."""
    before: SignedCheckpoint | None = None
    for signed in checkpoints:
        if before is not None and signed.number <= before.number:
            return _broken(signed.number, f"checkpoint {signed.number} of {where} is out of order")
        if signed.previous is not None:
            expected = GENESIS_HASH if before is None else before.digest
            if signed.previous != expected:
                return _broken(
                    signed.number,
                    f"checkpoint {signed.number} of {where} does not name the checkpoint before "
                    "it: a checkpoint was deleted, inserted or altered",
                )
        before = signed
    return None


def compare_with_file(
    stored: Sequence[SignedCheckpoint], journal: Sequence[SignedCheckpoint]
) -> ChainBreak | None:
    """The database's checkpoints against the file's: the same checkpoints, number for number.

    Missing from the database (deleted, the newest or all of them), different (a fork: the
    chains were rewritten and signed again, or a row was replaced) or missing from the file
    (the file was cut, or a checkpoint was added without it) each name the first difference."""
    ours = {c.number: c for c in stored}
    theirs = {c.number: c for c in journal}
    for number, written in sorted(theirs.items()):
        held = ours.get(number)
        if held is None:
            newest = max(ours, default=0)
            state = f"the newest is {newest}" if ours else "it holds none"
            return _broken(
                number,
                f"checkpoint {number} is in the checkpoint file but not in the database ({state}): "
                "checkpoints were deleted from the database",
            )
        if held.digest != written.digest:
            return _broken(
                number,
                f"checkpoint {number} of the database differs from the checkpoint file's: the "
                "checkpoint chain was forked (rewritten after the file recorded it)",
            )
    for number in sorted(ours):
        if number not in theirs and ours[number].previous is not None:
            return _broken(
                number,
                f"checkpoint {number} of the database is not in the checkpoint file: the file was "
                "cut or replaced, or the checkpoint was not written to it",
            )
    return None


def check_status_heads(
    heads: Heads, entries: Mapping[str, Mapping[int, StatusEntry]], number: int
) -> ChainBreak | None:
    """The first signed status-chain head that the database no longer holds."""
    for holder, (position, digest) in sorted(heads.items()):
        entry = entries.get(holder, {}).get(position)
        if entry is None or entry.hash != digest:
            return ChainBreak(
                holder,
                position,
                entry.message_id if entry else "",
                f"checkpoint {number} signed this status change's hash, and the status chain no "
                "longer holds it: the chain was rewritten after the checkpoint",
            )
    return None


# --- bundles: one person's entries, provable offline -----------------------------------------
# A bundle holds, for each chain where the person has entries, the segment of that chain from
# the person's first entry to a head signed by a checkpoint, the checkpoints, and the public
# key: anyone can recompute the segment and check the signature without the hub.

BUNDLE_FORMAT = "carrefour-tracking-bundle/1"

SignatureCheck = Callable[[str, bytes, str], bool]
"""(public key hex, document, signature hex) -> whether the signature is good."""


@dataclass(frozen=True, slots=True)
class BundleReport:
    niss: str
    tracking: int
    statuses: int
    unproved: int
    checkpoints: int
    broken: str | None


def _tracking_entry(body: Mapping[str, Any]) -> TrackingEntry:
    return TrackingEntry(
        message_id=str(body["message_id"]),
        flow=str(body["flow"]),
        emitter=str(body["emitter"]),
        recipient=str(body["recipient"]),
        niss=str(body["niss"]),
        event_date=None if body["event_date"] is None else date.fromisoformat(body["event_date"]),
        rule_id=body["rule_id"],
        sent_at=datetime.fromisoformat(str(body["sent_at"])),
        status=str(body["status"]),
        prev_hash=str(body["prev_hash"]),
        hash=str(body["hash"]),
        position=int(body["position"]),
        holder=str(body.get("holder") or body["emitter"]),
        payload_digest=body.get("payload_digest"),
    )


def tracking_json(entry: TrackingEntry, *, full: bool = True) -> dict[str, Any]:
    """A tracking entry of the person in full; of anyone else (format 2 only: see
    ``is_linked``), only its content digest and position."""
    if not full:
        return {"digest": content_digest(entry), "position": entry.position}
    return {
        **entry.legacy_content(),
        "holder": entry.holder,
        "payload_digest": entry.payload_digest,
        "hash": entry.hash,
        "position": entry.position,
    }


def status_json(entry: StatusEntry, *, full: bool) -> dict[str, Any]:
    """A status entry of the person in full; of anyone else, only its digest and position."""
    link_only = {"digest": entry.digest, "position": entry.position}
    if not full:
        return link_only
    return {**entry.content(), **link_only, "prev_hash": entry.prev_hash, "hash": entry.hash}


def _check_tracking(name: str, segment: Mapping[str, Any], head: tuple[int, str]) -> str | None:
    """Recompute the segment: a full entry must follow and match its own hash; an entry given
    by its digest alone (someone else's) is linked after the hash before it."""
    bodies = list(segment["entries"])
    if not bodies or "niss" not in bodies[0]:
        return f"tracking chain of {name}: the segment does not start with a full entry"
    previous = str(bodies[0]["prev_hash"])
    position = 0
    for body in bodies:
        position = int(body["position"])
        if "niss" not in body:
            previous = link(previous, str(body["digest"]))
            continue
        entry = _tracking_entry(body)
        if entry.prev_hash != previous or not hash_holds(entry):
            return f"tracking chain of {name}: entry {entry.position} does not follow or match"
        previous = entry.hash
    if (position, previous) != tuple(head):
        return f"tracking chain of {name} does not end at the head the checkpoint signed"
    return None


def _check_statuses(name: str, segment: Mapping[str, Any], head: tuple[int, str]) -> str | None:
    links = list(segment["entries"])
    if not links or "hash" not in links[0]:
        return f"status chain of {name}: the segment does not start with a full entry"
    previous = str(links[0]["prev_hash"])
    position = 0
    for body in links:
        digest = str(body["digest"])
        if "niss" in body:  # a full entry: its digest is recomputed from its content
            entry = StatusEntry(
                holder=str(body["holder"]),
                message_id=str(body["message_id"]),
                replay=int(body["replay"]),
                niss=str(body["niss"]),
                status=str(body["status"]),
                ack_result=body["ack_result"],
                event=str(body["event"]),
                at=datetime.fromisoformat(str(body["at"])),
            )
            if status_digest(entry) != digest:
                return f"status chain of {name}: entry {body['position']} does not match"
        previous = link(previous, digest)
        position = int(body["position"])
    if (position, previous) != tuple(head):
        return f"status chain of {name} does not end at the head the checkpoint signed"
    return None


def check_bundle(bundle: Mapping[str, Any], signature_ok: SignatureCheck) -> BundleReport:
    """Check a bundle with its public key alone: every checkpoint's signature, every segment
    recomputed up to the head its checkpoint signed."""
    niss = str(bundle.get("niss", ""))

    def report(broken: str | None, tracking: int = 0, statuses: int = 0) -> BundleReport:
        unproved = len(bundle.get("unproved", []))
        count = len(bundle.get("checkpoints", []))
        return BundleReport(niss, tracking, statuses, unproved, count, broken)

    if bundle.get("format") != BUNDLE_FORMAT:
        return report(f"not a bundle of format {BUNDLE_FORMAT}")
    key = str(bundle["public_key"])
    signed = {}
    for body in bundle["checkpoints"]:
        checkpoint = SignedCheckpoint.from_json(body)
        if checkpoint.public_key != key or not signature_ok(
            key, checkpoint.document(), checkpoint.signature
        ):
            return report(f"checkpoint {checkpoint.number} is not signed by the key {key[:16]}…")
        signed[checkpoint.number] = checkpoint
    tracking = statuses = 0
    for kind, chains in (("tracking", bundle["tracking"]), ("status", bundle["statuses"])):
        for name, segment in sorted(chains.items()):
            covering = signed.get(int(segment["checkpoint"]))
            if covering is None:
                return report(f"{kind} chain of {name} names a checkpoint the bundle lacks")
            heads = covering.heads if kind == "tracking" else covering.status_heads
            if name not in heads:
                return report(f"checkpoint {covering.number} signed no head of {name}")
            check = _check_tracking if kind == "tracking" else _check_statuses
            broken = check(name, segment, heads[name])
            if broken is not None:
                return report(broken, tracking, statuses)
            mine = [e for e in segment["entries"] if e.get("niss") == niss]
            if kind == "tracking":
                tracking += len(mine)
            else:
                statuses += len(mine)
    return report(None, tracking, statuses)
