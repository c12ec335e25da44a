"""``carrefour institutions gateway``: let an institution call the classic connector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.cli.transport import register_certificate_file
from carrefour.domain.errors import InvalidInput
from carrefour.services import gateway as service


@reports_errors
def gateway(
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
            help="the institution's client certificate (PEM or DER), for mutual TLS: registered as "
            "`carrefour institutions certificate` does",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Recognise INSTITUTION on the classic SOAP connector by its address and/or certificate.

    ``--certificate`` registers the certificate as `carrefour institutions certificate` does: one
    mapping serves the API and the connector."""
    if not allow and certificate is None:
        raise InvalidInput("give at least one --allow CIDR or a --certificate")
    with open_hub(database_url) as hub:
        added: list[service.GatewayClient] = []
        if allow:
            with hub.uow() as uow:
                added = service.register_client(uow, institution=institution, allow=allow)
        for client in added:
            console.print(f"{institution}: connector {client.kind} {client.value}", highlight=False)
        if certificate is not None:
            register_certificate_file(
                hub, institution=institution, file=certificate, with_validity=False
            )
        elif not added:
            console.print(f"{institution}: already registered, nothing added")


def register(institutions: typer.Typer) -> None:
    """Add ``gateway`` to ``carrefour institutions``."""
    institutions.command("gateway")(gateway)
