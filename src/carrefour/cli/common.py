"""What every command shares: the database option, the hub, and error reporting."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from carrefour.bootstrap import Hub, bootstrap
from carrefour.config import load_settings
from carrefour.domain.errors import CarrefourError

# A terminal gets its own width; a pipe or a file gets wide lines rather than wrapped tables.
_WIDTH = None if sys.stdout.isatty() else 200
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="CARREFOUR_DATABASE_URL",
        help="SQLAlchemy URL; default sqlite:///./carrefour.db",
        show_default=False,
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a domain error into a one-line message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CarrefourError as error:
            extra = ", ".join(f"{k}={v}" for k, v in error.extra.items())
            err_console.print(
                f"[bold red]error[/] [red]{error.code}[/]: {error.detail}"
                + (f" [dim]({extra})[/]" if extra else ""),
                soft_wrap=True,
                highlight=False,
            )
            raise typer.Exit(1) from None

    return wrapper


@contextmanager
def open_hub(database_url: str | None) -> Iterator[Hub]:
    hub = bootstrap(load_settings(database_url=database_url))
    try:
        yield hub
    finally:
        hub.dispose()


def parse_day(value: str | None) -> date | None:
    from carrefour.domain.periods import parse_date

    return None if value is None else parse_date(value)
