"""``carrefour institutions certificate``: a client certificate (mutual TLS) for an institution,
registered by the one function ``institutions gateway --certificate`` calls too; and the HTTPS
options of ``carrefour serve``."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors

if TYPE_CHECKING:
    from carrefour.bootstrap import Hub
    from carrefour.services.unit_of_work import ClientCertificate


def register_certificate_file(
    hub: Hub, *, institution: str, file: Path, with_validity: bool = True
) -> ClientCertificate:
    """Let the client certificate in ``file`` (PEM or DER) stand for ``institution`` under
    mutual TLS, on the API and the classic connector alike: its SHA-256 fingerprint is stored
    (``services.certificates``), and the line saying so is printed, ending with the last day
    of its validity when ``with_validity``. The file is read before the database is opened."""
    from carrefour.bootstrap import read_certificate
    from carrefour.services.certificates import register_certificate

    fingerprint, subject, not_after = read_certificate(file)
    with hub.uow() as uow:
        record = register_certificate(
            uow, institution=institution, fingerprint=fingerprint, subject=subject,
            not_after=not_after,
        )  # fmt: skip
    validity = f" valid until {record.not_after:%Y-%m-%d}" if with_validity else ""
    console.print(
        f"{record.institution_id}: client certificate {record.subject} "
        f"(SHA-256 {record.fingerprint}){validity}",
        soft_wrap=True,
        highlight=False,
    )
    return record


@reports_errors
def certificate(
    institution: str,
    file: Annotated[Path, typer.Argument(help="the client certificate, PEM or DER")],
    database_url: DatabaseOption = None,
) -> None:
    """Let the client certificate in FILE stand for INSTITUTION when `carrefour serve` runs with
    --client-ca (mutual TLS): the certificate's SHA-256 fingerprint is stored."""
    with open_hub(database_url) as hub:
        register_certificate_file(hub, institution=institution, file=file)


TlsCertOption = Annotated[
    Path | None, typer.Option(help="serve HTTPS with this certificate (PEM, chain first)")
]
TlsKeyOption = Annotated[Path | None, typer.Option(help="the private key of --tls-cert (PEM)")]
ClientCaOption = Annotated[
    Path | None,
    typer.Option(
        help="mutual TLS: accept client certificates issued by these CAs (PEM); a registered "
        "certificate stands for its institution, a bearer credential still works without one"
    ),
]


def tls_options(cert: Path | None, key: Path | None, client_ca: Path | None) -> dict[str, Any]:
    """uvicorn's settings for HTTPS and, with ``client_ca``, client certificates."""
    if cert is None:
        if key is not None or client_ca is not None:
            raise typer.BadParameter("--tls-key and --client-ca need --tls-cert")
        return {}
    if key is None:
        raise typer.BadParameter("--tls-cert needs --tls-key")
    options: dict[str, Any] = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    if client_ca is not None:
        from carrefour.api.tls import ClientCertificateProtocol

        options.update(
            ssl_ca_certs=str(client_ca),
            ssl_cert_reqs=ssl.CERT_OPTIONAL,
            http=ClientCertificateProtocol,
        )
    return options


def register(institutions: typer.Typer) -> None:
    institutions.command("certificate")(certificate)
