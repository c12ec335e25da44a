"""Publishing: a message, its mailbox rows and its tracking entries, in the caller's transaction.

The use case that causes a message calls ``publish`` and then commits once: the message, its
mailbox entries (the outbox of push delivery) and its tracking entries commit with the write that
caused them, or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import msgspec

from carrefour.domain.messages import (
    DeliveryStatus,
    Message,
    TrackingEntry,
    canonical_payload,
    tracking_holder,
)
from carrefour.domain.routing import Recipient
from carrefour.services.ids import new_ids
from carrefour.services.unit_of_work import (
    DeliveryRow,
    EntryRow,
    MessageRow,
    Pick,
    StagedMessage,
    UnitOfWork,
)


class Encoded(msgspec.Struct, frozen=True, gc=False):
    """A payload as the hub stores and tracks it: its canonical JSON text (the message's stored
    payload) and that text's SHA-256 (``sha256``, 32 bytes). A batch encodes each voucher once:
    for its duplicate check, which keeps the 32 bytes of every record, its message and its
    entries. The hex form (``digest``) is made only for a payload that is tracked, where its
    entries are written: most of a large file's records are checked, not all are routed."""

    payload: Mapping[str, Any]
    text: str
    sha256: bytes

    @property
    def digest(self) -> str:
        """The SHA-256 hex of ``text``: the ``payload_digest`` of the payload's tracking entries
        (``domain.messages.payload_digest``)."""
        return self.sha256.hex()


#: The values msgspec writes exactly as ``json.dumps`` does (a float only between 1e-4 and
#: 1e16, where neither writes an exponent; outside it each writes its own exponent form).
_PLAIN: Final = frozenset({str, int, bool, type(None)})
_SORTED_JSON: Final = msgspec.json.Encoder(order="sorted")
_JSON: Final = msgspec.json.Encoder()


def _plain(payload: Mapping[str, Any]) -> bool:
    for key, value in payload.items():
        kind = type(value)
        if type(key) is not str:
            return False
        if kind in _PLAIN:
            continue
        if kind is float and (value == 0.0 or 1e-4 <= abs(value) < 1e16):
            continue
        return False
    return True


def canonical_bytes(payload: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """``domain.messages.canonical_payload`` of ``payload``, the same bytes, fast: a flat payload
    of strings, integers, booleans, nulls and plainly written floats (every voucher) is written
    by msgspec with sorted keys, about four times faster than the standard library, which
    writes any other payload.

    ``plain``: the caller knows the payload is such a flat one and its keys are already in
    sorted order (``Voucher.plain_payload``): it is written as it is, neither scanned nor
    sorted."""
    if plain:
        return _JSON.encode(payload)
    if _plain(payload):
        return _SORTED_JSON.encode(payload)
    return canonical_payload(payload)


def encode(payload: Mapping[str, Any], *, plain: bool = False) -> Encoded:
    """``payload`` encoded once, canonically (``domain.messages.canonical_payload``); ``plain``
    as ``canonical_bytes`` takes it."""
    canonical = canonical_bytes(payload, plain=plain)
    return Encoded(payload, canonical.decode(), hashlib.sha256(canonical).digest())


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish: what ``publish`` takes, as a value for ``publish_many``.

    ``tracked_only``: recipients that get a tracking entry but no mailbox row (``paper``: the
    message went on paper instead of to a mailbox). ``encoded``: the payload already encoded
    (``encode``), when the caller has it."""

    flow: str
    sender: str
    niss: str
    payload: Mapping[str, Any]
    recipients: Sequence[Recipient]
    event_date: date | None = None
    period: str | None = None
    in_reply_to: str | None = None
    message_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.QUEUED
    tracked_only: Sequence[str] = ()
    encoded: Encoded | None = None


class Staged(msgspec.Struct, frozen=True, gc=False):
    """A message to route by the person directory in a set (``road.route_staged``): about
    ``niss``, its recipients looked up on ``days[0]``, or on ``days[1]`` when the first finds
    none, its payload already encoded. A struct, as ``Encoded``: a batch makes one per voucher,
    and a frozen dataclass's ``__init__`` (an ``object.__setattr__`` per field) costs about ten
    times as much."""

    niss: str
    days: tuple[date, date]
    encoded: Encoded
    event_date: date | None = None
    period: str | None = None
    in_reply_to: str | None = None


def stage_rows(staged: Sequence[Staged], ids: Sequence[str]) -> list[StagedMessage]:
    """The rows ``uow.routing.stage`` takes for ``staged``, whose messages get ``ids``."""
    return [
        (seq, s.niss, message_id, s.days[0], s.days[1], s.event_date, s.period, s.encoded.text,
         s.in_reply_to)
        for seq, (s, message_id) in enumerate(zip(staged, ids, strict=True))
    ]  # fmt: skip


def publish_staged(
    uow: UnitOfWork,
    *,
    flow: str,
    sender: str,
    staged: Sequence[Staged],
    ids: Sequence[str],
    picks: Sequence[Pick],
    at: datetime,
) -> None:
    """``publish_many`` for the staged messages the routing stage picked recipients for: the
    messages and mailbox rows written from the stage by the database (while the tracking
    entries' digests are computed beside), the tracking entries chained here in the same
    (position, institution) order; the caller commits."""
    status = DeliveryStatus.QUEUED.value
    holder = tracking_holder(uow.catalogue, sender)
    entries: list[EntryRow] = []
    last, digest = -1, ""
    for seq, institution, rule_id in picks:
        s = staged[seq]
        if seq != last:  # a message's picks come together: its hex digest made once
            last, digest = seq, s.encoded.digest
        entries.append(
            (ids[seq], flow, sender, institution, s.niss, s.event_date, rule_id, status, holder,
             digest)
        )  # fmt: skip
    uow.tracking.append_rows(
        entries,
        at=at,
        meanwhile=lambda: uow.routing.publish(flow=flow, sender=sender, status=status, at=at),
    )


def tracking_entry(
    message: Message,
    recipient: str,
    rule_id: str | None,
    *,
    at: datetime,
    status: str,
    holder: str,
    digest: str,
) -> TrackingEntry:
    """The tracking entry of ``message`` sent to ``recipient`` under ``rule_id``, not yet linked
    into its holder's chain (the tracking log links it when it appends it)."""
    return TrackingEntry(
        message_id=message.id,
        flow=message.flow,
        emitter=message.sender,
        recipient=recipient,
        niss=message.niss,
        event_date=message.event_date,
        rule_id=rule_id,
        sent_at=at,
        status=status,
        prev_hash="",
        holder=holder,
        payload_digest=digest,
    )


def publish_many(
    uow: UnitOfWork, outgoing: Sequence[Outgoing], *, at: datetime | None = None
) -> list[str]:
    """Store messages for their recipients and track them, in set-based writes (one bulk write
    per table, rows built as tuples), all made ``at`` (now by default); the caller commits. The
    messages' ids, in order."""
    now = at or uow.clock.now()
    catalogue = uow.catalogue
    ids = new_ids(len(outgoing))
    holders: dict[str, str] = {}
    granted: dict[frozenset[str], tuple[str, ...]] = {}
    messages: list[MessageRow] = []
    deliveries: list[DeliveryRow] = []
    entries: list[EntryRow] = []
    for o, fresh in zip(outgoing, ids, strict=True):
        message_id = o.message_id or fresh
        niss, flow, sender = o.niss, o.flow, o.sender
        encoded = o.encoded or encode(o.payload)
        messages.append(
            (niss, message_id, flow, sender, o.event_date, o.period, encoded.text, o.in_reply_to)
        )
        holder = holders.get(sender)
        if holder is None:
            holder = holders[sender] = tracking_holder(catalogue, sender)
        status = o.status.value
        digest = encoded.digest
        for r in o.recipients:
            fields = granted.get(r.fields)
            if fields is None:
                fields = granted[r.fields] = tuple(sorted(r.fields))
            deliveries.append(
                (r.institution, message_id, niss, flow, sender, r.rule_id, fields, status)
            )
            entries.append(
                (message_id, flow, sender, r.institution, niss, o.event_date, r.rule_id, status,
                 holder, digest)
            )  # fmt: skip
        entries.extend(
            (message_id, flow, sender, name, niss, o.event_date, None, status, holder, digest)
            for name in o.tracked_only
        )
    uow.messages.write(messages, at=now)
    uow.mailbox.deliver(deliveries, at=now)
    uow.tracking.append_rows(entries, at=now)
    return [m[1] for m in messages]


def publish(
    uow: UnitOfWork,
    *,
    flow: str,
    sender: str,
    niss: str,
    payload: Mapping[str, Any],
    recipients: Sequence[Recipient],
    event_date: date | None = None,
    period: str | None = None,
    in_reply_to: str | None = None,
    message_id: str | None = None,
    status: DeliveryStatus = DeliveryStatus.QUEUED,
    tracked_only: Sequence[str] = (),
) -> Message:
    """Store a message for ``recipients`` (and ``tracked_only``) and track it; the caller
    commits."""
    now = uow.clock.now()
    [published] = publish_many(
        uow,
        [
            Outgoing(
                flow=flow,
                sender=sender,
                niss=niss,
                payload=payload,
                recipients=recipients,
                event_date=event_date,
                period=period,
                in_reply_to=in_reply_to,
                message_id=message_id,
                status=status,
                tracked_only=tracked_only,
            )
        ],
        at=now,
    )
    return Message(
        id=published,
        flow=flow,
        sender=sender,
        niss=niss,
        event_date=event_date,
        period=period,
        payload=dict(payload),
        created_at=now,
        in_reply_to=in_reply_to,
    )
