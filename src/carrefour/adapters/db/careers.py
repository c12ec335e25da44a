"""The RGTI in SQL: affiliations, contributor category changes and assimilation decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from carrefour.adapters.db import tables as t
from carrefour.domain.careers import (
    Affiliation,
    AssimilationDecision,
    Career,
    CategoryChange,
    EndReason,
    WorkerCapacity,
)
from carrefour.domain.periods import Period


class SqlCareerRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def load(self, niss: str) -> Career:
        a, c, s = t.affiliations.c, t.category_changes.c, t.assimilations.c
        affiliations = tuple(
            Affiliation(
                id=row.id,
                niss=row.niss,
                cas=row.cas,
                period=Period(row.begin, row.end),
                capacity=WorkerCapacity(row.capacity),
                enterprise_number=row.enterprise_number,
                end_reason=EndReason(row.end_reason) if row.end_reason else None,
            )
            for row in self._conn.execute(
                select(t.affiliations).where(a.niss == niss).order_by(a.begin, a.id)
            )
        )
        categories = tuple(
            CategoryChange(row.affiliation_id, row.category, row.begin)
            for row in self._conn.execute(
                select(t.category_changes).where(c.niss == niss).order_by(c.begin, c.affiliation_id)
            )
        )
        assimilations = tuple(
            AssimilationDecision(
                id=row.id,
                niss=row.niss,
                code=row.code,
                period=Period(row.begin, row.end),
                granted=row.granted,
                decided_on=row.decided_on,
            )
            for row in self._conn.execute(
                select(t.assimilations).where(s.niss == niss).order_by(s.begin, s.id)
            )
        )
        empty = Career.of(niss)
        return Career(empty.niss, empty.birth, affiliations, categories, assimilations)

    def niss_of_affiliation(self, affiliation_id: str) -> str | None:
        a = t.affiliations.c
        value = self._conn.execute(select(a.niss).where(a.id == affiliation_id)).scalar()
        return None if value is None else str(value)

    def save(self, career: Career) -> None:
        """Store ``career`` as the person's whole career (one person's rows are few)."""
        niss = career.niss
        for table in (t.category_changes, t.affiliations, t.assimilations):
            self._conn.execute(delete(table).where(table.c.niss == niss))
        if career.affiliations:
            self._conn.execute(
                insert(t.affiliations),
                [
                    {
                        "niss": niss,
                        "id": x.id,
                        "cas": x.cas,
                        "begin": x.period.begin,
                        "end": x.period.end,
                        "capacity": x.capacity.value,
                        "enterprise_number": x.enterprise_number,
                        "end_reason": x.end_reason.value if x.end_reason else None,
                    }
                    for x in career.affiliations
                ],
            )
        if career.categories:
            self._conn.execute(
                insert(t.category_changes),
                [
                    {
                        "niss": niss,
                        "affiliation_id": x.affiliation_id,
                        "begin": x.begin,
                        "category": x.category,
                    }
                    for x in career.categories
                ],
            )
        if career.assimilations:
            self._conn.execute(
                insert(t.assimilations),
                [
                    {
                        "niss": niss,
                        "id": x.id,
                        "code": x.code,
                        "begin": x.period.begin,
                        "end": x.period.end,
                        "granted": x.granted,
                        "decided_on": x.decided_on,
                    }
                    for x in career.assimilations
                ],
            )

    def log_change(
        self, niss: str, *, at: datetime, by: str, action: str, detail: dict[str, Any]
    ) -> None:
        self._conn.execute(
            insert(t.career_changes).values(niss=niss, at=at, by=by, action=action, detail=detail)
        )
