"""The classic connector's storage: registered clients and the request journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from carrefour.adapters.db import tables_gateway as t
from carrefour.services.gateway import GatewayClient, JournalEntry


def _entry(row: Any) -> JournalEntry:
    return JournalEntry(
        ticket=row.ticket,
        caller=row.caller,
        reference=row.reference,
        service_id=row.service_id,
        version=row.version,
        action=row.action,
        niss=row.niss,
        return_code=row.return_code,
        received_at=row.received_at,
        answered_at=row.answered_at,
        request_xml=row.request_xml,
        reply_xml=row.reply_xml,
    )


class SqlGatewayRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def clients(self) -> list[GatewayClient]:
        c = t.gateway_clients.c
        rows = self._conn.execute(select(c.institution_id, c.kind, c.value))
        return [GatewayClient(r.institution_id, r.kind, r.value) for r in rows]

    def add_client(self, client: GatewayClient, at: datetime) -> bool:
        c = t.gateway_clients.c
        known = self._conn.execute(
            select(c.kind).where(
                c.institution_id == client.institution_id,
                c.kind == client.kind,
                c.value == client.value,
            )
        ).first()
        if known is not None:
            return False
        self._conn.execute(
            insert(t.gateway_clients).values(
                institution_id=client.institution_id,
                kind=client.kind,
                value=client.value,
                created_at=at,
            )
        )
        return True

    def get(self, ticket: str) -> JournalEntry | None:
        c = t.gateway_requests.c
        row = self._conn.execute(select(t.gateway_requests).where(c.ticket == ticket)).first()
        return None if row is None else _entry(row)

    def by_reference(self, caller: str, reference: str) -> JournalEntry | None:
        c = t.gateway_requests.c
        row = self._conn.execute(
            select(t.gateway_requests).where(c.caller == caller, c.reference == reference)
        ).first()
        return None if row is None else _entry(row)

    def add(self, entry: JournalEntry) -> bool:
        statement = insert(t.gateway_requests).values(
            ticket=entry.ticket,
            caller=entry.caller,
            reference=entry.reference,
            service_id=entry.service_id,
            version=entry.version,
            action=entry.action,
            niss=entry.niss,
            return_code=entry.return_code,
            received_at=entry.received_at,
            answered_at=entry.answered_at,
            request_xml=entry.request_xml,
            reply_xml=entry.reply_xml,
        )
        try:
            # A savepoint: a concurrent request of the same reference, committed first, leaves
            # this transaction usable (PostgreSQL aborts a transaction on a failed statement).
            with self._conn.begin_nested():
                self._conn.execute(statement)
        except IntegrityError:
            return False
        return True

    def answer(self, entry: JournalEntry) -> None:
        c = t.gateway_requests.c
        self._conn.execute(
            update(t.gateway_requests)
            .where(c.ticket == entry.ticket)
            .values(
                return_code=entry.return_code,
                reply_xml=entry.reply_xml,
                answered_at=entry.answered_at,
            )
        )
