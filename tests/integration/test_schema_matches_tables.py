"""The schema the migrations build is the one the code's tables describe: every table, column,
index and foreign key of ``adapters/db/tables*.py`` exists after ``upgrade head`` and nothing
else does, on each backend. A migration that forgets an index (or drops one the tables still
name) fails here, not in production under load."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from carrefour.adapters.db import tables as t
from carrefour.adapters.db.engine import make_engine
from tests.integration.test_evidence_log_migration import empty_url, migrate

__all__ = ["empty_url"]  # the fixture of an empty database on each backend

#: The kinds of difference compared: the shape of the schema. Column types are left out (the
#: custom types store as the dialect's own, which autogenerate reports as changes).
SHAPE = {"add_table", "remove_table", "add_column", "remove_column", "add_index",
         "remove_index", "add_fk", "remove_fk", "add_constraint", "remove_constraint"}  # fmt: skip


def _kinds(diffs: list[Any]) -> list[tuple[str, str]]:
    flat: list[Any] = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])
    return sorted(
        (str(d[0]), str(getattr(d[1], "name", d[1])))
        for d in flat
        if isinstance(d, tuple) and d[0] in SHAPE
    )


def test_the_migrated_schema_is_the_tables_of_the_code(empty_url: str) -> None:
    migrate(empty_url, "head")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, t.metadata)
    engine.dispose()
    assert [d for d in _kinds(diffs) if d[1] != "alembic_version"] == []
