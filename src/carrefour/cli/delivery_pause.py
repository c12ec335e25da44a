"""``carrefour institutions pause|resume ID``: stop and restart push delivery to a recipient."""

from __future__ import annotations

import typer

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.services import delivery


@reports_errors
def pause(institution: str, database_url: DatabaseOption = None) -> None:
    """Pause push delivery to INSTITUTION: its messages wait in its mailbox until resumed."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        changed = delivery.pause(uow, institution=institution, by="cli")
    console.print(f"{institution}: push delivery {'paused' if changed else 'was paused already'}")


@reports_errors
def resume(institution: str, database_url: DatabaseOption = None) -> None:
    """Resume push delivery to INSTITUTION."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        changed = delivery.resume(uow, institution=institution)
    console.print(f"{institution}: push delivery {'resumed' if changed else 'was not paused'}")


def register(institutions: typer.Typer) -> None:
    """Add ``pause`` and ``resume`` to ``carrefour institutions``."""
    institutions.command("pause")(pause)
    institutions.command("resume")(resume)
