"""``carrefour db``: schema migrations and the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from carrefour.bootstrap import upgrade_database
from carrefour.cli.common import DatabaseOption, console, err_console, reports_errors
from carrefour.config import load_settings

app = typer.Typer(help="Create or migrate the database and load the reference catalogue.")


@app.command()
@reports_errors
def upgrade(
    database_url: DatabaseOption = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="a catalogue file to load instead of the packaged one (same TOML layout)",
        ),
    ] = None,
) -> None:
    """Create or migrate the schema, then load or refresh the catalogue (idempotent)."""
    settings = load_settings(database_url=database_url)
    try:
        counts = upgrade_database(settings, catalogue=catalogue)
    except ValueError as error:  # a catalogue file that is not valid
        err_console.print(f"[bold red]error[/] invalid-catalogue: {error}", highlight=False)
        raise typer.Exit(1) from None
    table = Table("catalogue section", "entries", title=f"database {settings.database_url}")
    for section, count in counts.items():
        table.add_row(section, str(count))
    console.print(table)
