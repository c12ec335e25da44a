"""Repositories of the INAMI cell's case work (documents, interventions, closures) and of the
L410 requests forwarded to the CAS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Table, insert, select, update

from carrefour.adapters.db import tables_inami as t
from carrefour.services.unit_of_work import (
    CaseClosure,
    CaseDocument,
    InsurabilityRequest,
    Intervention,
)

R = TypeVar("R")


def _values(record: Any, table: Table) -> dict[str, Any]:
    """The row of a record whose fields are named like the table's columns."""
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name in table.c}


def _reader(kind: Callable[..., R], table: Table) -> Callable[[Row[Any]], R]:
    names = [c.name for c in table.c]

    def read(row: Row[Any]) -> R:
        return kind(**{name: getattr(row, name) for name in names})

    return read


_document = _reader(CaseDocument, t.inami_case_documents)
_intervention = _reader(Intervention, t.inami_interventions)
_closure = _reader(CaseClosure, t.inami_case_closures)
_request = _reader(InsurabilityRequest, t.insurability_requests)


class SqlCaseWorkRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_document(self, document: CaseDocument) -> None:
        table = t.inami_case_documents
        self._conn.execute(insert(table).values(_values(document, table)))

    def documents(self, niss: str, case_id: str) -> list[CaseDocument]:
        c = t.inami_case_documents.c
        query = (
            select(t.inami_case_documents)
            .where(c.niss == niss, c.case_id == case_id)
            .order_by(c.uploaded_at, c.id)
        )
        return [_document(row) for row in self._conn.execute(query)]

    def add_intervention(self, intervention: Intervention) -> None:
        table = t.inami_interventions
        self._conn.execute(insert(table).values(_values(intervention, table)))

    def update_intervention(self, intervention: Intervention) -> None:
        table = t.inami_interventions
        values = _values(intervention, table)
        key = (table.c.niss == values.pop("niss"), table.c.id == values.pop("id"))
        self._conn.execute(update(table).where(*key).values(values))

    def intervention(self, intervention_id: str) -> Intervention | None:
        query = select(t.inami_interventions).where(t.inami_interventions.c.id == intervention_id)
        row = self._conn.execute(query).first()
        return None if row is None else _intervention(row)

    def interventions(self, niss: str, case_id: str) -> list[Intervention]:
        c = t.inami_interventions.c
        query = (
            select(t.inami_interventions)
            .where(c.niss == niss, c.case_id == case_id)
            .order_by(c.created_at, c.id)
        )
        return [_intervention(row) for row in self._conn.execute(query)]

    def close(self, closure: CaseClosure) -> None:
        table = t.inami_case_closures
        self._conn.execute(insert(table).values(_values(closure, table)))

    def closure(self, niss: str, case_id: str) -> CaseClosure | None:
        c = t.inami_case_closures.c
        query = select(t.inami_case_closures).where(c.niss == niss, c.case_id == case_id)
        row = self._conn.execute(query).first()
        return None if row is None else _closure(row)


class SqlInsurabilityRequestRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, request: InsurabilityRequest) -> None:
        table = t.insurability_requests
        values = _values(request, table)
        values["answer"] = None if request.answer is None else dict(request.answer)
        self._conn.execute(insert(table).values(values))

    def update(self, request: InsurabilityRequest) -> None:
        table = t.insurability_requests
        values = _values(request, table)
        values["answer"] = None if request.answer is None else dict(request.answer)
        key = (table.c.niss == values.pop("niss"), table.c.id == values.pop("id"))
        self._conn.execute(update(table).where(*key).values(values))

    def get(self, request_id: str) -> InsurabilityRequest | None:
        query = select(t.insurability_requests).where(t.insurability_requests.c.id == request_id)
        row = self._conn.execute(query).first()
        return None if row is None else _request(row)
