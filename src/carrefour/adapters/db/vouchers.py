"""Repositories of documents, voucher batches, L410 insurability data and INAMI cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, select, update

from carrefour.adapters.db import staging
from carrefour.adapters.db import tables as t
from carrefour.services.unit_of_work import (
    Batch,
    Document,
    InamiCase,
    InsurabilityRecord,
    ProvisionalProof,
)


class SqlDocumentStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, document: Document) -> None:
        self._conn.execute(
            insert(t.documents).values(
                niss=document.niss,
                id=document.id,
                kind=document.kind,
                readers=list(document.readers),
                message_id=document.message_id,
                media_type=document.media_type,
                content=document.content,
                created_at=document.created_at,
            )
        )

    def get(self, document_id: str) -> Document | None:
        row = self._conn.execute(select(t.documents).where(t.documents.c.id == document_id)).first()
        if row is None:
            return None
        return Document(
            id=row.id,
            niss=row.niss,
            kind=row.kind,
            readers=tuple(row.readers),
            message_id=row.message_id,
            media_type=row.media_type,
            content=bytes(row.content),
            created_at=row.created_at,
        )


def _batch(row: Row[Any]) -> Batch:
    return Batch(
        id=row.id,
        sender=row.sender,
        content_hash=row.content_hash,
        idempotency_key=row.idempotency_key,
        format=row.format,
        status=row.status,
        total=row.total,
        accepted=row.accepted,
        rejected=row.rejected,
        routed=row.routed,
        paper=row.paper,
        error_code=row.error_code,
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        next_record=row.next_record,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
    )


_BATCH_FIELDS = [c.name for c in t.batches.c]


class SqlBatchRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, batch: Batch) -> None:
        self._conn.execute(insert(t.batches).values({f: getattr(batch, f) for f in _BATCH_FIELDS}))

    def update(self, batch: Batch) -> None:
        values = {f: getattr(batch, f) for f in _BATCH_FIELDS if f != "id"}
        self._conn.execute(update(t.batches).where(t.batches.c.id == batch.id).values(values))

    def get(self, batch_id: str) -> Batch | None:
        row = self._conn.execute(select(t.batches).where(t.batches.c.id == batch_id)).first()
        return None if row is None else _batch(row)

    def of_sender(self, sender: str | None, *, limit: int) -> list[Batch]:
        c = t.batches.c
        query = select(t.batches).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if sender is not None:
            query = query.where(c.sender == sender)
        return [_batch(row) for row in self._conn.execute(query)]

    def find(self, sender: str, *, content_hash: str, idempotency_key: str | None) -> Batch | None:
        c = t.batches.c
        condition = c.content_hash == content_hash
        if idempotency_key is not None:
            condition = condition | (c.idempotency_key == idempotency_key)
        row = self._conn.execute(select(t.batches).where(c.sender == sender, condition)).first()
        return None if row is None else _batch(row)

    def store_content(self, batch_id: str, content: bytes | Iterable[bytes] | None) -> None:
        files = t.batch_files
        self._conn.execute(delete(files).where(files.c.batch_id == batch_id))
        if content is None:
            return
        for number, piece in enumerate([content] if isinstance(content, bytes) else content):
            self._conn.execute(insert(files).values(batch_id=batch_id, piece=number, content=piece))

    def content(self, batch_id: str) -> bytes | None:
        count = self.content_pieces(batch_id)
        if not count:
            return None
        return b"".join(self.piece(batch_id, number) or b"" for number in range(count))

    def content_pieces(self, batch_id: str) -> int:
        files = t.batch_files
        query = select(func.count()).select_from(files).where(files.c.batch_id == batch_id)
        return int(self._conn.execute(query).scalar_one())

    def piece(self, batch_id: str, number: int) -> bytes | None:
        files = t.batch_files
        value = self._conn.execute(
            select(files.c.content).where(files.c.batch_id == batch_id, files.c.piece == number)
        ).scalar()
        return None if value is None else bytes(value)

    def claim(
        self, *, owner: str, now: datetime, until: datetime, batch_id: str | None = None
    ) -> Batch | None:
        c = t.batches.c
        expired = (c.status == "processing") & (c.lease_until.is_(None) | (c.lease_until < now))
        query = select(t.batches).where((c.status == "received") | expired)
        if batch_id is not None:
            query = query.where(c.id == batch_id)
        query = query.order_by(c.created_at).limit(1)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._conn.execute(query).first()
        if row is None:
            return None
        leased = {"status": "processing", "lease_owner": owner, "lease_until": until}
        self._conn.execute(update(t.batches).where(c.id == row.id).values(leased))
        return replace(_batch(row), status="processing", lease_owner=owner, lease_until=until)

    def hold(self, batch_id: str, *, owner: str, until: datetime) -> Batch | None:
        c = t.batches.c
        renewed = self._conn.execute(
            update(t.batches)
            .where(c.id == batch_id, c.lease_owner == owner, c.status == "processing")
            .values(lease_until=until)
            .returning(*t.batches.c)
        ).first()
        return None if renewed is None else _batch(renewed)

    def add_errors(self, batch_id: str, errors: Sequence[tuple[int, str, str]]) -> None:
        if errors:
            self._conn.execute(
                insert(t.batch_errors),
                [
                    {"batch_id": batch_id, "line": line, "code": code, "detail": detail}
                    for line, code, detail in errors
                ],
            )

    def errors(self, batch_id: str, *, limit: int) -> list[tuple[int, str, str]]:
        c = t.batch_errors.c
        query = select(c.line, c.code, c.detail).where(c.batch_id == batch_id).order_by(c.line)
        return [
            (int(r.line), str(r.code), str(r.detail))
            for r in self._conn.execute(query.limit(limit))
        ]


class SqlInsurabilityRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def put(self, record: InsurabilityRecord) -> None:
        c = t.insurability.c
        key = and_(c.niss == record.niss, c.quarter == record.quarter, c.cas == record.cas)
        values = {
            "contributor_category": record.contributor_category,
            "contributions": record.contributions,
            "closed": record.closed,
            "updated_at": record.updated_at,
        }
        if self._conn.execute(select(c.niss).where(key)).first() is None:
            self._conn.execute(
                insert(t.insurability).values(
                    niss=record.niss, quarter=record.quarter, cas=record.cas, **values
                )
            )
        else:
            self._conn.execute(update(t.insurability).where(key).values(values))

    def of(self, niss: str, *, quarter: str | None = None) -> list[InsurabilityRecord]:
        c = t.insurability.c
        query = select(t.insurability).where(c.niss == niss)
        if quarter is not None:
            query = query.where(c.quarter == quarter)
        return [
            InsurabilityRecord(
                niss=row.niss,
                quarter=row.quarter,
                cas=row.cas,
                contributor_category=row.contributor_category,
                contributions=row.contributions,
                closed=row.closed,
                updated_at=row.updated_at,
            )
            for row in self._conn.execute(query.order_by(c.quarter, c.cas))
        ]


def _case(row: Row[Any]) -> InamiCase:
    return InamiCase(
        id=row.id,
        niss=row.niss,
        mutuality=row.mutuality,
        begin=row.begin,
        end=row.end,
        reason=row.reason,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _proof(row: Row[Any]) -> ProvisionalProof:
    return ProvisionalProof(
        id=row.id,
        niss=row.niss,
        case_id=row.case_id,
        mutuality=row.mutuality,
        begin=row.begin,
        end=row.end,
        valid_until=row.valid_until,
        status=row.status,
        document_id=row.document_id,
        message_id=row.message_id,
        issued_at=row.issued_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
    )


_CASE_FIELDS = [c.name for c in t.inami_cases.c]
_PROOF_FIELDS = [c.name for c in t.provisional_proofs.c]


class SqlInamiRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_case(self, case: InamiCase) -> None:
        self._conn.execute(
            insert(t.inami_cases).values({f: getattr(case, f) for f in _CASE_FIELDS})
        )

    def update_case(self, case: InamiCase) -> None:
        c = t.inami_cases.c
        values = {f: getattr(case, f) for f in _CASE_FIELDS if f not in ("id", "niss")}
        self._conn.execute(
            update(t.inami_cases).where(c.niss == case.niss, c.id == case.id).values(values)
        )

    def case(self, case_id: str) -> InamiCase | None:
        row = self._conn.execute(select(t.inami_cases).where(t.inami_cases.c.id == case_id)).first()
        return None if row is None else _case(row)

    def cases(self, *, mutuality: str | None, limit: int) -> list[InamiCase]:
        c = t.inami_cases.c
        query = select(t.inami_cases)
        if mutuality is not None:
            query = query.where(c.mutuality == mutuality)
        query = query.order_by(c.created_at.desc(), c.id).limit(limit)
        return [_case(row) for row in self._conn.execute(query)]

    def add_proof(self, proof: ProvisionalProof) -> None:
        self._conn.execute(
            insert(t.provisional_proofs).values({f: getattr(proof, f) for f in _PROOF_FIELDS})
        )

    def proofs(self, niss: str, *, case_id: str | None = None) -> list[ProvisionalProof]:
        c = t.provisional_proofs.c
        query = select(t.provisional_proofs).where(c.niss == niss)
        if case_id is not None:
            query = query.where(c.case_id == case_id)
        return [_proof(row) for row in self._conn.execute(query.order_by(c.issued_at, c.id))]

    def active_proofs_of(self, nisses: Sequence[str]) -> list[ProvisionalProof]:
        if not nisses:
            return []
        # The persons of a chunk that have an active proof (few), found in one statement.
        having = staging.rows_keyed(
            self._conn, "provisional_proofs", "DISTINCT niss", "niss", nisses, "status = 'active'"
        )
        if not having:
            return []
        c = t.provisional_proofs.c
        query = select(t.provisional_proofs).where(
            c.niss.in_([str(niss) for (niss,) in having]), c.status == "active"
        )
        return [_proof(row) for row in self._conn.execute(query.order_by(c.issued_at, c.id))]

    def end_proof(self, niss: str, proof_id: str, *, status: str, at: datetime, by: str) -> None:
        c = t.provisional_proofs.c
        self._conn.execute(
            update(t.provisional_proofs)
            .where(c.niss == niss, c.id == proof_id)
            .values(status=status, ended_at=at, ended_by=by)
        )

    def active_proofs(self, niss: str, *, covering: date) -> list[ProvisionalProof]:
        return [
            p for p in self.proofs(niss) if p.status == "active" and p.begin <= covering <= p.end
        ]
