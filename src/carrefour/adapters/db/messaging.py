"""Repositories of messages, mailboxes and the tracking file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Row, and_, func, insert, select, text, update

from carrefour.adapters.db import staging
from carrefour.adapters.db import tables as t
from carrefour.domain.messages import (
    GENESIS_HASH,
    Message,
    TrackingEntry,
    content_digest,
    content_digest_of,
    entry_hash,
    link,
)
from carrefour.services.unit_of_work import (
    Checkpoint,
    DeliveryRow,
    EntryRow,
    MailboxRow,
    MessageRow,
)

_MESSAGE_COLUMNS = (
    "niss", "id", "flow", "sender", "event_date", "period", "payload", "in_reply_to",
    "created_at",
)  # fmt: skip
_TRACKING_COLUMNS = (
    "position", "emitter", "message_id", "flow", "recipient", "niss", "event_date", "rule_id",
    "sent_at", "status", "prev_hash", "hash", "holder", "payload_digest",
)  # fmt: skip
#: Their types on PostgreSQL (``staging.write_rows``).
_TRACKING_TYPES = (
    "int8", "text", "text", "text", "text", "text", "date", "text", "timestamptz", "text",
    "text", "text", "text", "text",
)  # fmt: skip


# Any constant will do: it names the lock that orders mailbox positions on PostgreSQL.
_MAILBOX_LOCK_KEY = 7_280_001


def _message(row: Row[Any], prefix: str = "") -> Message:
    """A message from a row of ``messages``, its columns named with ``prefix`` in a join."""
    m = row._mapping
    return Message(
        id=m[prefix + "id"],
        flow=m[prefix + "flow"],
        sender=m[prefix + "sender"],
        niss=m[prefix + "niss"],
        event_date=m[prefix + "event_date"],
        period=m[prefix + "period"],
        payload=dict(m[prefix + "payload"]),
        created_at=m[prefix + "created_at"],
        in_reply_to=m[prefix + "in_reply_to"],
    )


class SqlMessageRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, message: Message) -> None:
        self.add_many([message])

    def add_many(
        self, messages: Sequence[Message], *, payload_texts: Sequence[str] | None = None
    ) -> None:
        texts = (
            [staging.json_text(dict(m.payload)) for m in messages]
            if payload_texts is None
            else payload_texts
        )
        for message, payload_text in zip(messages, texts, strict=True):  # few: one each
            row = (message.niss, message.id, message.flow, message.sender, message.event_date,
                   message.period, payload_text, message.in_reply_to)  # fmt: skip
            self.write([row], at=message.created_at)

    def write(self, rows: Sequence[MessageRow], *, at: datetime) -> None:
        if not rows:
            return
        if staging.is_postgres(self._conn):
            values: list[tuple[Any, ...]] = [(*row, at) for row in rows]
        else:
            day, created = staging.sqlite_date, staging.sqlite_instant(at)
            values = [
                (niss, id_, flow, sender, day(event_date), period, payload, in_reply_to, created)
                for niss, id_, flow, sender, event_date, period, payload, in_reply_to in rows
            ]
        staging.write_rows(self._conn, "messages", _MESSAGE_COLUMNS, values)

    def get(self, message_id: str) -> Message | None:
        row = self._conn.execute(select(t.messages).where(t.messages.c.id == message_id)).first()
        return None if row is None else _message(row)

    def of_niss(self, niss: str) -> list[Message]:
        c = t.messages.c
        query = select(t.messages).where(c.niss == niss).order_by(c.created_at, c.id)
        return [_message(row) for row in self._conn.execute(query)]

    def payloads(self, message_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        c = t.messages.c
        found: dict[str, Mapping[str, Any]] = {}
        ids = sorted(set(message_ids))
        for start in range(0, len(ids), 500):
            query = select(c.id, c.payload).where(c.id.in_(ids[start : start + 500]))
            found.update({str(r.id): dict(r.payload) for r in self._conn.execute(query)})
        return found

    def unregistered_senders(self) -> dict[str, int]:
        return _unregistered(self._conn, t.messages.c.sender)


def _unregistered(conn: Connection, column: Column[str]) -> dict[str, int]:
    """Each value of ``column`` that is no institution's id, with its count of rows: one
    set-based query (an anti-join on the institutions' key), sorted by value."""
    registered = select(t.institutions.c.id).where(t.institutions.c.id == column).exists()
    query = select(column, func.count()).where(~registered).group_by(column).order_by(column)
    return {str(value): int(rows) for value, rows in conn.execute(query)}


def lock_mailbox_positions(conn: Connection) -> None:
    """Positions are the pull cursor: make them commit in order (PostgreSQL)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MAILBOX_LOCK_KEY})


def _mailbox_row(row: Row[Any]) -> MailboxRow:
    return MailboxRow(
        position=row.position,
        recipient=row.recipient,
        message_id=row.message_id,
        niss=row.niss,
        flow=row.flow,
        sender=row.sender,
        rule_id=row.rule_id,
        fields=tuple(row.fields),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        acknowledged_at=row.acknowledged_at,
        ack_result=row.ack_result,
        ack_reason=row.ack_reason,
        replay=row.replay,
    )


_MAILBOX_COLUMNS = [c for c in t.mailbox.c if c.name != "position"]
_MAILBOX_NAMES = (
    "recipient", "message_id", "niss", "flow", "sender", "rule_id", "fields", "status",
    "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at",
    "acknowledged_at", "ack_result", "ack_reason", "replay",
)  # fmt: skip
# A first delivery: the columns ``deliver`` writes (no attempt yet, replay 0, the rest NULL).
_DELIVERY_NAMES = (
    "recipient", "message_id", "niss", "flow", "sender", "rule_id", "fields", "status",
    "next_attempt_at", "created_at", "attempts", "replay",
)  # fmt: skip


class SqlMailboxRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_many(self, rows: Sequence[MailboxRow]) -> None:
        if not rows:
            return
        pg = staging.is_postgres(self._conn)
        if pg:
            self._lock_positions()
        instant = staging.as_is if pg else staging.sqlite_instant
        staging.write_rows(
            self._conn,
            "mailbox",
            _MAILBOX_NAMES,
            [
                (
                    r.recipient,
                    r.message_id,
                    r.niss,
                    r.flow,
                    r.sender,
                    r.rule_id,
                    staging.fields_text(tuple(r.fields)),
                    r.status,
                    r.attempts,
                    instant(r.next_attempt_at),
                    r.last_error,
                    instant(r.created_at),
                    instant(r.delivered_at),
                    instant(r.acknowledged_at),
                    r.ack_result,
                    r.ack_reason,
                    r.replay,
                )
                for r in rows
            ],
        )

    def deliver(self, rows: Sequence[DeliveryRow], *, at: datetime) -> None:
        if not rows:
            return
        pg = staging.is_postgres(self._conn)
        if pg:
            self._lock_positions()
        instant = at if pg else staging.sqlite_instant(at)
        fields_text = staging.fields_text
        staging.write_rows(
            self._conn,
            "mailbox",
            _DELIVERY_NAMES,
            [
                (recipient, message_id, niss, flow, sender, rule_id, fields_text(fields), status,
                 instant, instant, 0, 0)
                for recipient, message_id, niss, flow, sender, rule_id, fields, status in rows
            ],
        )  # fmt: skip

    def _lock_positions(self) -> None:
        lock_mailbox_positions(self._conn)

    def page(
        self, recipient: str, *, after: int | None, limit: int
    ) -> list[tuple[MailboxRow, Message]]:
        m, b = t.messages.c, t.mailbox.c
        query = (
            select(t.mailbox, *[col.label(f"m_{col.name}") for col in t.messages.c])
            .join(t.messages, and_(m.niss == b.niss, m.id == b.message_id))
            .where(b.recipient == recipient)
        )
        if after is not None:
            query = query.where(b.position > after)
        query = query.order_by(b.position).limit(limit)
        return [(_mailbox_row(row), _message(row, "m_")) for row in self._conn.execute(query)]

    def get(self, recipient: str, message_id: str) -> MailboxRow | None:
        b = t.mailbox.c
        row = self._conn.execute(
            select(t.mailbox)
            .where(b.recipient == recipient, b.message_id == message_id)
            .order_by(b.replay.desc())
            .limit(1)
        ).first()
        return None if row is None else _mailbox_row(row)

    def of_message(self, message_id: str) -> list[MailboxRow]:
        b = t.mailbox.c
        query = select(t.mailbox).where(b.message_id == message_id).order_by(b.position)
        return [_mailbox_row(row) for row in self._conn.execute(query)]

    def update(self, row: MailboxRow) -> None:
        values = {c.name: getattr(row, c.name) for c in _MAILBOX_COLUMNS}
        self._conn.execute(
            update(t.mailbox).where(t.mailbox.c.position == row.position).values(values)
        )

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        if not positions:
            return
        b = t.mailbox.c
        # The rows are found by their positions (the key); the status is checked on each row
        # found, through an expression no index serves: a plan through the status index would
        # read every queued row of every mailbox for each page pulled.
        self._conn.execute(
            update(t.mailbox)
            .where(b.position.in_(list(positions)), func.coalesce(b.status, "") == "queued")
            .values(status="delivered", delivered_at=at)
        )

    def lease(self, position: int, until: datetime) -> None:
        self._conn.execute(
            update(t.mailbox).where(t.mailbox.c.position == position).values(next_attempt_at=until)
        )

    def record_push(
        self,
        position: int,
        *,
        status: str,
        attempts: int,
        next_attempt_at: datetime | None,
        last_error: str | None,
        at: datetime,
    ) -> None:
        """Record a push attempt. The state changes only while the row is still queued: a row
        pulled or acknowledged meanwhile keeps its newer state."""
        b = t.mailbox.c
        self._conn.execute(
            update(t.mailbox)
            .where(b.position == position)
            .values(attempts=attempts, next_attempt_at=next_attempt_at, last_error=last_error)
        )
        if status != "queued":
            values: dict[str, Any] = {"status": status}
            if status == "delivered":
                values["delivered_at"] = at
            self._conn.execute(
                update(t.mailbox).where(b.position == position, b.status == "queued").values(values)
            )

    def requeue_failed(self, recipient: str, *, message_id: str | None, at: datetime) -> int:
        b = t.mailbox.c
        query = update(t.mailbox).where(b.recipient == recipient, b.status == "failed")
        if message_id is not None:
            query = query.where(b.message_id == message_id)
        result = self._conn.execute(
            query.values(status="queued", attempts=0, next_attempt_at=at, last_error=None)
        )
        return int(result.rowcount)

    def due_for_push(self, now: datetime, limit: int) -> list[tuple[MailboxRow, str]]:
        """Queued rows whose recipient has a push endpoint and whose next try is due, each with
        the endpoint. On PostgreSQL the rows are locked, skipping those another worker holds."""
        b, i = t.mailbox.c, t.institutions.c
        pushed = select(i.id).where(i.push_endpoint.is_not(None)).scalar_subquery()
        query = (
            select(t.mailbox, i.push_endpoint)
            .join(t.institutions, i.id == b.recipient)
            .where(
                b.status == "queued",
                # On the index (status, recipient, next_attempt_at): a range per push
                # recipient, not every queued row of the pulled mailboxes.
                b.recipient.in_(pushed),
                b.next_attempt_at <= now,
            )
            .order_by(b.next_attempt_at, b.position)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=t.mailbox)
        return [(_mailbox_row(row), str(row.push_endpoint)) for row in self._conn.execute(query)]

    def newest_with_status(self, status: str, *, limit: int) -> list[MailboxRow]:
        b = t.mailbox.c
        query = select(t.mailbox).where(b.status == status).order_by(b.position.desc()).limit(limit)
        return [_mailbox_row(row) for row in self._conn.execute(query)]

    def unregistered_recipients(self) -> dict[str, int]:
        return _unregistered(self._conn, t.mailbox.c.recipient)

    def counts(self, recipient: str | None = None) -> dict[str, int]:
        b = t.mailbox.c
        query = select(b.status, func.count()).group_by(b.status)
        if recipient is not None:
            query = query.where(b.recipient == recipient)
        return {str(status): int(count) for status, count in self._conn.execute(query)}


def _tracking(row: Row[Any]) -> TrackingEntry:
    return TrackingEntry(
        message_id=row.message_id,
        flow=row.flow,
        emitter=row.emitter,
        recipient=row.recipient,
        niss=row.niss,
        event_date=row.event_date,
        rule_id=row.rule_id,
        sent_at=row.sent_at,
        status=row.status,
        prev_hash=row.prev_hash,
        hash=row.hash,
        position=row.position,
        holder=row.holder or row.emitter,
        payload_digest=row.payload_digest,
    )


@lru_cache(maxsize=4096)
def _iso_day(value: date | None) -> str:
    """A date as a tracking hash covers it (ISO 8601, "" for none); a chunk's dates repeat."""
    return value.isoformat() if value else ""


def _chained(entry: TrackingEntry, holder: str, prev_hash: str, position: int) -> TrackingEntry:
    """``entry`` linked after ``prev_hash`` in ``holder``'s chain, hashed, at ``position``. The
    hash links the previous hash and the entry's content digest (domain.messages, format 2), so
    the content is hashed without ``prev_hash`` and the link made from that digest."""
    if entry.payload_digest is None:  # an entry of the legacy form: hashed as it was
        linked = replace(entry, holder=holder, prev_hash=prev_hash, hash="", position=position)
        return replace(linked, hash=entry_hash(linked))
    unlinked = entry if entry.holder == holder and entry.prev_hash == "" else (
        replace(entry, holder=holder, prev_hash="")
    )  # fmt: skip
    digest = link(prev_hash, content_digest(unlinked))
    return TrackingEntry(
        message_id=entry.message_id,
        flow=entry.flow,
        emitter=entry.emitter,
        recipient=entry.recipient,
        niss=entry.niss,
        event_date=entry.event_date,
        rule_id=entry.rule_id,
        sent_at=entry.sent_at,
        status=entry.status,
        prev_hash=prev_hash,
        hash=digest,
        position=position,
        holder=holder,
        payload_digest=entry.payload_digest,
    )


class SqlTrackingLog:
    """The tracking file: ``append`` and ``select``, nothing else."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _head(self, emitter: str) -> str:
        """The hash at the head of holder ``emitter``'s chain, locked for this transaction."""
        h = t.tracking_heads.c
        query = select(h.hash).where(h.emitter == emitter)
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                text(
                    "INSERT INTO tracking_heads (emitter, position, hash) "
                    "VALUES (:emitter, 0, :genesis) ON CONFLICT (emitter) DO NOTHING"
                ),
                {"emitter": emitter, "genesis": GENESIS_HASH},
            )
            query = query.with_for_update()
        value = self._conn.execute(query).scalar()
        if value is None:
            self._conn.execute(
                insert(t.tracking_heads).values(emitter=emitter, position=0, hash=GENESIS_HASH)
            )
            return GENESIS_HASH
        return str(value)

    def append(self, entries: Sequence[TrackingEntry]) -> list[TrackingEntry]:
        """Chain and store ``entries`` (their ``prev_hash`` and ``hash`` are computed here, in
        order): one read and one update of each holder's head, positions reserved in one
        statement, one bulk write (``COPY`` on PostgreSQL)."""
        if not entries:
            return []
        heads = self._heads(entry.holder or entry.emitter for entry in entries)
        positions = staging.next_positions(self._conn, "tracking", len(entries))
        stored: list[TrackingEntry] = []
        last: dict[str, int] = {}
        for entry, position in zip(entries, positions, strict=True):
            holder = entry.holder or entry.emitter
            linked = _chained(entry, holder, heads[holder], position)
            heads[holder] = linked.hash
            last[holder] = position
            stored.append(linked)
        pg = staging.is_postgres(self._conn)
        instant = staging.as_is if pg else staging.sqlite_instant
        day = staging.as_is if pg else staging.sqlite_date
        self._store(
            [
                (
                    e.position,
                    e.emitter,
                    e.message_id,
                    e.flow,
                    e.recipient,
                    e.niss,
                    day(e.event_date),
                    e.rule_id,
                    instant(e.sent_at),
                    e.status,
                    e.prev_hash,
                    e.hash,
                    e.holder,
                    e.payload_digest,
                )
                for e in stored
            ],
            heads,
            last,
        )
        return stored

    def append_rows(
        self,
        rows: Sequence[EntryRow],
        *,
        at: datetime,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """``append`` for rows sent ``at``: each row's content digest computed from its text
        fields (``domain.messages.content_digest_of``) and linked after its holder's head, in
        order, without an entry object per row.

        ``meanwhile``: the statements that come before these entries in the transaction (the
        messages and mailbox rows they track), run while a thread computes the content digests
        (the drivers release the GIL while a statement runs: the hashing, Python, takes the
        other core). The heads are locked after them, in the order every publication takes."""
        sent_text = at.isoformat(timespec="microseconds")
        iso = _iso_day

        def contents() -> list[str]:
            return [
                content_digest_of(
                    (holder, message_id, flow, emitter, recipient, niss, iso(event_date),
                     rule_id or "", sent_text, status, digest)
                )
                for (message_id, flow, emitter, recipient, niss, event_date, rule_id, status,
                     holder, digest) in rows
            ]  # fmt: skip

        if not rows:
            if meanwhile is not None:
                meanwhile()
            return
        if meanwhile is None:
            digests = contents()
        else:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracking") as pool:
                hashing = pool.submit(contents)
                meanwhile()
                digests = hashing.result()
        heads = self._heads(row[8] for row in rows)
        positions = staging.next_positions(self._conn, "tracking", len(rows))
        pg = staging.is_postgres(self._conn)
        sent = at if pg else staging.sqlite_instant(at)
        day = staging.as_is if pg else staging.sqlite_date
        values: list[tuple[Any, ...]] = []
        last: dict[str, int] = {}
        for (message_id, flow, emitter, recipient, niss, event_date, rule_id, status, holder,
             digest), position, content in zip(rows, positions, digests, strict=True):  # fmt: skip
            prev = heads[holder]
            hashed = heads[holder] = link(prev, content)
            last[holder] = position
            values.append(
                (position, emitter, message_id, flow, recipient, niss, day(event_date), rule_id,
                 sent, status, prev, hashed, holder, digest)
            )  # fmt: skip
        self._store(values, heads, last)

    def _heads(self, holders: Iterable[str]) -> dict[str, str]:
        """The head hash of each holder's chain, each locked for this transaction."""
        return {holder: self._head(holder) for holder in dict.fromkeys(holders)}

    def _store(
        self, values: Sequence[Sequence[Any]], heads: Mapping[str, str], last: Mapping[str, int]
    ) -> None:
        """Write chained rows (``_TRACKING_COLUMNS``, stored forms) and move each holder's head
        to its last one."""
        staging.write_rows(self._conn, "tracking", _TRACKING_COLUMNS, values, types=_TRACKING_TYPES)
        h = t.tracking_heads.c
        for holder, head in heads.items():
            self._conn.execute(
                update(t.tracking_heads)
                .where(h.emitter == holder)
                .values(hash=head, position=last[holder])
            )

    def select(
        self,
        *,
        niss: str | None = None,
        emitter: str | None = None,
        flow: str | None = None,
        flows: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int | None = None,
        recipient: str | None = None,
        before: int | None = None,
        newest_first: bool = False,
        holder: str | None = None,
    ) -> list[TrackingEntry]:
        c = t.tracking.c
        query = select(t.tracking)
        if holder is not None:
            query = query.where(c.holder == holder)
        if recipient is not None:
            query = query.where(c.recipient == recipient)
        if before is not None:
            query = query.where(c.position < before)
        if niss is not None:  # through the person's messages: ix_tracking_message (0019)
            person = select(t.messages.c.id).where(t.messages.c.niss == niss)
            query = query.where(c.message_id.in_(person))
        if emitter is not None:
            query = query.where(c.emitter == emitter)
        if flow is not None:
            query = query.where(c.flow == flow)
        if flows is not None:
            query = query.where(c.flow.in_(list(flows)))
        if since is not None:
            query = query.where(c.event_date >= since)
        if until is not None:
            query = query.where(c.event_date <= until)
        query = query.order_by(c.position.desc() if newest_first else c.position)
        if limit is not None:
            query = query.limit(limit)
        return [_tracking(row) for row in self._conn.execute(query)]

    def emitters(self) -> list[str]:
        h = t.tracking_heads.c
        return [str(e) for e in self._conn.execute(select(h.emitter).order_by(h.emitter)).scalars()]

    def head(self, emitter: str) -> tuple[int, str] | None:
        h = t.tracking_heads.c
        row = self._conn.execute(select(h.position, h.hash).where(h.emitter == emitter)).first()
        return None if row is None else (int(row.position), str(row.hash))

    def heads(self) -> dict[str, tuple[int, str]]:
        h = t.tracking_heads.c
        query = select(h.emitter, h.position, h.hash).where(h.position > 0)
        return {str(r.emitter): (int(r.position), str(r.hash)) for r in self._conn.execute(query)}

    def add_checkpoint(self, checkpoint: Checkpoint) -> int:
        return int(
            self._conn.execute(
                insert(t.tracking_checkpoints)
                .values(
                    at=checkpoint.at,
                    heads={e: [p, d] for e, (p, d) in checkpoint.heads.items()},
                    signature=checkpoint.signature,
                    public_key=checkpoint.public_key,
                )
                .returning(t.tracking_checkpoints.c.position)
            ).scalar_one()
        )

    def checkpoints(self) -> list[Checkpoint]:
        c = t.tracking_checkpoints.c
        return [
            Checkpoint(
                at=row.at,
                heads={e: (int(p), str(d)) for e, (p, d) in dict(row.heads).items()},
                signature=row.signature,
                public_key=row.public_key,
                position=int(row.position),
            )
            for row in self._conn.execute(select(t.tracking_checkpoints).order_by(c.position))
        ]
