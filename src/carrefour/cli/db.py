"""``carrefour db``: schema migrations and the catalogue."""

from __future__ import annotations

import typer
from rich.table import Table

from carrefour.bootstrap import upgrade_database
from carrefour.cli.common import DatabaseOption, console, reports_errors
from carrefour.config import load_settings

app = typer.Typer(help="Create or migrate the database and load the reference catalogue.")


@app.command()
@reports_errors
def upgrade(database_url: DatabaseOption = None) -> None:
    """Create or migrate the schema, then load or refresh the catalogue (idempotent)."""
    settings = load_settings(database_url=database_url)
    counts = upgrade_database(settings)
    table = Table("catalogue section", "entries", title=f"database {settings.database_url}")
    for section, count in counts.items():
        table.add_row(section, str(count))
    console.print(table)
