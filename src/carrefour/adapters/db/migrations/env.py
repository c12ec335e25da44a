"""Alembic environment: runs on the connection handed over by ``carrefour.adapters.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from carrefour.adapters.db import (  # noqa: F401 - their tables join the metadata
    tables_console,
    tables_consultations,
    tables_evidence,
    tables_gateway,
    tables_inami,
)
from carrefour.adapters.db.engine import make_engine
from carrefour.adapters.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
