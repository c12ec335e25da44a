"""The ``carrefour`` command."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from carrefour.cli import (
    batches,
    careers,
    db,
    delivery_pause,
    directory,
    gateway,
    institutions,
    messaging,
    operations,
    tracking,
    transport,
    users,
)
from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.config import load_settings

app = typer.Typer(
    help="Carrefour: a crossroads bank for social security.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(institutions.app, name="institutions")
app.add_typer(directory.app, name="directory")
app.add_typer(careers.app, name="rgti")
app.add_typer(batches.app, name="batch")
app.add_typer(users.app, name="users")
app.command("mailbox")(messaging.mailbox)
app.add_typer(tracking.app, name="tracking")
app.command("verify")(messaging.verify)
app.command("checkpoint")(messaging.checkpoint)
app.command("worker")(messaging.worker)
app.command("requeue")(messaging.requeue)
operations.register(app)
transport.register(institutions.app)
delivery_pause.register(institutions.app)
gateway.register(institutions.app)

HostOption = Annotated[str | None, typer.Option(envvar="CARREFOUR_HOST", help="default 127.0.0.1")]
PortOption = Annotated[int | None, typer.Option(envvar="CARREFOUR_PORT", help="default 8000")]


def _serve(
    database_url: str | None,
    host: str | None,
    port: int | None,
    workers: int = 1,
    tls: dict[str, Any] | None = None,
) -> None:
    """Serve the API: ``workers`` processes, each with its own hub (and background workers)."""
    import uvicorn

    from carrefour.api.protocol import OneWriteProtocol
    from carrefour.bootstrap import bootstrap
    from carrefour.config import export_settings

    settings = load_settings(database_url=database_url, host=host, port=port)
    export_settings(settings)  # the server processes build their hub from the environment

    bootstrap(settings).dispose()  # fail here, clearly, if the database is not ready
    uvicorn.run(
        "carrefour.api.asgi:create",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # Below INFO the access lines are dropped anyway: not formatting them saves each
        # request that work.
        access_log=settings.log_level.lower() in ("debug", "info", "trace"),
        # Each answer written to the socket once (api/protocol.py); mutual TLS has its own.
        **{"http": OneWriteProtocol, **(tls or {})},
    )


@app.command()
@reports_errors
def serve(
    database_url: DatabaseOption = None,
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[int, typer.Option(min=1, help="server processes (one per core)")] = 1,
    tls_cert: transport.TlsCertOption = None,
    tls_key: transport.TlsKeyOption = None,
    client_ca: transport.ClientCaOption = None,
) -> None:
    """Serve the API, with the background workers (push delivery, batch files)."""
    _serve(database_url, host, port, workers, transport.tls_options(tls_cert, tls_key, client_ca))


@app.command()
@reports_errors
def demo(
    database_url: DatabaseOption = None,
    host: HostOption = None,
    port: PortOption = None,
    persons: Annotated[int, typer.Option(min=1, help="size of the synthetic population")] = 200,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="load, then stop")] = False,
) -> None:
    """Upgrade the database, load the demo population, print credentials, serve the API."""
    from carrefour.bootstrap import upgrade_database
    from carrefour.services.demo import demo_users, load_demo
    from carrefour.services.institutions import issue_credential
    from carrefour.services.tracking import checkpoint

    settings = load_settings(database_url=database_url, host=host, port=port)
    upgrade_database(settings)
    with open_hub(settings.database_url) as hub:
        lines, careers = load_demo(hub.uow, persons=persons)
        console.print(
            f"demo population of {persons} persons: {lines} directory lines and "
            f"{careers} self-employed affiliations added"
        )
        # One line per credential, printed whole: no table that a narrow terminal would cut.
        typer.echo("API credentials (send as 'Authorization: Bearer <credential>'):")
        for inst in sorted(hub.catalogue.institutions.values(), key=lambda i: i.id):
            with hub.uow() as uow:
                token = issue_credential(uow, institution=inst.id)
            typer.echo(f"  {inst.id} {token}")
        typer.echo("console users (user name, password, role):")
        for user, password in demo_users(hub.uow):
            typer.echo(f"  {user.name} {password} {user.role.value} {user.institution}")
        with hub.uow() as uow:
            signed = checkpoint(uow, signer=hub.signer, journal=hub.journal)
        console.print(
            f"tracking file: checkpoint {signed.position} signed "
            f"({len(signed.heads)} chains, key {settings.signing_key})"
        )
    url = f"http://{settings.host}:{settings.port}"
    if no_serve:
        typer.echo(
            f"demo loaded into {settings.database_url}; not serving (--no-serve). "
            "Serve it with: .venv/bin/carrefour serve"
        )
        return
    typer.echo(f"serving the API on {url} (OpenAPI: {url}/docs)")
    typer.echo(f"console on {url}/console/ (sign in with a console user above)")
    _serve(settings.database_url, settings.host, settings.port)


if __name__ == "__main__":
    app()
