"""``carrefour users``: the console's users (operators, institution agents, INAMI cell agents)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.domain.console import LANGUAGES, parse_role
from carrefour.services import console_users as service

app = typer.Typer(help="Users of the console, their roles and passwords.")

PasswordOption = Annotated[
    str | None,
    typer.Option(
        envvar="CARREFOUR_NEW_PASSWORD",
        help="the password (asked for when omitted)",
        show_default=False,
    ),
]


def _password(given: str | None) -> str:
    if given is not None:
        return given
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise typer.BadParameter("the two passwords differ")
    return first


@app.command()
@reports_errors
def add(
    name: str,
    role: Annotated[str, typer.Option(help="operator | agent | inami-cell")],
    institution: Annotated[
        str | None, typer.Option(help="the institution an agent works for")
    ] = None,
    language: Annotated[str, typer.Option(help=" | ".join(LANGUAGES))] = LANGUAGES[0],
    password: PasswordOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add a console user NAME with a ROLE (an agent needs --institution)."""
    parsed = parse_role(role)
    secret = _password(password)
    with open_hub(database_url) as hub, hub.uow() as uow:
        user = service.add_user(
            uow,
            name=name,
            role=parsed,
            institution=institution,
            password=secret,
            language=language,
        )
    console.print(f"console user {user.name} added: {user.role.value} of {user.institution}")


@app.command()
@reports_errors
def passwd(name: str, password: PasswordOption = None, database_url: DatabaseOption = None) -> None:
    """Set a new password for NAME; their open sessions are closed."""
    secret = _password(password)
    with open_hub(database_url) as hub, hub.uow() as uow:
        count = service.set_password(uow, name=name, password=secret)
    console.print(f"password of {name} changed; {count} open session(s) closed")


@app.command()
@reports_errors
def disable(name: str, database_url: DatabaseOption = None) -> None:
    """Disable NAME: no more sign-in, open sessions closed."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        count = service.disable(uow, name=name)
    console.print(f"console user {name} disabled; {count} open session(s) closed")


@app.command("list")
@reports_errors
def list_(database_url: DatabaseOption = None) -> None:
    """List the console users, one per line: name, role, institution, language, state."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        found = service.users(uow)
    for user in found:
        state = "active" if user.active else f"disabled {user.disabled_at:%Y-%m-%d}"
        console.print(
            f"{user.name}  {user.role.value}  {user.institution}  {user.language}  {state}",
            highlight=False,
            soft_wrap=True,
        )
    if not found:
        console.print("no console user yet: carrefour users add NAME --role ROLE")
