"""Schema migrations (Alembic) and the catalogue refresh behind ``carrefour db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from carrefour.adapters.db.engine import READ_ONLY_OPTION

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def make_revision(url: str, message: str) -> None:
    """Autogenerate a new revision against the database at ``url`` (for developers)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


def schema_revision(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's revision, the newest revision this code knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY_OPTION: True})  # SQLite: no write lock
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head
