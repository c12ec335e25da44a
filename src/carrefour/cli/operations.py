"""``carrefour backup``, ``restore`` and ``purge``: running the hub's database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.config import load_settings


@reports_errors
def backup(
    file: Annotated[Path, typer.Argument(help="the copy to write (must not exist)")],
    database_url: DatabaseOption = None,
) -> None:
    """Copy the SQLite database to FILE while the hub runs (SQLite's online backup API), then
    check the copy. PostgreSQL: use pg_dump (docs/operations.md)."""
    from carrefour.bootstrap import backup_database

    backup_database(load_settings(database_url=database_url), file)
    console.print(f"backup written to {file} (integrity checked)")


@reports_errors
def restore(
    file: Annotated[Path, typer.Argument(help="a backup written by `carrefour backup`")],
    database_url: DatabaseOption = None,
) -> None:
    """Replace the SQLite database with the backup FILE (checked first). Stop every carrefour
    process before, run `carrefour verify` after."""
    from carrefour.bootstrap import restore_database

    settings = load_settings(database_url=database_url)
    restore_database(settings, file)
    console.print(f"database restored from {file}; now run `carrefour verify`")


@reports_errors
def purge(
    payloads_older_than: Annotated[
        int, typer.Option(help="empty the payload of messages older than DAYS days", min=1)
    ],
    database_url: DatabaseOption = None,
) -> None:
    """Retention: empty old messages' payloads. Envelopes, tracking entries and the status
    chain stay, so `carrefour verify` still holds."""
    from carrefour.services.operations import purge_payloads

    with open_hub(database_url) as hub, hub.uow() as uow:
        count = purge_payloads(uow, older_than_days=payloads_older_than)
    console.print(f"{count} message payload(s) older than {payloads_older_than} days emptied")


def register(app: typer.Typer) -> None:
    """Add these commands to the ``carrefour`` command."""
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("purge")(purge)
