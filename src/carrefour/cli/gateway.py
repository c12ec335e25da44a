"""``carrefour institutions gateway``: let an institution call the classic connector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.cli.institutions import app
from carrefour.services import gateway as service


@app.command("gateway")
@reports_errors
def register(
    institution: str,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="a CIDR block the institution calls from (repeatable)"),
    ] = None,
    certificate: Annotated[
        Path | None,
        typer.Option(
            "--certificate",
            exists=True,
            dir_okay=False,
            help="the institution's client certificate (PEM), for mutual TLS",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Recognise INSTITUTION on the classic SOAP connector by its address and/or certificate."""
    pem = certificate.read_text(encoding="ascii") if certificate is not None else None
    with open_hub(database_url) as hub, hub.uow() as uow:
        added = service.register_client(
            uow, institution=institution, allow=allow or [], certificate_pem=pem
        )
    for client in added:
        console.print(f"{institution}: connector {client.kind} {client.value}", highlight=False)
    if not added:
        console.print(f"{institution}: already registered, nothing added")
