"""``carrefour institutions``: list institutions, issue and revoke credentials, push endpoints."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.services import institutions as service

app = typer.Typer(help="Institutions of the catalogue and their credentials.")


@app.command("list")
@reports_errors
def list_(
    database_url: DatabaseOption = None,
    sector: Annotated[int | None, typer.Option(help="only this sector")] = None,
) -> None:
    """List the institutions of the catalogue."""
    with open_hub(database_url) as hub:
        table = Table("id", "name (fr)", "sector/type", "enterprise", "network", "placeholder")
        for inst in sorted(hub.catalogue.institutions.values(), key=lambda i: i.id):
            if sector is not None and inst.sector != sector:
                continue
            table.add_row(
                inst.id,
                inst.name_fr,
                f"{inst.sector}/{inst.institution_type}",
                inst.enterprise_number,
                inst.network_number or "",
                "yes" if inst.placeholder else "",
            )
        console.print(table)


@app.command()
@reports_errors
def credential(
    institution: str,
    days: Annotated[
        int | None, typer.Option(min=1, help="valid this many days (default: until revoked)")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Issue a new bearer credential for INSTITUTION and print it (shown once, stored hashed)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        token = service.issue_credential(
            uow, institution=institution, days=days or hub.settings.credential_days
        )
    console.print(token, highlight=False, soft_wrap=True)


@app.command()
@reports_errors
def revoke(institution: str, database_url: DatabaseOption = None) -> None:
    """Revoke every active credential of INSTITUTION."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        count = service.revoke_credentials(uow, institution=institution)
    console.print(f"revoked {count} credential(s) of {institution}")


@app.command()
@reports_errors
def endpoint(
    institution: str,
    url: Annotated[str | None, typer.Argument(help="push URL; omit with --remove")] = None,
    remove: Annotated[bool, typer.Option(help="remove the push endpoint")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Register the HTTP endpoint the hub pushes INSTITUTION's messages to."""
    if url is None and not remove:
        raise typer.BadParameter("give a URL, or --remove")
    with open_hub(database_url) as hub, hub.uow() as uow:
        service.set_push_endpoint(uow, institution=institution, url=None if remove else url)
    console.print(f"{institution}: push endpoint {'removed' if remove else url}")
