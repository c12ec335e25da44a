"""The status chain and the chained checkpoints, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Text,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)

from carrefour.adapters.db import staging
from carrefour.adapters.db import tables as t
from carrefour.adapters.db.tables_evidence import (
    client_certificates,
    status_heads,
    status_log,
    tracking_checkpoints,
    worker_heartbeats,
)
from carrefour.domain.evidence import MailboxState, SignedCheckpoint, StatusEntry, chain_status
from carrefour.domain.messages import GENESIS_HASH, PURGED
from carrefour.services.unit_of_work import ClientCertificate

#: The advisory lock that makes checkpoints one after the other on PostgreSQL.
_CHECKPOINT_LOCK = 7_270_012


def _entry(row: Row[Any]) -> StatusEntry:
    return StatusEntry(
        holder=row.holder,
        message_id=row.message_id,
        replay=int(row.replay),
        niss=row.niss,
        status=row.status,
        ack_result=row.ack_result,
        event=row.event,
        at=row.at,
        prev_hash=row.prev_hash,
        digest=row.digest,
        hash=row.hash,
        position=int(row.position),
    )


def _state(row: Row[Any]) -> MailboxState:
    return MailboxState(
        holder=row.recipient,
        message_id=row.message_id,
        replay=int(row.replay),
        niss=row.niss,
        status=row.status,
        ack_result=row.ack_result,
    )


def _heads(body: Any) -> dict[str, tuple[int, str]]:
    return {str(k): (int(v[0]), str(v[1])) for k, v in dict(body or {}).items()}


#: The columns of a status entry, in the order of the bulk write's values.
_STATUS_COLUMNS = tuple(c.name for c in status_log.c)


class SqlStatusLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _head(self, holder: str) -> str:
        h = status_heads.c
        query = select(h.hash).where(h.holder == holder)
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                text(
                    "INSERT INTO status_heads (holder, position, hash) "
                    "VALUES (:holder, 0, :genesis) ON CONFLICT (holder) DO NOTHING"
                ),
                {"holder": holder, "genesis": GENESIS_HASH},
            )
            query = query.with_for_update()
        value = self._conn.execute(query).scalar()
        if value is None:
            self._conn.execute(
                insert(status_heads).values(holder=holder, position=0, hash=GENESIS_HASH)
            )
            return GENESIS_HASH
        return str(value)

    def append(self, entries: Sequence[StatusEntry]) -> list[StatusEntry]:
        if not entries:
            return []
        # Heads are locked in holder order: two transactions never wait on each other in a ring.
        heads = {holder: self._head(holder) for holder in sorted({e.holder for e in entries})}
        chained = chain_status(entries, heads)
        # One bulk write at positions reserved ahead (a drain appends a page of 1,000 at once).
        positions = staging.next_positions(self._conn, "status_log", len(chained))
        stored = [replace(e, position=p) for e, p in zip(chained, positions, strict=True)]
        postgres = staging.is_postgres(self._conn)
        staging.write_rows(
            self._conn,
            "status_log",
            _STATUS_COLUMNS,
            [(e.position, e.holder, e.message_id, e.replay, e.niss, e.status, e.ack_result,
              e.event, e.at if postgres else staging.sqlite_instant(e.at), e.prev_hash,
              e.digest, e.hash) for e in stored],
        )  # fmt: skip
        last: dict[str, StatusEntry] = {e.holder: e for e in stored}
        for holder, entry in last.items():
            self._conn.execute(
                update(status_heads)
                .where(status_heads.c.holder == holder)
                .values(hash=entry.hash, position=entry.position)
            )
        return stored

    def select(self, *, holder: str | None = None, niss: str | None = None) -> list[StatusEntry]:
        c = status_log.c
        query = select(status_log).order_by(c.position)
        if holder is not None:
            query = query.where(c.holder == holder)
        if niss is not None:
            query = query.where(c.niss == niss)
        return [_entry(row) for row in self._conn.execute(query)]

    def heads(self) -> dict[str, tuple[int, str]]:
        h = status_heads.c
        query = select(h.holder, h.position, h.hash).where(h.position > 0)
        return {str(r.holder): (int(r.position), str(r.hash)) for r in self._conn.execute(query)}

    def mailbox_states(self) -> list[MailboxState]:
        query = select(t.mailbox).order_by(t.mailbox.c.position)
        return [_state(row) for row in self._conn.execute(query)]

    def mailbox_state(self, position: int) -> MailboxState | None:
        row = self._conn.execute(select(t.mailbox).where(t.mailbox.c.position == position)).first()
        return None if row is None else _state(row)

    def failed(self, recipient: str, *, message_id: str | None) -> list[MailboxState]:
        b = t.mailbox.c
        query = (
            select(t.mailbox)
            .where(b.recipient == recipient, b.status == "failed")
            .order_by(b.position)
        )
        if message_id is not None:
            query = query.where(b.message_id == message_id)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return [_state(row) for row in self._conn.execute(query)]

    def add_checkpoint(self, checkpoint: SignedCheckpoint) -> int:
        c = tracking_checkpoints.c
        values = {
            "at": checkpoint.at,
            "heads": {e: [p, d] for e, (p, d) in checkpoint.heads.items()},
            "status_heads": {e: [p, d] for e, (p, d) in checkpoint.status_heads.items()},
            "previous": checkpoint.previous,
            "signature": checkpoint.signature,
            "public_key": checkpoint.public_key,
            "log_head": None if checkpoint.log_head is None else list(checkpoint.log_head),
        }
        query = insert(tracking_checkpoints).values(values).returning(c.position)
        return int(self._conn.execute(query).scalar_one())

    def checkpoints(self, *, lock: bool = False) -> list[SignedCheckpoint]:
        c = tracking_checkpoints.c
        if lock and self._conn.dialect.name == "postgresql":
            self._conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHECKPOINT_LOCK}
            )
        return [
            SignedCheckpoint(
                number=int(row.position),
                at=row.at,
                heads=_heads(row.heads),
                status_heads=_heads(row.status_heads),
                previous=row.previous,
                signature=row.signature,
                public_key=row.public_key,
                log_head=None
                if row.log_head is None
                else (int(row.log_head[0]), str(row.log_head[1])),
            )
            for row in self._conn.execute(select(tracking_checkpoints).order_by(c.position))
        ]

    def clear_payloads(self, before: datetime, *, limit: int) -> int:
        m = t.messages.c
        chunk = (
            select(m.niss, m.id)
            .where(m.created_at < before, ~cast(m.payload, Text).contains(f'"{PURGED}"'))
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            chunk = chunk.with_for_update(skip_locked=True)
        keys = [tuple(row) for row in self._conn.execute(chunk)]
        if not keys:
            return 0
        result = self._conn.execute(
            update(t.messages)
            .where(tuple_(m.niss, m.id).in_(keys))
            .values(payload={PURGED: before.isoformat(timespec="seconds")})
        )
        return int(result.rowcount)


class SqlHeartbeats:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def beat(self, worker: str, at: datetime) -> None:
        h = worker_heartbeats.c
        changed = self._conn.execute(
            update(worker_heartbeats).where(h.worker == worker).values(at=at)
        ).rowcount
        if not changed:
            self._conn.execute(insert(worker_heartbeats).values(worker=worker, at=at))

    def newest(self) -> datetime | None:
        value = self._conn.execute(select(func.max(worker_heartbeats.c.at))).scalar()
        return value if isinstance(value, datetime) else None


class SqlCertificateRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, certificate: ClientCertificate) -> None:
        c = client_certificates.c
        self._conn.execute(
            delete(client_certificates).where(c.fingerprint == certificate.fingerprint)
        )
        self._conn.execute(
            insert(client_certificates).values(
                {name: getattr(certificate, name) for name in ClientCertificate.__slots__}
            )
        )

    def get(self, fingerprint: str) -> ClientCertificate | None:
        c = client_certificates.c
        row = self._conn.execute(
            select(client_certificates).where(c.fingerprint == fingerprint)
        ).first()
        if row is None:
            return None
        return ClientCertificate(
            **{name: getattr(row, name) for name in ClientCertificate.__slots__}
        )
